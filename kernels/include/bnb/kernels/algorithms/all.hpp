#pragma once
// The one list of update rules (SPEC.md §4) and everything that derives from it: the Algorithm
// enum and its names, the algorithm structs as a type list, the compile-time and run-time
// dispatch from the enum to a struct, and the traits table (rows, maps, SPEC.md §9 states,
// clipping) that the library and the backends read. The CPU step tables, the CUDA
// instantiations, the benchmarks and the perf summary enumerate this list too. Adding an
// algorithm = its header + one include and one line here (docs/extending.md).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "bnb/kernels/algorithms/adagrad.hpp"
#include "bnb/kernels/algorithms/adam.hpp"
#include "bnb/kernels/algorithms/ademamix.hpp"
#include "bnb/kernels/algorithms/lion.hpp"
#include "bnb/kernels/algorithms/momentum.hpp"
#include "bnb/kernels/algorithms/rmsprop.hpp"

//   X(id, Struct): `id` is the name SPEC.md §1 uses (and the enum member), `Struct` the header's type.
#define BNB_ALGORITHMS(X) \
  X(adam, Adam)           \
  X(ademamix, AdEMAMix)   \
  X(momentum, Momentum)   \
  X(rmsprop, RMSprop)     \
  X(adagrad, Adagrad)     \
  X(lion, Lion)           \
  X(lamb, Lamb)           \
  X(lars, Lars)

namespace bnb {

#define BNB_ALGORITHM_ENUM(id, type) id,
enum class Algorithm : std::uint8_t { BNB_ALGORITHMS(BNB_ALGORITHM_ENUM) };
#undef BNB_ALGORITHM_ENUM

#define BNB_ALGORITHM_ONE(id, type) +1
inline constexpr int kAlgorithmCount = 0 BNB_ALGORITHMS(BNB_ALGORITHM_ONE);
#undef BNB_ALGORITHM_ONE

/// Every algorithm in list (enum) order.
inline constexpr auto kAllAlgorithms = [] {
  std::array<Algorithm, kAlgorithmCount> all{};
  for (int i = 0; i < kAlgorithmCount; ++i) all[static_cast<std::size_t>(i)] = static_cast<Algorithm>(i);
  return all;
}();

/// "adam", "ademamix", ... — the names SPEC.md §1 uses for the update rules.
constexpr std::string_view algorithm_name(Algorithm a) {
#define BNB_ALGORITHM_NAME(id, type) \
  if (a == Algorithm::id) return #id;
  BNB_ALGORITHMS(BNB_ALGORITHM_NAME)
#undef BNB_ALGORITHM_NAME
  return "unknown";
}

/// The algorithm called `name` (exact), nullopt when there is none.
constexpr std::optional<Algorithm> parse_algorithm(std::string_view name) {
  for (Algorithm a : kAllAlgorithms) {
    if (algorithm_name(a) == name) return a;
  }
  return std::nullopt;
}

}  // namespace bnb

namespace bnb::kernels {

/// An algorithm struct as the list registers it: the header's type with its enum member kId.
template <class A, Algorithm kIdValue>
struct Registered : A {
  static constexpr Algorithm kId = kIdValue;
};

/// The algorithm structs in list order: std::tuple_element_t<i, AllAlgorithms> is Algorithm(i).
#define BNB_ALGORITHM_TUPLE(id, type) std::tuple<Registered<type, Algorithm::id>>{},
using AllAlgorithms = decltype(std::tuple_cat(BNB_ALGORITHMS(BNB_ALGORITHM_TUPLE) std::tuple<>{}));
#undef BNB_ALGORITHM_TUPLE

template <int I>
using AlgorithmAt = std::tuple_element_t<static_cast<std::size_t>(I), AllAlgorithms>;

// The list, checked: the type list follows the enum, names are unique, traits are complete.
static_assert(std::tuple_size_v<AllAlgorithms> == static_cast<std::size_t>(kAlgorithmCount));
consteval bool names_unique() {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    for (int j = 0; j < i; ++j) {
      if (algorithm_name(static_cast<Algorithm>(i)) == algorithm_name(static_cast<Algorithm>(j))) return false;
    }
  }
  return true;
}
static_assert(names_unique(), "two algorithms of the list share a name");
#define BNB_ALGORITHM_CHECK(id, type)                                                        \
  static_assert(AlgorithmAt<static_cast<int>(Algorithm::id)>::kId == Algorithm::id, #type); \
  static_assert(type::kRows >= 1 && type::kRows <= 3, #type ": 1 to 3 state rows");       \
  static_assert(sizeof(type::kRowSigned) == type::kRows * sizeof(bool) &&                 \
                    sizeof(type::kRowState) == type::kRows * sizeof(int),                  \
                #type ": one map and one SPEC.md §9 state per row");
BNB_ALGORITHMS(BNB_ALGORITHM_CHECK)
#undef BNB_ALGORITHM_CHECK

/// Calls f.template operator()<AlgoStruct>() for the run-time algorithm a.
template <class F>
decltype(auto) with_algorithm(Algorithm a, F&& f) {
  switch (a) {
#define BNB_ALGORITHM_CASE(id, type) \
  case Algorithm::id: return f.template operator()<Registered<type, Algorithm::id>>();
    BNB_ALGORITHMS(BNB_ALGORITHM_CASE)
#undef BNB_ALGORITHM_CASE
  }
  return f.template operator()<AlgorithmAt<0>>();
}

/// Calls f.template operator()<AlgoStruct>() for every algorithm, in list order.
template <class F>
void for_each_algorithm(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f.template operator()<AlgorithmAt<static_cast<int>(I)>>(), ...);
  }(std::make_index_sequence<kAlgorithmCount>{});
}

/// An algorithm's traits as run-time values.
struct AlgorithmTraits {
  int rows = 0;
  bool row_signed[3] = {};
  int row_state[3] = {};
  ClipRule clip = ClipRule::none;
};

template <class A>
constexpr AlgorithmTraits traits_of() {
  AlgorithmTraits t;
  t.rows = A::kRows;
  for (int k = 0; k < A::kRows; ++k) {
    t.row_signed[k] = A::kRowSigned[k];
    t.row_state[k] = A::kRowState[k];
  }
  t.clip = A::kClip;
  return t;
}

inline constexpr auto kAlgorithmTraits = []<std::size_t... I>(std::index_sequence<I...>) {
  return std::array<AlgorithmTraits, kAlgorithmCount>{traits_of<AlgorithmAt<static_cast<int>(I)>>()...};
}(std::make_index_sequence<kAlgorithmCount>{});

constexpr const AlgorithmTraits& algorithm_traits(Algorithm a) { return kAlgorithmTraits[static_cast<std::size_t>(a)]; }

/// fp32 state values per element (ademamix's state1 holds two EMAs).
constexpr int state_rows(Algorithm a) { return algorithm_traits(a).rows; }

/// Whether kernel row `row` uses the signed map (else the unsigned one, SPEC.md §5.2).
constexpr bool row_is_signed(Algorithm a, int row) { return algorithm_traits(a).row_signed[row]; }

/// Which SPEC.md §9 state (1 or 2) kernel row `row` belongs to.
constexpr int state_of_row(Algorithm a, int row) { return algorithm_traits(a).row_state[row]; }

/// Algorithms whose update norm is clipped when max_unorm > 0 (SPEC.md §4.8).
constexpr bool clips_update_norm(Algorithm a) { return algorithm_traits(a).clip != ClipRule::none; }

/// The clip rule of a run-time algorithm, callable in device code too.
BNB_HD ClipRule clip_rule(Algorithm a) {
  switch (a) {
#define BNB_ALGORITHM_CLIP(id, type) \
  case Algorithm::id: return type::kClip;
    BNB_ALGORITHMS(BNB_ALGORITHM_CLIP)
#undef BNB_ALGORITHM_CLIP
  }
  return ClipRule::none;
}

BNB_HD float clip_scale(Algorithm a, float unorm, float pnorm, float max_unorm, float eps) {
  return clip_scale(clip_rule(a), unorm, pnorm, max_unorm, eps);
}

}  // namespace bnb::kernels
