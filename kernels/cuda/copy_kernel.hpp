#pragma once
// Launch of the device-to-device copy kernel of the roofline floor (copy_kernel.cu).
#include <cuda_runtime.h>

#include <cstddef>

namespace bnb::kernels::cuda {

/// Copies the first bytes / 16 * 16 bytes of `in` to `out` (both 16-byte aligned device memory).
void launch_copy(const void* in, void* out, std::size_t bytes, cudaStream_t stream);

}  // namespace bnb::kernels::cuda
