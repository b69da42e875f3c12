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

/// The magnitude code (0 to 0x7E) of a = the bits of |y|, y not NaN. Written for the
/// vectorizer: each case is plain integer or float arithmetic and the cases join by selects.
BNB_HD std::uint32_t e4m3_magnitude(std::uint32_t a) {
  // Below 2^-6 (e4m3's subnormals, steps of 2^-9): |y| + 2^14 rounds |y| to a multiple of
  // 2^-9 (fp32's spacing at 2^14), ties to even, in one rounding; the multiple is the code.
  const std::uint32_t sub = float_bits(bits_float(a) + 16384.0f) - 0x46800000u;
  // Normal numbers: drop 20 of fp32's 23 mantissa bits with round-to-nearest-even (a carry
  // into the exponent is the right result), then rebias the exponent from 127 to 7.
  const std::uint32_t normal = ((a + 0x7FFFFu + ((a >> 20) & 1u)) >> 20) - (120u << 3);
  return a < 0x3C800000u ? sub : normal < kE4m3MaxCode ? normal : kE4m3MaxCode;
}

/// The e4m3 code of y (see the file comment); NaN gives code 0. `keep_positive`: the rule of
/// non-negative rows (a positive y never becomes 0). No compound conditions: GCC turns those
/// into mask-register traffic that cost more than the arithmetic.
BNB_HD std::uint8_t e4m3_code(float y, bool keep_positive) {
  const std::uint32_t bits = float_bits(y);
  const std::uint32_t a = bits & 0x7FFFFFFFu;  // |y|
  std::uint32_t mag = e4m3_magnitude(a);
  // Non-negative rows: a y > 0 (sign clear, not 0) takes at least the smallest code.
  const std::uint32_t positive = static_cast<std::int32_t>(bits) > 0 ? 1u : 0u;
  const std::uint32_t least = static_cast<std::uint32_t>(keep_positive) & positive;
  mag = mag > least ? mag : least;
  mag = a > 0x7F800000u ? 0u : mag;  // NaN
  // The sign only on a nonzero magnitude: bit 7 of mag + 0x7F is set exactly when mag >= 1.
  return static_cast<std::uint8_t>(mag | ((bits >> 24) & (mag + 0x7Fu) & 0x80u));
}

/// The value of an e4m3 code (exact); NaN for 0x7F and 0xFF. The code's exponent and mantissa
/// bits go under fp32's with the bias moved from 7 to 127; a subnormal code (exponent 0) is
/// read with exponent 1 instead and 2^-6 taken off again (exact): m * 2^-9.
BNB_HD float e4m3_value(std::uint8_t code) {
  const std::uint32_t c = code;
  const std::uint32_t mag = c & 0x7Fu;
  const std::uint32_t normal = (mag << 20) + (120u << 23);
  float v = mag < 8u ? bits_float(normal + (1u << 23)) - 0.015625f : bits_float(normal);
  v = mag == 0x7Fu ? bits_float(0x7FC00000u) : v;
  return bits_float(float_bits(v) | ((c & 0x80u) << 24));
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

/// Codes of x[i] / scale for len elements, keep_positive a constant (one loop per case).
template <bool kKeepPositive>
static inline void encode_e4m3_run(const float* x, std::size_t len, float scale, std::uint8_t* out) {
  for (std::size_t i = 0; i < len; ++i) out[i] = e4m3_code(x[i] / scale, kKeepPositive);
}

/// Codes of x[i] / scale for len elements; a zero scale stores code 0 everywhere.
static inline void encode_e4m3(const float* x, std::size_t len, float scale, bool keep_positive, std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < len; ++i) out[i] = 0;
  } else if (keep_positive) {
    encode_e4m3_run<true>(x, len, scale, out);
  } else {
    encode_e4m3_run<false>(x, len, scale, out);
  }
}

/// Decodes len codes: e4m3_value(code) * scale, computed from the code's bits (integer
/// instructions and selects that vectorize; a 256-entry table look-up needs gathers).
static inline void decode_e4m3(const std::uint8_t* codes, std::size_t len, float scale, float* out) {
  for (std::size_t i = 0; i < len; ++i) out[i] = e4m3_value(codes[i]) * scale;
}

}  // namespace bnb::kernels
