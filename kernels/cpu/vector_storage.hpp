#pragma once
// Storage conversions for the CPU driver, written as selects instead of branches so that GCC
// vectorizes the loops that call them. They return exactly what Storage<T> (dtype.hpp) returns
// for every input, bit for bit (checked over all 2^16 halves and 2^32 floats when written, and
// on a sample by cpu_variants_test); only the half type needs them: float and bf16 are already
// branch-free.
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// half_to_float() with every case computed and the right one selected.
inline float half_to_float_select(half_t h) {
  const std::uint32_t bits = h.bits;
  const std::uint32_t sign = (bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  const std::uint32_t normal = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  const std::uint32_t inf_nan = sign | 0x7f800000u | (mantissa << 13) | (mantissa != 0 ? 0x00400000u : 0u);
  const std::uint32_t subnormal =
      sign | float_bits(static_cast<float>(static_cast<std::int32_t>(mantissa)) * 5.9604644775390625e-8f);
  return bits_float(exponent == 0x1fu ? inf_nan : exponent == 0 ? subnormal : normal);
}

/// float_to_half() with every case computed and the right one selected.
inline half_t float_to_half_select(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t a = u & 0x7fffffffu;
  const std::uint32_t nan = 0x7e00u | ((a >> 13) & 0x3ffu);
  const std::uint32_t subnormal = float_bits(bits_float(a) + 0.5f) - 0x3f000000u;
  const std::uint32_t normal = (a + 0xc8000fffu + ((a >> 13) & 1u)) >> 13;
  const std::uint32_t out = a > 0x7f800000u ? nan : a >= 0x477ff000u ? 0x7c00u : a < 0x38800000u ? subnormal : normal;
  return half_t{static_cast<std::uint16_t>(out | sign)};
}

/// half_to_float(float_to_half(f)) in float arithmetic: round to nearest-even at the half
/// grid by adding and subtracting 1.5 * 2^(e+13) (e the half exponent of f, clamped to the
/// subnormal and top binades), which puts the sum's last bit on the half's ulp and keeps the
/// sum in one binade, so the float addition does the rounding; then the cases it cannot do:
/// overflow to infinity, NaN (quieted, low payload bits dropped as float_to_half does) and the
/// sign of zero. Half the operations of the two conversions; bit-identical to them for every
/// float (checked exhaustively when written, on a sample by cpu_variants_test).
inline float round_to_half_select(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = u & 0x80000000u;
  const std::uint32_t a = u & 0x7fffffffu;
  std::uint32_t e = a >> 23;
  e = e < 113u ? 113u : e > 142u ? 142u : e;  // half exponents -14 (subnormals too) .. 15
  const float shift = bits_float(sign | (e + 13u) << 23 | 0x00400000u);
  const std::uint32_t rounded = sign | (float_bits((f + shift) - shift) & 0x7fffffffu);
  const std::uint32_t nan = sign | 0x7fc00000u | (a & 0x007fe000u);
  const std::uint32_t out = a > 0x7f800000u ? nan : a >= 0x477ff000u ? (sign | 0x7f800000u) : rounded;
  return bits_float(out);
}

/// Storage<T> for the driver: Storage<T> itself, except for half.
template <class T>
struct VectorStorage : Storage<T> {};

template <>
struct VectorStorage<half_t> {
  static float load(half_t v) { return half_to_float_select(v); }
  static half_t store(float v) { return float_to_half_select(v); }
  static float round(float v) { return round_to_half_select(v); }
};

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
