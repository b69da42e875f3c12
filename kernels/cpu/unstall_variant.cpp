// The CPU step under underflow_guard's drop_momentum_unstall (tensor_step<..., true>), compiled
// once per variant next to step_variant.cpp and kept out of it: its code there changed GCC's
// inlining of the unguarded steps (tensor_step.hpp, unstall_step).
#include <cstddef>
#include <utility>

#include "tensor_step.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {
namespace {

template <class A, class T, StateFormat F>
bool step_if(const StepRequest& r, StepReport& report) {
  if constexpr (kUnstallable<A, F>) {
    if (r.state.format == F) {
      tensor_step<A, T, F, true>(r, report);
      return true;
    }
  }
  return false;
}

template <class A, class T, std::size_t... F>
bool step_formats(const StepRequest& r, StepReport& report, std::index_sequence<F...>) {
  return (step_if<A, T, static_cast<StateFormat>(F)>(r, report) || ...);
}

template <class A>
bool step_dtypes(const StepRequest& r, StepReport& report) {
  constexpr auto formats = std::make_index_sequence<kStateFormatCount>{};
  switch (r.dtype) {
    case DType::f32: return step_formats<A, float>(r, report, formats);
    case DType::f16: return step_formats<A, half_t>(r, report, formats);
    case DType::bf16: return step_formats<A, bf16_t>(r, report, formats);
  }
  return false;
}

template <std::size_t... I>
void step_algorithms(const StepRequest& r, StepReport& report, std::index_sequence<I...>) {
  (void)((static_cast<std::size_t>(r.algorithm) == I && step_dtypes<AlgorithmAt<static_cast<int>(I)>>(r, report)) || ...);
}

}  // namespace

void unstall_step(const StepRequest& r, StepReport& report) {
  step_algorithms(r, report, std::make_index_sequence<kAlgorithmCount>{});
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
