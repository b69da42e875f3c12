#pragma once
// Emulation of parameter storage (SPEC.md §3): a double result rounded the way the product
// stores it — to binary32 first (the product computes in fp32), then to the 16-bit type with
// round-to-nearest-even. Written independently of the product's converters (bnb/kernels/dtype.hpp):
// fp16 by arithmetic on the binary16 grid (no bit patterns; portable, where _Float16 is not:
// clang 14 rejects it on x86), bf16 by an explicit rounding of the binary32 bit pattern. Inline:
// the reference calls these once or twice per element and step.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

/// x rounded to binary32 (round-to-nearest-even; NaN and Inf kept).
inline double round_to_f32(double x) { return static_cast<double>(static_cast<float>(x)); }

/// x rounded to binary32, then to binary16 (overflow to Inf, subnormals kept, NaN and signed
/// zero kept): the value divided by the binary16 spacing at its magnitude is rounded to an
/// integer, ties to even (exact in double: the spacing is a power of two). Equal to the IEEE
/// conversion (_Float16) for every binary32 value, checked exhaustively when this was written.
inline double round_to_f16(double x) {
  constexpr int kMinNormalExponent = -14;  // binary16: 2^-14 .. 65504; below, spacing 2^-24
  constexpr int kMantissaBits = 10;
  constexpr double kMaxFinite = 65504.0;
  const double f = static_cast<double>(static_cast<float>(x));
  if (!std::isfinite(f) || f == 0) return f;
  int exponent = 0;
  (void)std::frexp(f, &exponent);  // |f| = m * 2^exponent, m in [0.5, 1)
  const double spacing = std::ldexp(1.0, std::max(exponent - 1, kMinNormalExponent) - kMantissaBits);
  const double r = std::nearbyint(f / spacing) * spacing;
  return std::fabs(r) > kMaxFinite ? std::copysign(HUGE_VAL, f) : r;
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
