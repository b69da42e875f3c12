#pragma once
// Launch functions of the kernels in step_kernels.cuh and the launcher tables of one shard.
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
  constexpr bool kPrepass = A::kClip != ClipRule::none || StateCodec<F>::kScale == ScaleKind::per_tensor;
  Launchers l;
  if constexpr (!kHasKernels<A, F>) return l;  // enqueue_step refuses the combination
  if constexpr (kPrepass) l.prepass = &launch_prepass<A, T, F>;
  l.step = &launch_step<A, T, F>;
  return l;
}

template <class A, class T>
Launchers launchers_by_format(StateFormat format) {
  switch (format) {  // a switch over the list: nvcc rejects with_codec's template lambda here
#define BNB_LAUNCHERS_CASE(id, codec) \
  case StateFormat::id: return launchers_of<A, T, StateFormat::id>();
    BNB_STATE_FORMATS(BNB_LAUNCHERS_CASE)
#undef BNB_LAUNCHERS_CASE
  }
  return {};
}

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

namespace bnb::kernels::cuda {

/// The body of step_shard_<kShard>.cu: the launchers of the shard's algorithms (list index
/// modulo kLauncherShards == kShard); only those are instantiated in that file.
template <int kShard>
Launchers shard_launchers(Algorithm algorithm, DType dtype, StateFormat format) {
  Launchers out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if constexpr (static_cast<int>(I) % kLauncherShards == kShard) {
            if (algorithm == static_cast<Algorithm>(I)) {
              out = device::launchers_by_dtype<AlgorithmAt<static_cast<int>(I)>>(dtype, format);
            }
          }
        }(),
        ...);
  }(std::make_index_sequence<kAlgorithmCount>{});
  return out;
}

}  // namespace bnb::kernels::cuda
