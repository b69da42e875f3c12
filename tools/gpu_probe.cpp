// gpu_probe: what scripts/gpu-check.sh needs to know about the GPU before it runs anything on it
// (docs/gpu-check.md). Prints `key=value` lines for device 0 — the device bnb-bench uses — so a
// plain bash script can read them:
//   name, compute_capability, multiprocessors, total_bytes, free_bytes (cudaMemGetInfo, the
//   memory left for the next part), driver, runtime, concurrent_managed_access
// Exit 0 with a usable device; 1 when there is none, with the reason cuda_available() gives on
// stderr (the CUDA runtime's error, or that the build has no CUDA); 2 when the device fails while
// being described.
#include <cstdio>
#include <exception>
#include <string>

#include "bnb/kernels/cuda_step.hpp"

#if BNB_GPU_PROBE_CUDA
#include <cuda_runtime.h>
#endif

namespace {

namespace gpu = bnb::kernels::cuda;

/// Free and total bytes of the current device; 0 free in a build without CUDA (never reached).
std::size_t free_device_bytes() {
#if BNB_GPU_PROBE_CUDA
  std::size_t free = 0, total = 0;
  const cudaError_t e = cudaMemGetInfo(&free, &total);
  if (e != cudaSuccess) throw gpu::CudaError(std::string("cudaMemGetInfo failed (") + cudaGetErrorString(e) + ")");
  return free;
#else
  return 0;
#endif
}

}  // namespace

int main() {
  std::string why;
  if (!gpu::cuda_available(&why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  try {
    const gpu::DeviceDescription d = gpu::describe_device(0);
    const std::size_t free = free_device_bytes();
    std::printf("name=%s\n", d.name.c_str());
    std::printf("compute_capability=%d.%d\n", d.compute_major, d.compute_minor);
    std::printf("multiprocessors=%d\n", d.multiprocessors);
    std::printf("total_bytes=%zu\n", d.total_memory);
    std::printf("free_bytes=%zu\n", free);
    std::printf("driver=%s\n", gpu::cuda_version_string(d.driver_version).c_str());
    std::printf("runtime=%s\n", gpu::cuda_version_string(d.runtime_version).c_str());
    std::printf("concurrent_managed_access=%d\n", d.concurrent_managed_access ? 1 : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_probe: %s\n", e.what());
    return 2;
  }
  return 0;
}
