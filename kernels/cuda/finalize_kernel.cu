// Launch of the pre-pass finalizer (step_kernels.cuh): one thread block on the caller's stream.
#include "step_launch.cuh"

namespace bnb::kernels::cuda {

void launch_finalize(const KernelArgs& args, std::size_t chunks, cudaStream_t stream) {
  device::finalize_kernel<><<<1, kThreadsPerBlock, 0, stream>>>(args, chunks);
}

}  // namespace bnb::kernels::cuda
