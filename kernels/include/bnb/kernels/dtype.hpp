#pragma once
// Parameter/gradient storage types and their exact conversions to and from fp32.
// fp32 -> fp16/bf16 rounds to nearest, ties to even; NaN stays NaN (quiet, sign kept), Inf stays
// Inf, fp32 values beyond the 16-bit range become Inf as IEEE rounding says. The code is
// branch-light integer arithmetic so that GCC vectorizes it and CUDA runs it unchanged.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/bits.hpp"

namespace bnb {

enum class DType : std::uint8_t { f32, f16, bf16 };

/// Bytes of one element of a parameter or gradient stored as d.
constexpr std::size_t dtype_size(DType d) { return d == DType::f32 ? 4 : 2; }

/// IEEE binary16 storage.
struct half_t {
  std::uint16_t bits;
};
/// bfloat16 storage: the upper half of a binary32.
struct bf16_t {
  std::uint16_t bits;
};

}  // namespace bnb

namespace bnb::kernels {

BNB_HD float bf16_to_float(bf16_t h) { return bits_float(std::uint32_t{h.bits} << 16); }

BNB_HD bf16_t float_to_bf16(float f) {
  const std::uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep sign and top payload, force quiet
    return bf16_t{static_cast<std::uint16_t>((u >> 16) | 0x0040u)};
  }
  const std::uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
  return bf16_t{static_cast<std::uint16_t>(rounded >> 16)};
}

BNB_HD float half_to_float(half_t h) {
  const std::uint32_t sign = std::uint32_t{h.bits & 0x8000u} << 16;
  const std::uint32_t exponent = (h.bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = h.bits & 0x3ffu;
  if (exponent == 0x1fu) {  // Inf or NaN (payload kept, quiet bit set for NaN)
    return bits_float(sign | 0x7f800000u | (mantissa << 13) | (mantissa ? 0x00400000u : 0u));
  }
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in fp32
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return bits_float(sign | float_bits(magnitude));
  }
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

BNB_HD half_t float_to_half(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t a = u & 0x7fffffffu;
  std::uint32_t out;
  if (a > 0x7f800000u) {  // NaN
    out = 0x7e00u | ((a >> 13) & 0x3ffu);
  } else if (a >= 0x477ff000u) {  // >= 65520 rounds to Inf (and Inf itself)
    out = 0x7c00u;
  } else if (a < 0x38800000u) {  // below 2^-14: subnormal half. Adding 0.5 makes the FPU round
    // to a multiple of 2^-24 (the ulp of [0.5, 1)), ties to even, which is the half subnormal grid.
    const float shifted = bits_float(a) + 0.5f;
    out = float_bits(shifted) - 0x3f000000u;
  } else {  // normal: rebias and round the 13 dropped bits to nearest even
    const std::uint32_t odd = (a >> 13) & 1u;
    out = (a + 0xc8000fffu + odd) >> 13;  // 0xc8000000 = (15 - 127) << 23 mod 2^32
  }
  return half_t{static_cast<std::uint16_t>(out | sign)};
}

/// Loads a stored value as fp32 and stores fp32 back with round-to-nearest-even. round() is
/// what an update computes on (load(store(v))); round_result() rounds the parameter the
/// update leaves, which its caller then stores: the same rounding, kept apart so that a caller
/// whose store rounds anyway may skip it (store(round(v)) == store(v): the rounding is
/// idempotent; the CPU driver's staged 16-bit tensors, kernels/cpu/step_loops.hpp).
template <class T>
struct Storage;

template <>
struct Storage<float> {
  static constexpr DType dtype = DType::f32;
  BNB_HD static float load(float v) { return v; }
  BNB_HD static float store(float v) { return v; }
  BNB_HD static float round(float v) { return v; }
  BNB_HD static float round_result(float v) { return v; }
};
template <>
struct Storage<half_t> {
  static constexpr DType dtype = DType::f16;
  BNB_HD static float load(half_t v) { return half_to_float(v); }
  BNB_HD static half_t store(float v) { return float_to_half(v); }
  BNB_HD static float round(float v) { return half_to_float(float_to_half(v)); }
  BNB_HD static float round_result(float v) { return round(v); }
};
template <>
struct Storage<bf16_t> {
  static constexpr DType dtype = DType::bf16;
  BNB_HD static float load(bf16_t v) { return bf16_to_float(v); }
  BNB_HD static bf16_t store(float v) { return float_to_bf16(v); }
  BNB_HD static float round(float v) { return bf16_to_float(float_to_bf16(v)); }
  BNB_HD static float round_result(float v) { return round(v); }
};

}  // namespace bnb::kernels
