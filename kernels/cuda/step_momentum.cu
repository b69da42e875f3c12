// The CUDA kernels of Momentum: every parameter dtype and state format (one file per algorithm so
// that the build compiles the instantiations in parallel).
#include "step_launch.cuh"

namespace bnb::kernels::cuda {

template <>
Launchers launchers_for<Momentum>(DType dtype, StateFormat format) {
  return device::launchers_by_dtype<Momentum>(dtype, format);
}

}  // namespace bnb::kernels::cuda
