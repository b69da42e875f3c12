#include "kernel_environment.hpp"

#include <stdexcept>
#include <string>

#include "bnb/errors.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"

namespace bnb::app {

void check_kernel_environment() {
  try {
    (void)kernels::active_variant();
    (void)kernels::preferred_encoder();
    (void)kernels::cpu_bf16_instructions();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("environment: ") + e.what());
  }
}

}  // namespace bnb::app
