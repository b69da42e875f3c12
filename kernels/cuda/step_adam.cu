// The CUDA kernels of Adam: every parameter dtype and state format (one file per algorithm so
// that the build compiles the instantiations in parallel).
#include "step_launch.cuh"

namespace bnb::kernels::cuda {

template <>
Launchers launchers_for<Adam>(DType dtype, StateFormat format) {
  return device::launchers_by_dtype<Adam>(dtype, format);
}

}  // namespace bnb::kernels::cuda
