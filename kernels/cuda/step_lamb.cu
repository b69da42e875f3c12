// The CUDA kernels of Lamb: every parameter dtype and state format (one file per algorithm so
// that the build compiles the instantiations in parallel).
#include "step_launch.cuh"

namespace bnb::kernels::cuda {

template <>
Launchers launchers_for<Lamb>(DType dtype, StateFormat format) {
  return device::launchers_by_dtype<Lamb>(dtype, format);
}

}  // namespace bnb::kernels::cuda
