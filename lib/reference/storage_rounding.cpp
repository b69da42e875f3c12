#include "bnb_ref/storage_rounding.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

namespace bnb_ref {

double round_to_f32(double x) { return static_cast<double>(static_cast<float>(x)); }

double round_to_f16(double x) {
  // The compiler's binary16 conversion (IEEE round-to-nearest-even), a different implementation
  // from the product's integer converter.
  const _Float16 h = static_cast<_Float16>(static_cast<float>(x));
  return static_cast<double>(static_cast<float>(h));
}

double round_to_bf16(double x) {
  const float f = static_cast<float>(x);
  if (std::isnan(f)) return static_cast<double>(f);
  // Keep the upper 16 bits of the binary32 pattern, rounding the lower 16 to nearest, ties to
  // the even upper half. A carry into the exponent is the correct rounding up (to Inf beyond the
  // largest bfloat16).
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t lower = bits & 0xffffu;
  std::uint32_t upper = bits & 0xffff0000u;
  const bool upper_odd = (bits & 0x10000u) != 0;
  if (lower > 0x8000u || (lower == 0x8000u && upper_odd)) upper += 0x10000u;
  return static_cast<double>(std::bit_cast<float>(upper));
}

double round_to_storage(double x, StorageKind kind) {
  switch (kind) {
    case StorageKind::f64: return x;
    case StorageKind::f32: return round_to_f32(x);
    case StorageKind::f16: return round_to_f16(x);
    case StorageKind::bf16: return round_to_bf16(x);
  }
  return x;
}

}  // namespace bnb_ref
