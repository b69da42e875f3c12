#pragma once
// The CPU step's 4-bit encode and decode (docs/four_bit.md) with AVX-512 where the variant has
// it: the 16-entry map and the 15 thresholds each fit one zmm register, so the decode is a
// permute (vpermps) instead of a gather, and the code of y is found by a 4-step binary search
// over the thresholds (permute + compare) instead of 15 compares. Both give the portable loops'
// bits (bnb/kernels/nibble_codec.hpp): the same fp32 division and multiplication, and the number
// of ascending thresholds at or below y is what the binary search returns. Other variants and
// the tails (fewer than 32 elements) run the portable loops.
#include <cstddef>
#include <cstdint>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#endif

#include "bnb/kernels/nibble_codec.hpp"
#include "bnb/kernels/scale16.hpp"
#include "block_abs_max.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)

/// Decodes len elements (codes from the low nibble of bytes[0]) into values[code] * scale.
inline void decode_nibble_run(const QuantTable& t, const std::uint8_t* bytes, std::size_t len, float scale, float* out) {
  const __m512 values = _mm512_loadu_ps(t.values);
  const __m512 s = _mm512_set1_ps(scale);
  const __m128i low4 = _mm_set1_epi8(15);
  std::size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i / 2));
    const __m128i lo = _mm_and_si128(b, low4);                     // even elements
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4);  // odd elements
    const __m128i first = _mm_unpacklo_epi8(lo, hi);               // elements i .. i+15
    const __m128i second = _mm_unpackhi_epi8(lo, hi);              // elements i+16 .. i+31
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(first), values), s));
    _mm512_storeu_ps(out + i + 16, _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(second), values), s));
  }
  if (i < len) decode_nibbles(t, bytes + i / 2, len - i, scale, out + i);
}

/// Codes of 16 values y: the number of thresholds at or below y (binary search over the 15
/// ascending ones, the 16th lane +Inf so it is never counted); NaN gives the zero code.
inline __m512i nibble_codes16(__m512 y, __m512 upper, __m512i zero) {
  __m512i code = _mm512_setzero_si512();
  for (int step = 8; step >= 1; step /= 2) {
    const __m512i candidate = _mm512_add_epi32(code, _mm512_set1_epi32(step));
    const __m512 threshold = _mm512_permutexvar_ps(_mm512_sub_epi32(candidate, _mm512_set1_epi32(1)), upper);
    code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, threshold, _CMP_GE_OQ), candidate);
  }
  return _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), zero);
}

/// Codes of x[i] / scale into len nibbles from the low nibble of out[0] (scale != 0 handled as
/// the portable encode does).
inline void encode_nibble_run(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  if (scale == 0.0f || len < 32) {
    encode_nibbles(t, x, len, scale, out);
    return;
  }
  alignas(64) float thresholds[kNibbleCodes];
  for (int j = 0; j < kNibbleCodes - 1; ++j) thresholds[j] = t.upper[j];
  thresholds[kNibbleCodes - 1] = __builtin_inff();
  const __m512 upper = _mm512_load_ps(thresholds);
  const __m512i zero = _mm512_set1_epi32(t.zero_code);
  const __m512 s = _mm512_set1_ps(scale);
  const __m256i low4 = _mm256_set1_epi16(0x000f);
  const __m256i high4 = _mm256_set1_epi16(0x00f0);
  std::size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    const __m128i first = _mm512_cvtepi32_epi8(nibble_codes16(_mm512_div_ps(_mm512_loadu_ps(x + i), s), upper, zero));
    const __m128i second =
        _mm512_cvtepi32_epi8(nibble_codes16(_mm512_div_ps(_mm512_loadu_ps(x + i + 16), s), upper, zero));
    // 16-bit lane k holds codes 2k (low byte) and 2k+1 (high byte): pack them into one byte.
    const __m256i pairs = _mm256_inserti128_si256(_mm256_castsi128_si256(first), second, 1);
    const __m256i packed = _mm256_or_si256(_mm256_and_si256(pairs, low4), _mm256_and_si256(_mm256_srli_epi16(pairs, 4), high4));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i / 2), _mm256_cvtepi16_epi8(packed));
  }
  if (i < len) encode_nibbles(t, x + i, len - i, scale, out + i / 2);
}

#else

inline void decode_nibble_run(const QuantTable& t, const std::uint8_t* bytes, std::size_t len, float scale, float* out) {
  decode_nibbles(t, bytes, len, scale, out);
}

inline void encode_nibble_run(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  encode_nibbles(t, x, len, scale, out);
}

#endif

/// Elements of one step unit of the 4-bit state: four 64-element scale blocks, so the per-unit
/// work of the step (decode calls, prefetch, the update loop's set-up) is paid once per 256.
inline constexpr std::size_t kNibbleStepUnit = 256;

/// The encode of one step unit of `len` new values starting at element `begin` (a multiple of
/// the scale block): per scale block, the bf16 absmax rounded up (stored), then the codes.
inline void encode_nibble_blocks(const QuantTable& t, const float* x, std::size_t len, std::size_t scale_block,
                                 float* scales, std::size_t begin, std::uint8_t* codes) {
  for (std::size_t i = 0; i < len; i += scale_block) {
    const std::size_t run = len - i < scale_block ? len - i : scale_block;
    const float scale = bf16_at_least(block_abs_max(x + i, run));
    store_scale16(scales, (begin + i) / scale_block, scale);
    encode_nibble_run(t, x + i, run, scale, codes + (begin + i) / 2);
  }
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
