// Stands in for a CPU variant left out of this build (BNB_CPU_VARIANTS, kernels/CMakeLists.txt):
// compiled with BNB_CPU_VARIANT naming it, like step_variant.cpp. cpu_dispatch.cpp never lists
// such a variant as supported, so nothing reaches these unless it names the variant directly.
#include <memory>
#include <stdexcept>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"

#ifndef BNB_CPU_VARIANT
#error "BNB_CPU_VARIANT must name the variant namespace"
#endif

#define BNB_STRINGIFY_(x) #x
#define BNB_STRINGIFY(x) BNB_STRINGIFY_(x)

namespace bnb::kernels {
namespace {

[[noreturn]] void not_built() {
  throw std::logic_error("CPU variant '" BNB_STRINGIFY(BNB_CPU_VARIANT) "' is not built into this binary (BNB_CPU_VARIANTS)");
}

}  // namespace

// Qualified definitions: a signature that drifts from cpu_variant.hpp's declarations does not compile.
void BNB_CPU_VARIANT::step(const StepRequest&, StepReport&) { not_built(); }
double BNB_CPU_VARIANT::sum_squares(DType, const void*, std::size_t, int, const ShardFold*) { not_built(); }
std::unique_ptr<const PreparedCodec> BNB_CPU_VARIANT::prepare_codec(const QuantTable&) { not_built(); }

}  // namespace bnb::kernels
