#pragma once
// Launch functions of the kernels in step_kernels.cuh and the per-algorithm launcher tables.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "launchers.hpp"
#include "step_kernels.cuh"

namespace bnb::kernels::cuda::device {

template <class A, class T, StateFormat F>
void launch_prepass(const KernelArgs& args, const LaunchGeometry& g, cudaStream_t stream) {
  prepass_kernel<A, T, F><<<static_cast<unsigned>(g.grid), g.threads, g.shared_bytes, stream>>>(args);
}

template <class A, class T, StateFormat F>
void launch_step(const KernelArgs& args, const LaunchGeometry& g, cudaStream_t stream) {
  if (g.shared_bytes > 48u * 1024u) {  // above the default dynamic shared memory limit: opt in
    check(cudaFuncSetAttribute(step_kernel<A, T, F>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(g.shared_bytes)),
          "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
  }
  step_kernel<A, T, F><<<static_cast<unsigned>(g.grid), g.threads, g.shared_bytes, stream>>>(args);
}

template <class A, class T, StateFormat F>
constexpr Launchers launchers_of() {
  constexpr bool kPrepass = clips_update_norm(A::kId) || F == StateFormat::tensorwise8;
  Launchers l;
  if constexpr (kPrepass) l.prepass = &launch_prepass<A, T, F>;
  l.step = &launch_step<A, T, F>;
  return l;
}

template <class A, class T>
Launchers launchers_by_format(StateFormat format) {
  switch (format) {
    case StateFormat::fp32: return launchers_of<A, T, StateFormat::fp32>();
    case StateFormat::blockwise8: return launchers_of<A, T, StateFormat::blockwise8>();
    case StateFormat::tensorwise8: return launchers_of<A, T, StateFormat::tensorwise8>();
  }
  return {};
}

/// The body of every launchers_for<A> specialization.
template <class A>
Launchers launchers_by_dtype(DType dtype, StateFormat format) {
  switch (dtype) {
    case DType::f32: return launchers_by_format<A, float>(format);
    case DType::f16: return launchers_by_format<A, half_t>(format);
    case DType::bf16: return launchers_by_format<A, bf16_t>(format);
  }
  return {};
}

}  // namespace bnb::kernels::cuda::device
