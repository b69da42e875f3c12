#pragma once
// Storage conversions for the CPU driver, written as selects instead of branches so that GCC
// vectorizes the loops that call them. They return exactly what Storage<T> (dtype.hpp) returns
// for every input, bit for bit (checked over all 2^16 halves and 2^32 floats when written, and
// on a sample by cpu_variants_test); float needs none, bf16 only its rounding (below).
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

/// half_to_float(float_to_half(f)) in float arithmetic: round |f| to nearest-even at the half
/// grid by adding and subtracting 1.5 * 2^(e+13) (e the exponent of |f|, at least the half's
/// -14, so subnormal halves round on their fixed 2^-24 grid), which puts the sum's last bit on
/// the half's ulp and keeps the sum in one binade, so the float addition does the rounding.
/// The shift is the exponent bits times 1.5 * 2^13 (exact; Inf for a NaN, Inf or huge f).
/// Then: the sign put back (also on a zero result), the low 13 bits cleared (zero for every
/// rounded value; a NaN, which the addition returned quieted, keeps its top 10 payload bits as
/// float_to_half does), and |f| >= 65520 (Inf and the huge f whose shift overflowed included)
/// to a signed Inf. About half the vector operations of an integer exponent clamp (both fp16
/// roundings of an Adam step run inside its update loop); bit-identical to the two conversions
/// for every float (checked exhaustively when written, on a sample by cpu_variants_test).
inline float round_to_half_select(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = u & 0x80000000u;
  const std::uint32_t exponent = u & 0x7f800000u;
  const float shift = bits_float(exponent > 0x38800000u ? exponent : 0x38800000u) * 12288.0f;
  const float a = bits_float(u & 0x7fffffffu);
  const std::uint32_t rounded = (float_bits((a + shift) - shift) & 0xffffe000u) | sign;
  return a >= 65520.0f ? bits_float(sign | 0x7f800000u) : bits_float(rounded);
}

/// bf16_to_float(float_to_bf16(f)) on 32-bit lanes only: the same carry into bit 16 and NaN
/// rule as dtype.hpp, without its 16-bit intermediate (GCC packed it to 16-bit lanes and back
/// inside the update loop: ~12 vector operations per rounding where this is ~7).
inline float round_to_bf16_select(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t r = (u & 0x7fffffffu) > 0x7f800000u ? u | 0x00400000u : u + 0x7fffu + ((u >> 16) & 1u);
  return bits_float(r & 0xffff0000u);
}

/// Storage<T> for the driver: Storage<T> itself, except for half and bf16's rounding.
template <class T>
struct VectorStorage : Storage<T> {};

template <>
struct VectorStorage<half_t> {
  static float load(half_t v) { return half_to_float_select(v); }
  static half_t store(float v) { return float_to_half_select(v); }
  static float round(float v) { return round_to_half_select(v); }
  static float round_result(float v) { return round_to_half_select(v); }
};

template <>
struct VectorStorage<bf16_t> : Storage<bf16_t> {
  static float round(float v) { return round_to_bf16_select(v); }
  static float round_result(float v) { return round_to_bf16_select(v); }
};

/// VectorStorage<T> for a parameter that its caller then stores to T with store_values
/// (step_loops.hpp): the update's last rounding is left to that store, which rounds to
/// nearest-even as round() does, with the same NaN rule (store(v) == store(round(v)) for every
/// float: the rounding is idempotent). With weight decay Adam rounds twice per element; the
/// first, which the decay multiplies, stays.
template <class T>
struct StoredLaterStorage : VectorStorage<T> {
  static float round_result(float v) { return v; }
};

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
