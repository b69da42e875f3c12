#pragma once
// The update loops of the CPU step (tensor_step.hpp): element update, run loops with the step's
// switches turned into constants, 16-bit staging, the 8-bit block codecs and prefetching.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <concepts>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/step_request.hpp"
#include "bnb/kernels/underflow_guard.hpp"
#include "code_scan.hpp"
#include "half_staging.hpp"
#include "param_store.hpp"
#include "simd_codec.hpp"
#include "unstall_simd.hpp"
#include "vector_storage.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
// Each variant's copies get their own symbols: these templates are compiled with different
// -m flags per translation unit, and one merged (ODR) copy would run one variant's code for all.
inline namespace BNB_CPU_VARIANT {

inline constexpr std::size_t kMaxBlock = kMaxBlockCodes;
/// How many blocks ahead of the one being stepped the 8-bit step prefetches its streams.
inline constexpr std::size_t kPrefetchAhead = 4;
inline constexpr float kFloatMax = 3.40282347e38f;

BNB_HD bool is_finite(float x) { return std::fabs(x) <= kFloatMax; }

/// The last stage of a chunk's sum (step_request.hpp): its 8 lane sums in a fixed tree.
[[gnu::always_inline]] inline float lane_tree_sum(const float* lanes) {
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

/// chunk_sum continued: `lanes` holds the lane sums of the chunk's first terms (a multiple of
/// 8 of them, e.g. summed in vector registers), x the len terms after them.
[[gnu::always_inline]] inline float chunk_sum_from(float* lanes, const float* x, std::size_t len) {
  std::size_t i = 0;
  for (; i + kReductionLanes <= len; i += kReductionLanes) {
    for (int l = 0; l < kReductionLanes; ++l) lanes[l] += x[i + l];
  }
  for (int l = 0; i < len; ++i, ++l) lanes[l] += x[i];
  return lane_tree_sum(lanes);
}

/// Sum of one reduction chunk in the fixed order of step_request.hpp. Always inlined: each
/// lane is a serial chain of additions, and the pre-pass's two sums (update and parameter
/// norms) only overlap their chains when the out-of-order core sees both.
[[gnu::always_inline]] inline float chunk_sum(const float* x, std::size_t len) {
  float lanes[kReductionLanes] = {};
  return chunk_sum_from(lanes, x, len);
}

template <class T>
void load_values(const T* src, float* dst, std::size_t len, float scale) {
  if constexpr (std::is_same_v<T, half_t>) {
    halves_to_floats(src, dst, len, scale);
  } else {
    for (std::size_t i = 0; i < len; ++i) dst[i] = VectorStorage<T>::load(src[i]) * scale;
  }
}

template <class T>
void store_values(const float* src, T* dst, std::size_t len) {
  if constexpr (std::is_same_v<T, half_t>) {
    floats_to_halves(src, dst, len);
  } else {
    for (std::size_t i = 0; i < len; ++i) dst[i] = VectorStorage<T>::store(src[i]);
  }
}

/// The prepared codecs of a step's 8-bit state rows, shared read-only by the threads.
template <int kRows>
struct RowCodecs {
  std::optional<Encoder> encoders[kRows];
  std::optional<Decoder> decoders[kRows];

  explicit RowCodecs(const StateView& s) {
    const FormatCodec& codec = format_codec(s.format);
    if (!codec.quantized || codec.element_bits != 8 || codec.codes != CodeKind::map_index) return;
    for (int k = 0; k < kRows; ++k) {
      encoders[k].emplace(*s.table[k]);
      decoders[k].emplace(*s.table[k]);
    }
  }
};

/// Codes of x / scale; a zero scale stores the zero code everywhere (SPEC.md §5.3 step 6).
/// kByAbsmax: scale is the run's absmax (|x[i]| <= scale for every x[i] that is not NaN), as in
/// the step's blocks: Encoder::encode_by_absmax.
template <bool kByAbsmax = false>
inline void encode_run(const Encoder& e, const QuantTable& t, const float* x, std::size_t len, float scale,
                       std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < len; ++i) out[i] = t.zero_code;
  } else if constexpr (kByAbsmax) {
    e.encode_by_absmax(x, len, scale, out);
  } else {
    e.encode(x, len, scale, out);
  }
}

/// The rows of a step's 8-bit state whose map has a code that decodes to 0 (the rows that can
/// underflow) and those codes: looked up once per step, not per block.
template <class A>
struct ZeroCodes {
  unsigned rows = 0;  // bit k: row k has such a code
  std::uint8_t code[A::kRows] = {};

  ZeroCodes() = default;
  explicit ZeroCodes(const StateView& s) {
    for (int k = 0; k < A::kRows; ++k) {
      const QuantTable& t = *s.table[k];
      code[k] = t.zero_code;
      rows |= t.values[t.zero_code] == 0.0f ? 1u << k : 0u;
    }
  }
};

/// settle_block's rare part, for the rows `hit` whose codes hold the zero code: counts the
/// underflows and applies the remedy g. Signed rows go first: drop_momentum then writes zero
/// codes into them that must not be counted (and a signed row without a hit is not visited).
template <class A>
[[gnu::noinline, gnu::cold]] void settle_hits(UnderflowGuard g, unsigned hit, const StateView& s, const float (*st)[kMaxBlock],
                                              std::size_t begin, std::size_t len, std::uint64_t* under) {
  for (const bool signed_rows : {true, false}) {
    for (int k = 0; k < A::kRows; ++k) {
      if (A::kRowSigned[k] != signed_rows || (hit >> k & 1u) == 0) continue;
      const QuantTable& t = *s.table[k];
      for_each_code(s.codes[k] + begin, len, t.zero_code, [&](std::size_t i) {
        if (!underflowed(t, t.zero_code, st[k][i])) return;
        ++under[k];
        if (signed_rows || g == UnderflowGuard::off) return;
        float x[A::kRows];
        std::uint8_t codes[A::kRows];
        for (int j = 0; j < A::kRows; ++j) {
          x[j] = st[j][i];
          codes[j] = s.codes[j][begin + i];
        }
        settle_element<A>(g, s.table, x, codes);
        for (int j = 0; j < A::kRows; ++j) s.codes[j][begin + i] = codes[j];
      });
    }
  }
}

/// After a block's rows are encoded (codes at s.codes[k] + begin, new values in st[k]): adds each
/// row's underflows to under[k] and applies the remedy g at encode time (underflow_guard.hpp).
/// The block is still in L1; a byte scan per row (code_scan.hpp) finds the zero codes, and only
/// a block that holds one looks at floats (count_underflows, or settle_hits for a remedy).
template <class A>
[[gnu::always_inline]] inline void settle_block(UnderflowGuard g, const ZeroCodes<A>& z, const StateView& s,
                                                const float (*st)[kMaxBlock], std::size_t begin, std::size_t len,
                                                std::uint64_t* under) {
  const std::uint8_t* codes[A::kRows];
  for (int k = 0; k < A::kRows; ++k) codes[k] = s.codes[k] + begin;
  const unsigned hit = rows_holding<A::kRows>(codes, z.code, z.rows, len);
  if (hit == 0) return;
  if (g != UnderflowGuard::off) return settle_hits<A>(g, hit, s, st, begin, len, under);
  for (int k = 0; k < A::kRows; ++k) {  // counting only
    if (hit >> k & 1u) under[k] += count_underflows(codes[k], st[k], len, z.code[k]);
  }
}

/// settle_block under drop_momentum_unstall: each element whose code stalled in some row (new
/// code == its code before the step, kept in old) or holds a zero code goes through the
/// per-element rule the CUDA kernels run (settle_element), whole vectors of them at a time where
/// the variant has them (unstall_simd.hpp), the rest one by one; the others have nothing to
/// settle. scales: the scale each row's codes were encoded with; first: the tensor index of element 0.
template <class A>
[[gnu::noinline]] void settle_block_unstall(const UnstallMaps<A::kRows>& maps, const StateView& s, const float (*st)[kMaxBlock],
                                            const std::uint8_t (*old)[kMaxBlock], const float* scales, RoundingKey key,
                                            std::size_t first, std::size_t begin, std::size_t len, std::uint64_t* under) {
  std::uint8_t* rows[A::kRows];
  for (int k = 0; k < A::kRows; ++k) rows[k] = s.codes[k] + begin;
  const std::size_t done = unstall_vectors<A>(maps, rows, old, st, scales, key, first, len, under);
  for_each_flagged<A::kRows>(rows, old, maps.zero, maps.zero_rows, done, len, [&](std::size_t i) {
    float x[A::kRows];
    std::uint8_t codes[A::kRows], was[A::kRows];
    for (int k = 0; k < A::kRows; ++k) {
      x[k] = st[k][i];
      codes[k] = rows[k][i];
      was[k] = old[k][i];
    }
    const unsigned u = settle_element<A>(UnderflowGuard::drop_momentum_unstall, s.table, x, codes, StallContext{was, scales, key, first + i});
    for (int k = 0; k < A::kRows; ++k) {
      under[k] += u >> k & 1u;
      rows[k][i] = codes[k];
    }
  });
}

/// zero_update (underflow_guard.hpp): the parameters of a block that keep their value this step,
/// taken before the update and put back after it. Out of line: inlined, their loops made every step's
/// block loop bigger than GCC's inliner allowed for encode_run in some (lion-8, sgd-8: +2%).
template <class A, class T>
struct HeldParams {
  std::size_t count = 0;
  std::uint16_t index[kMaxBlock];
  T value[kMaxBlock];

  [[gnu::noinline, gnu::cold]] void take(const float* const* rows, const T* param, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) {
      float s[A::kRows];
      for (int k = 0; k < A::kRows; ++k) s[k] = rows[k][i];
      if (!holds_parameter<A>(UnderflowGuard::zero_update, s)) continue;
      index[count] = static_cast<std::uint16_t>(i);
      value[count++] = param[i];
    }
  }
  [[gnu::noinline, gnu::cold]] void put_back(T* param) const {
    for (std::size_t j = 0; j < count; ++j) param[index[j]] = value[j];
  }
};

/// One element of the step through the algorithm's update, written so that the loop around it
/// if-converts: the update runs on copies and the guarded result is selected afterwards.
template <class A, class Store, bool kGuard>
inline void update_element(const StepConstants& c, float g, float& p, float* s, float scale) {
  float pn = p;
  float sn[A::kRows];
  for (int k = 0; k < A::kRows; ++k) sn[k] = s[k];
  A::template update<Store>(c, g, pn, sn, scale);
  if constexpr (kGuard) {
    const bool ok = is_finite(g);
    p = ok ? pn : p;
    for (int k = 0; k < A::kRows; ++k) s[k] = ok ? sn[k] : 0.0f;
  } else {
    p = pn;
    for (int k = 0; k < A::kRows; ++k) s[k] = sn[k];
  }
}

/// An algorithm whose new states can be computed without its new parameter: skipped() and
/// update_states() are what update() does to the states (every algorithm has them: the per-tensor
/// 8-bit pre-pass needs only the new states, new_states_run).
template <class A>
concept SplitStates = requires(const StepConstants& c, float g, float p, float* s) {
  { A::skipped(c, g, p) } -> std::same_as<bool>;
  A::update_states(c, g, p, s);
};

/// An algorithm whose update splits into the new states and the new parameter: update() is
/// skipped(), update_states() and update_param() (algorithms/adam.hpp, momentum.hpp, ademamix.hpp).
template <class A>
concept SplitUpdate = SplitStates<A> && requires(const StepConstants& c, float& p, float* s) {
  A::template update_param<VectorStorage<float>>(c, p, s, 1.0f);
};

/// The new states of a run as the guarded update (update_element<A, Store, true>) leaves them,
/// without computing the parameters: the per-tensor 8-bit pre-pass needs only the states'
/// maxima (for AdEMAMix the parameter's update is three divisions and a square root).
template <class A>
  requires SplitStates<A>
void new_states_run(StepConstants c, const float* __restrict grad, const float* __restrict param,
                    float* __restrict const* rows, std::size_t len) {  // c a copy: no aliasing, it vectorizes
  float* __restrict s0 = rows[0];
  float* __restrict s1 = rows[A::kRows > 1 ? 1 : 0];
  float* __restrict s2 = rows[A::kRows > 2 ? 2 : 0];
  // Rows written out, no loop over k: with one row GCC left that loop nest scalar.
  for (std::size_t i = 0; i < len; ++i) {
    const float g = grad[i];
    float sn[A::kRows];
    sn[0] = s0[i];
    if constexpr (A::kRows > 1) sn[1] = s1[i];
    if constexpr (A::kRows > 2) sn[2] = s2[i];
    A::update_states(c, g, param[i], sn);
    const bool keep = A::skipped(c, g, param[i]), ok = is_finite(g);
    s0[i] = !ok ? 0.0f : keep ? s0[i] : sn[0];
    if constexpr (A::kRows > 1) s1[i] = !ok ? 0.0f : keep ? s1[i] : sn[1];
    if constexpr (A::kRows > 2) s2[i] = !ok ? 0.0f : keep ? s2[i] : sn[2];
  }
}

/// Asks for the cache lines of elements [begin, begin + len) of every stream of an 8-bit step
/// (gradient, parameter, codes) ahead of use. The step is compute-heavy per byte, so the
/// hardware prefetchers, which follow the demand misses, run too close to the loads: the
/// update stalled on DRAM reads of the gradient and parameter (15% slower at 64M elements than
/// when the tensor fits the cache).
template <class A, class T>
void prefetch_block(const StepRequest& r, std::size_t begin, std::size_t len) {
  if (begin >= r.n) return;
  len = std::min(len, r.n - begin);
  constexpr std::size_t kLine = 64;
  const char* grad = static_cast<const char*>(r.grad) + begin * sizeof(T);
  const char* param = static_cast<const char*>(r.param) + begin * sizeof(T);
  for (std::size_t off = 0; off < len * sizeof(T); off += kLine) {
    __builtin_prefetch(grad + off, 0);
    __builtin_prefetch(param + off, 1);
  }
  const auto bits = static_cast<std::size_t>(format_codec(r.state.format).element_bits);  // 4-bit: half a byte each
  for (int k = 0; k < A::kRows; ++k) {
    const std::uint8_t* codes = r.state.codes[k] + begin * bits / 8;
    for (std::size_t off = 0; off < len * bits / 8; off += kLine) __builtin_prefetch(codes + off, 1);
  }
}

/// The update over a run of elements, straight on the fp32 arrays it is given (the tensor's
/// own, or staging buffers of a 16-bit tensor): g = grad * gnorm_scale, the algorithm's update
/// of param and of the states of `rows` (in place), with Store the rounding of the tensor's type.
/// The step's run-time switches are compile-time constants here: with them left as loads GCC
/// does not vectorize the loop (it does not unswitch it by itself). Returns the number of
/// non-finite gradients. Precondition: len <= kMaxBlock.
template <class A, class Store, bool kGuard, bool kSkipZeros, bool kDecay>
std::uint64_t state_loop(StepConstants c, const float* __restrict grad, float* __restrict param,
                         float* __restrict const* rows, std::size_t len, float gnorm_scale, float scale) {
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  float* __restrict s0 = rows[0];
  float* __restrict s1 = rows[A::kRows > 1 ? 1 : 0];
  float* __restrict s2 = rows[A::kRows > 2 ? 2 : 0];
  std::uint32_t bad = 0;  // a 32-bit count vectorizes in one add per vector (len <= kMaxBlock)
  for (std::size_t i = 0; i < len; ++i) {
    const float g = grad[i] * gnorm_scale;
    float p = param[i];
    float s[A::kRows];
    s[0] = s0[i];
    if constexpr (A::kRows > 1) s[1] = s1[i];
    if constexpr (A::kRows > 2) s[2] = s2[i];
    bad += is_finite(g) ? 0u : 1u;
    update_element<A, Store, kGuard>(c, g, p, s, scale);
    param[i] = p;
    s0[i] = s[0];
    if constexpr (A::kRows > 1) s1[i] = s[1];
    if constexpr (A::kRows > 2) s2[i] = s[2];
  }
  return bad;
}

/// Calls f.template operator()<kSkipZeros, kDecay>() with the step's two switches as constants.
/// Always inlined, so that a caller's code is that of the four calls written out (state_run).
template <class F>
[[gnu::always_inline]] inline decltype(auto) with_switches(const StepConstants& c, F&& f) {
  if (c.skip_zeros) {
    if (c.has_weight_decay) return f.template operator()<true, true>();
    return f.template operator()<true, false>();
  }
  if (c.has_weight_decay) return f.template operator()<false, true>();
  return f.template operator()<false, false>();
}

/// state_loop with the step's two switches as constants. The lambda is always inlined and takes
/// the run's values by copy: GCC then splits state_run (header inlined into its callers) as it
/// split the four calls written out. An out-of-line lambda over references changed the inlining
/// around every run (AVX2 gate: adam-8 +0.5%, lion-8 +0.9%, sgd-8 +1.0% instructions); captured
/// by reference the parameters are addressable and GCC's function splitting refuses state_run.
template <class A, class Store, bool kGuard>
std::uint64_t state_run(const StepConstants& c, const float* grad, float* param, float* const* rows, std::size_t len,
                        float gnorm_scale, float scale) {
  return with_switches(c, [=, &c]<bool kSkipZeros, bool kDecay>() __attribute__((always_inline)) {
    return state_loop<A, Store, kGuard, kSkipZeros, kDecay>(c, grad, param, rows, len, gnorm_scale, scale);
  });
}

/// state_run on a tensor of type T. 16-bit tensors go through fp32 staging buffers (fp16 with
/// F16C, half_staging.hpp): GCC vectorizes the update loop better on fp32 arrays (bf16 8-bit
/// Adam in place ran 1.11x the fp32 time). float is read and written in place. The parameter's
/// rounding (param_store.hpp): nearest rounds inside the update as SPEC.md §3 says, the last
/// rounding by store_values (StoredLaterStorage: on Zen 4 fp16's ~11 vector operations per
/// rounding were a fifth of the 8-bit step, results/perf/round11/half_params.md); stochastic
/// and compensated run the update in fp32 and store its result with their own rule.
template <class A, class T, bool kGuard>
std::uint64_t tensor_run(const StepConstants& c, const T* grad, T* param, float* const* rows, std::size_t len,
                         float gnorm_scale, float scale, const ParamStore& store) {
  if constexpr (std::is_same_v<T, float>) {
    return state_run<A, VectorStorage<T>, kGuard>(c, grad, param, rows, len, gnorm_scale, scale);
  } else {
    constexpr std::size_t kStage = 256;
    float g[kStage], p[kStage], p_old[kStage], comp[kStage];
    T* compensation = static_cast<T*>(store.compensation);  // null unless compensated
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < len; i += kStage) {
      const std::size_t n = std::min(kStage, len - i);
      load_values(grad + i, g, n, gnorm_scale);
      load_values(param + i, p, n, 1.0f);
      float* staged_rows[A::kRows];
      for (int k = 0; k < A::kRows; ++k) staged_rows[k] = rows[k] + i;
      switch (store.mode) {
        case ParamRounding::nearest:
          bad += state_run<A, StoredLaterStorage<T>, kGuard>(c, g, p, staged_rows, n, 1.0f, scale);
          break;
        case ParamRounding::stochastic:
          bad += state_run<A, VectorStorage<float>, kGuard>(c, g, p, staged_rows, n, 1.0f, scale);
          stochastic_run<T>(p, n, store.key, store.first + i);
          break;
        case ParamRounding::compensated:
          load_values(compensation + store.first + i, comp, n, 1.0f);
          for (std::size_t j = 0; j < n; ++j) {
            p_old[j] = p[j];
            p[j] += comp[j];
          }
          bad += state_run<A, VectorStorage<float>, kGuard>(c, g, p, staged_rows, n, 1.0f, scale);
          compensated_run<T>(p_old, comp, p, n);
          store_values(comp, compensation + store.first + i, n);
          break;
      }
      store_values(p, param + i, n);
    }
    return bad;
  }
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
