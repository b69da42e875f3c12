#pragma once
// Emulation of parameter storage (SPEC.md §3): a double result rounded the way the product
// stores it — to binary32 first (the product computes in fp32), then to the 16-bit type with
// round-to-nearest-even. Written independently of the product's converters (bnb/kernels/dtype.hpp):
// fp16 goes through the compiler's _Float16, bf16 through an explicit rounding of the binary32
// bit pattern. Inline: the reference calls these once or twice per element and step.
#include <bit>
#include <cstdint>

#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

/// x rounded to binary32 (round-to-nearest-even; NaN and Inf kept).
inline double round_to_f32(double x) { return static_cast<double>(static_cast<float>(x)); }

/// x rounded to binary32, then to binary16 (overflow to Inf, subnormals kept): the compiler's
/// IEEE conversion, a different implementation from the product's integer converter.
inline double round_to_f16(double x) {
  const _Float16 h = static_cast<_Float16>(static_cast<float>(x));
  return static_cast<double>(static_cast<float>(h));
}

/// x rounded to binary32, then to bfloat16 (NaN stays NaN): keep the upper 16 bits of the
/// binary32 pattern, rounding the lower 16 to nearest, ties to the even upper half. A carry into
/// the exponent is the correct rounding up (to Inf beyond the largest bfloat16).
inline double round_to_bf16(double x) {
  const float f = static_cast<float>(x);
  if (f != f) return x;  // NaN
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t lower = bits & 0xffffu;
  std::uint32_t upper = bits & 0xffff0000u;
  const bool upper_odd = (bits & 0x10000u) != 0;
  if (lower > 0x8000u || (lower == 0x8000u && upper_odd)) upper += 0x10000u;
  return static_cast<double>(std::bit_cast<float>(upper));
}

/// The rounding for `kind` (f64: x unchanged).
inline double round_to_storage(double x, StorageKind kind) {
  switch (kind) {
    case StorageKind::f64: return x;
    case StorageKind::f32: return round_to_f32(x);
    case StorageKind::f16: return round_to_f16(x);
    case StorageKind::bf16: return round_to_bf16(x);
  }
  return x;
}

}  // namespace bnb_ref
