#pragma once
// The CPU step's fp8 (e4m3) encode and decode (docs/fp8.md) with AVX-512 where the variant has
// it: the portable loops of bnb/kernels/e4m3_codec.hpp written 16 lanes at a time with masks
// for the selects. GCC vectorizes the portable loops, but turns their selects into
// mask-register traffic and spills that cost more than the arithmetic (the fp8 step was 1.45x
// the 8-bit one). Every operation is the portable one (the same fp32 division, addition and
// multiplication, the same integer rounding), so every variant gives the scalar variant's bits.
// Other variants and the tails (fewer than 16 elements) run the portable loops.
#include <cstddef>
#include <cstdint>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define BNB_E4M3_AVX512 1
#endif

#include "bnb/kernels/e4m3_codec.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

#if BNB_E4M3_AVX512

/// e4m3_code of 16 values y (the portable rule, lane by lane).
template <bool kKeepPositive>
inline __m128i e4m3_codes16(__m512 y) {
  const __m512i bits = _mm512_castps_si512(y);
  const __m512i a = _mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF));
  // Subnormal range: |y| + 2^14 rounds to a multiple of 2^-9.
  const __m512 biased = _mm512_add_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(16384.0f));
  const __m512i sub = _mm512_sub_epi32(_mm512_castps_si512(biased), _mm512_set1_epi32(0x46800000));
  // Normal range: round away 20 mantissa bits to nearest even, rebias, saturate at 0x7E.
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(a, 20), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(a, _mm512_set1_epi32(0x7FFFF)), odd), 20);
  const __m512i normal = _mm512_min_epu32(_mm512_sub_epi32(rounded, _mm512_set1_epi32(120 << 3)),
                                          _mm512_set1_epi32(kE4m3MaxCode));
  __m512i mag = _mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(0x3C800000)), normal, sub);
  const __m512i zero = _mm512_setzero_si512();
  if constexpr (kKeepPositive) {  // y > 0 takes at least the smallest code
    mag = _mm512_mask_max_epu32(mag, _mm512_cmpgt_epi32_mask(bits, zero), mag, _mm512_set1_epi32(kE4m3SmallestCode));
  }
  mag = _mm512_maskz_mov_epi32(_mm512_cmple_epu32_mask(a, _mm512_set1_epi32(0x7F800000)), mag);  // NaN: 0
  const __mmask16 negative = _mm512_mask_test_epi32_mask(_mm512_cmplt_epi32_mask(bits, zero), mag, mag);
  mag = _mm512_mask_or_epi32(mag, negative, mag, _mm512_set1_epi32(0x80));
  return _mm512_cvtepi32_epi8(mag);
}

/// encode_e4m3_run (e4m3_codec.hpp) 16 lanes at a time; the tail runs the portable loop.
template <bool kKeepPositive>
inline void encode_e4m3_lanes(const float* x, std::size_t len, float scale, std::uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale);
  std::size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m512 y = _mm512_div_ps(_mm512_loadu_ps(x + i), s);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), e4m3_codes16<kKeepPositive>(y));
  }
  if (i < len) encode_e4m3_run<kKeepPositive>(x + i, len - i, scale, out + i);
}

/// e4m3_value(code) * scale of 16 codes (the portable construction, lane by lane).
inline __m512 e4m3_values16(__m128i codes, __m512 scale) {
  const __m512i c = _mm512_cvtepu8_epi32(codes);
  const __m512i mag = _mm512_and_si512(c, _mm512_set1_epi32(0x7F));
  const __m512i normal = _mm512_add_epi32(_mm512_slli_epi32(mag, 20), _mm512_set1_epi32(120 << 23));
  // Subnormal codes: exponent 1 instead of 0, then 2^-6 taken off.
  const __mmask16 subnormal = _mm512_cmplt_epu32_mask(mag, _mm512_set1_epi32(8));
  const __m512i one_up = _mm512_add_epi32(normal, _mm512_set1_epi32(1 << 23));
  __m512 v = _mm512_mask_sub_ps(_mm512_castsi512_ps(normal), subnormal, _mm512_castsi512_ps(one_up),
                                _mm512_set1_ps(0.015625f));
  v = _mm512_mask_mov_ps(v, _mm512_cmpeq_epi32_mask(mag, _mm512_set1_epi32(0x7F)),
                         _mm512_castsi512_ps(_mm512_set1_epi32(0x7FC00000)));
  // The sign: the code's bit 7 to bit 31 (0xF8: A | (B & C) with B = c << 24, C = bit 31).
  const __m512i sign = _mm512_slli_epi32(c, 24);
  const __m512i signed_bits = _mm512_ternarylogic_epi32(_mm512_castps_si512(v), sign,
                                                        _mm512_set1_epi32(static_cast<int>(0x80000000u)), 0xF8);
  return _mm512_mul_ps(_mm512_castsi512_ps(signed_bits), scale);
}

/// decode_e4m3 (e4m3_codec.hpp) 16 lanes at a time; the tail runs the portable loop.
inline void decode_e4m3_lanes(const std::uint8_t* codes, std::size_t len, float scale, float* out) {
  const __m512 s = _mm512_set1_ps(scale);
  std::size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    _mm512_storeu_ps(out + i, e4m3_values16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)), s));
  }
  if (i < len) decode_e4m3(codes + i, len - i, scale, out + i);
}

#endif

/// Codes of x[i] / scale for len elements (encode_e4m3's contract), SIMD where the variant has it.
inline void encode_e4m3_simd(const float* x, std::size_t len, float scale, bool keep_positive, std::uint8_t* out) {
#if BNB_E4M3_AVX512
  if (scale != 0.0f) {
    if (keep_positive) {
      encode_e4m3_lanes<true>(x, len, scale, out);
    } else {
      encode_e4m3_lanes<false>(x, len, scale, out);
    }
    return;
  }
#endif
  encode_e4m3(x, len, scale, keep_positive, out);
}

/// decode_e4m3's contract, SIMD where the variant has it.
inline void decode_e4m3_simd(const std::uint8_t* codes, std::size_t len, float scale, float* out) {
#if BNB_E4M3_AVX512
  decode_e4m3_lanes(codes, len, scale, out);
#else
  decode_e4m3(codes, len, scale, out);
#endif
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
