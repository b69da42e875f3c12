#pragma once
// The fp8 block-wise codec (docs/fp8.md): one e4m3 code per element (bit 7 sign, bits 6-3 the
// exponent with bias 7, bits 2-0 the mantissa; no infinities, 0x7F/0xFF are NaN, largest 448)
// and one fp32 scale per block, scale = absmax / 448. The code of y = x / scale is y rounded to
// the nearest e4m3 number, ties to even mantissa, saturating at 448, computed with integer
// operations on y's bits (exact, no table); rows of non-negative states (Adam's v) keep a
// positive y that would round to 0 at the smallest subnormal, 2^-9, so that a small element's
// denominator never collapses to eps. Host and device code: every CPU variant and the CUDA step
// compute the same bits. The run functions have internal linkage (static): each translation
// unit, compiled with its variant's flags, keeps its own vectorized copy.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/hd.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

inline constexpr float kE4m3Max = 448.0f;
inline constexpr std::uint8_t kE4m3MaxCode = 0x7E;  // 448; 0x7F is NaN
inline constexpr std::uint8_t kE4m3SmallestCode = 0x01;  // 2^-9

/// The scale stored for a block whose new values have max |x| = absmax.
BNB_HD float e4m3_scale(float absmax) { return absmax / kE4m3Max; }

/// The e4m3 code of y (see the file comment); NaN gives code 0. `keep_positive`: the rule of
/// non-negative rows (a positive y never becomes 0).
BNB_HD std::uint8_t e4m3_code(float y, bool keep_positive) {
  const std::uint32_t bits = float_bits(y);
  const std::uint32_t a = bits & 0x7FFFFFFFu;  // |y|
  // Below 2^-6 (e4m3's subnormals, steps of 2^-9): |y| * 2^9 rounded to an integer, ties to
  // even, by adding 2^23 (exact product, one rounding); the integer is the code (8 = 2^-6).
  const std::uint32_t sub = float_bits(bits_float(a) * 512.0f + 8388608.0f) - 0x4B000000u;
  // Normal numbers: drop 20 of fp32's 23 mantissa bits with round-to-nearest-even (a carry
  // into the exponent is the right result), then rebias the exponent from 127 to 7.
  const std::uint32_t rounded = (a + 0x7FFFFu + ((a >> 20) & 1u)) >> 20;
  const std::uint32_t normal = rounded - (120u << 3);
  std::uint32_t mag = a < 0x3C800000u ? sub : normal < kE4m3MaxCode ? normal : kE4m3MaxCode;
  mag = keep_positive && mag == 0u && a != 0u && bits == a ? kE4m3SmallestCode : mag;
  mag = a > 0x7F800000u ? 0u : mag;  // NaN
  const std::uint32_t sign = mag != 0u ? (bits >> 24) & 0x80u : 0u;
  return static_cast<std::uint8_t>(mag | sign);
}

/// The value of an e4m3 code (exact); NaN for 0x7F and 0xFF.
BNB_HD float e4m3_value(std::uint8_t code) {
  const std::uint32_t mag = code & 0x7Fu;
  const std::uint32_t exponent = mag >> 3;
  const std::uint32_t mantissa = mag & 7u;
  float v = exponent == 0u ? static_cast<float>(mantissa) * 0.001953125f  // m * 2^-9
                           : bits_float(((exponent + 120u) << 23) | (mantissa << 20));
  v = mag == 0x7Fu ? bits_float(0x7FC00000u) : v;
  return (code & 0x80u) != 0u ? -v : v;
}

/// The e4m3 values as a QuantTable (host only): values[code] decodes (the step's look-up, the
/// CUDA step's device table), is_signed = false marks non-negative rows; the search thresholds
/// are unused.
inline QuantTable make_e4m3_table(bool is_signed) {
  QuantTable t{};
  for (int c = 0; c < 256; ++c) {
    t.values[c] = e4m3_value(static_cast<std::uint8_t>(c));
    t.upper[c] = INFINITY;
  }
  t.is_signed = is_signed;
  t.zero_code = 0;
  return t;
}

/// Codes of x[i] / scale for len elements; a zero scale stores code 0 everywhere.
static inline void encode_e4m3(const float* x, std::size_t len, float scale, bool keep_positive, std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < len; ++i) out[i] = 0;
    return;
  }
  for (std::size_t i = 0; i < len; ++i) out[i] = e4m3_code(x[i] / scale, keep_positive);
}

/// Decodes len codes: e4m3_value(code) * scale, computed from the code's bits (integer and
/// conversion instructions that vectorize; a 256-entry table look-up needs gathers).
static inline void decode_e4m3(const std::uint8_t* codes, std::size_t len, float scale, float* out) {
  for (std::size_t i = 0; i < len; ++i) out[i] = e4m3_value(codes[i]) * scale;
}

}  // namespace bnb::kernels
