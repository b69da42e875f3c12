#pragma once
// The seam between the host driver (cuda_step.cpp, plain C++) and the kernels (*.cu): the
// launch functions of an (algorithm, parameter dtype, state format). The instantiations are
// spread over kLauncherShards generated .cu files (step_shard.cu.in: shard s holds the
// algorithms whose list index is s modulo kLauncherShards) so that the build compiles them in
// parallel and no file names an algorithm.
#include <cuda_runtime.h>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {

using LaunchFn = void (*)(const KernelArgs& args, const LaunchGeometry& geometry, cudaStream_t stream);

struct Launchers {
  LaunchFn prepass = nullptr;  // null when the combination never needs a pre-pass
  LaunchFn step = nullptr;
};

inline constexpr int kLauncherShards = 8;

/// Defined in the generated step_shard_<kShard>.cu; empty launchers for an algorithm of
/// another shard.
template <int kShard>
Launchers shard_launchers(Algorithm algorithm, DType dtype, StateFormat format);

/// The launchers of a run-time combination (cuda_step.cpp).
Launchers launchers_for(Algorithm algorithm, DType dtype, StateFormat format);

/// The single-block finalizer of the pre-pass (finalize_kernel.cu): ordered sums, clip scale,
/// tensor-wise maxima; writes args.scalars.
void launch_finalize(const KernelArgs& args, std::size_t chunks, cudaStream_t stream);

}  // namespace bnb::kernels::cuda
