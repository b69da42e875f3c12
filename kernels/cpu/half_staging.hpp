#pragma once
// fp16 tensors staged through fp32 buffers, for the loops that GCC will not vectorize with the
// half conversions inline (the select-based conversions of vector_storage.hpp vectorize in a
// short loop of their own, not inside an optimizer update: fp16 Adam with fp32 state ran 10x
// the fp32 time on the Intel machine). With F16C (every AVX2/AVX-512 variant) the conversions
// are the hardware's vcvtph2ps / vcvtps2ph (16 lanes with AVX-512), which are exact and round
// to nearest-even, with the same NaN rule as dtype.hpp (quiet bit set, upper payload bits
// kept): bit-identical to Storage<half_t>, checked for every half and a sweep of floats by
// half_staging_test.
#include <cstddef>

#if defined(__F16C__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "bnb/kernels/dtype.hpp"
#include "tensor_lanes.hpp"
#include "vector_storage.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// dst[i] = float(src[i]) * scale (scale = 1 is exact: x * 1 == x for every non-NaN x).
inline void halves_to_floats(const half_t* src, float* dst, std::size_t len, float scale) {
  std::size_t i = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__)
  const __m512 vscale16 = _mm512_set1_ps(scale);
  for (; i + 16 <= len; i += 16) _mm512_storeu_ps(dst + i, _mm512_mul_ps(TensorLanes<half_t>::load(src + i), vscale16));
#endif
#if defined(__F16C__)
  const __m256 vscale = _mm256_set1_ps(scale);
  for (; i + 8 <= len; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_cvtph_ps(h), vscale));
  }
#endif
  for (; i < len; ++i) dst[i] = half_to_float_select(src[i]) * scale;
}

/// dst[i] = half(src[i]), rounded to nearest-even.
inline void floats_to_halves(const float* src, half_t* dst, std::size_t len) {
  std::size_t i = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__)
  for (; i + 16 <= len; i += 16) TensorLanes<half_t>::store(dst + i, _mm512_loadu_ps(src + i));
#endif
#if defined(__F16C__)
  for (; i + 8 <= len; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
#endif
  for (; i < len; ++i) dst[i] = float_to_half_select(src[i]);
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
