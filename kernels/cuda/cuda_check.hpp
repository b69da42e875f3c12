#pragma once
// Every CUDA runtime call goes through check(): a failure becomes a CudaError whose message names
// the call and the runtime's description of the error (the library never prints).
#include <cuda_runtime.h>

#include <string>

#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {

inline std::string describe_error(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

inline void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) throw CudaError(std::string(call) + " failed (" + describe_error(e) + ")");
}

inline void check(cudaError_t e, const std::string& call) { check(e, call.c_str()); }

}  // namespace bnb::kernels::cuda
