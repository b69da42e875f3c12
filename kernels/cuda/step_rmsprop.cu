// The CUDA kernels of RMSprop: every parameter dtype and state format (one file per algorithm so
// that the build compiles the instantiations in parallel).
#include "step_launch.cuh"

namespace bnb::kernels::cuda {

template <>
Launchers launchers_for<RMSprop>(DType dtype, StateFormat format) {
  return device::launchers_by_dtype<RMSprop>(dtype, format);
}

}  // namespace bnb::kernels::cuda
