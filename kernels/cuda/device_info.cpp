// Device discovery for the CLI (device: "cuda") and the machine context of the results.
#include <cuda_runtime.h>

#include <string>

#include "bnb/kernels/cuda_step.hpp"
#include "cuda_check.hpp"

namespace bnb::kernels::cuda {

bool built_with_cuda() noexcept { return true; }

bool cuda_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why != nullptr) {
      // cudaGetErrorString says why ("no CUDA-capable device is detected", a driver mismatch, ...).
      *why = std::string("no CUDA device: ") + (e != cudaSuccess ? cudaGetErrorString(e) : "cudaGetDeviceCount found none");
    }
    static_cast<void>(cudaGetLastError());  // do not leave the error for the next call
    return false;
  }
  if (why != nullptr) why->clear();
  return true;
}

DeviceDescription describe_device(int index) {
  std::string why;
  if (!cuda_available(&why)) throw CudaError("describe_device: " + why);
  DeviceDescription d;
  d.index = index;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties(" + std::to_string(index) + ")");
  d.name = prop.name;
  d.compute_major = prop.major;
  d.compute_minor = prop.minor;
  d.total_memory = prop.totalGlobalMem;
  d.multiprocessors = prop.multiProcessorCount;
  int concurrent = 0;
  check(cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, index),
        "cudaDeviceGetAttribute(ConcurrentManagedAccess)");
  d.concurrent_managed_access = concurrent != 0;
  check(cudaDriverGetVersion(&d.driver_version), "cudaDriverGetVersion");
  check(cudaRuntimeGetVersion(&d.runtime_version), "cudaRuntimeGetVersion");
  return d;
}

}  // namespace bnb::kernels::cuda
