#pragma once
// The seam between the host driver (cuda_step.cpp, plain C++) and the kernels (*.cu): for each
// algorithm, a table of launch functions indexed by parameter dtype and state format. The
// instantiations are spread over one .cu file per algorithm so that the build compiles them in
// parallel.
#include <cuda_runtime.h>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {

using LaunchFn = void (*)(const KernelArgs& args, const LaunchGeometry& geometry, cudaStream_t stream);

struct Launchers {
  LaunchFn prepass = nullptr;  // null when the combination never needs a pre-pass
  LaunchFn step = nullptr;
};

/// Defined (specialized) in step_<algorithm>.cu.
template <class A>
Launchers launchers_for(DType dtype, StateFormat format);

/// The single-block finalizer of the pre-pass (finalize_kernel.cu): ordered sums, clip scale,
/// tensor-wise maxima; writes args.scalars.
void launch_finalize(const KernelArgs& args, std::size_t chunks, cudaStream_t stream);

}  // namespace bnb::kernels::cuda
