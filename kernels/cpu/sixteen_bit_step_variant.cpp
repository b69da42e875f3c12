// The CPU step of fp16 and bf16 tensors (tensor_step<A, T, F> for T = half_t, bf16_t), compiled
// once per variant next to step_variant.cpp, which handles fp32 tensors and calls this for the
// others (tensor_step.hpp, sixteen_bit_step, says why it is a unit of its own).
#include <array>
#include <cstddef>
#include <utility>

#include "tensor_step.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {
namespace {

using StepFn = void (*)(const StepRequest&, StepReport&);

using FormatTable = std::array<StepFn, kStateFormatCount>;

template <class A, class T, std::size_t... F>
constexpr FormatTable by_format(std::index_sequence<F...>) {
  return {&table_step<A, T, static_cast<StateFormat>(F)>...};
}

template <class A>
constexpr std::array<FormatTable, 2> by_dtype() {
  constexpr auto formats = std::make_index_sequence<kStateFormatCount>{};
  return {by_format<A, half_t>(formats), by_format<A, bf16_t>(formats)};
}

template <std::size_t... I>
constexpr auto make_table(std::index_sequence<I...>) {
  return std::array<std::array<FormatTable, 2>, sizeof...(I)>{by_dtype<AlgorithmAt<static_cast<int>(I)>>()...};
}

// Indexed [Algorithm][fp16, bf16][StateFormat] (all.hpp's and state_format.hpp's lists).
constexpr auto kStepTable = make_table(std::make_index_sequence<kAlgorithmCount>{});

}  // namespace

void sixteen_bit_step(const StepRequest& r, StepReport& report) {
  const int dtype = r.dtype == DType::f16 ? 0 : 1;
  kStepTable[static_cast<int>(r.algorithm)][dtype][static_cast<int>(r.state.format)](r, report);
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
