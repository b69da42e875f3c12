#pragma once
// max |x| over one block for one instruction set, exactly abs_max() of block_codec.hpp (NaNs do
// not take part). That
// portable loop does not vectorize (GCC keeps std::max's NaN rule scalar: one vmaxss per value,
// as costly as half the encoder), so the SIMD variants spell it out:
//   - vmaxps(v, m) returns its second operand when v is NaN, so m = vmaxps(|v|, m) skips NaNs
//     exactly as m = std::max(m, |v|) does;
//   - the maximum of non-NaN values does not depend on the order, so lanes and accumulators may
//     be combined in any order; fabs leaves no -0.
#include <algorithm>
#include <cmath>
#include <cstddef>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// The sequential rule, for tails and the scalar variant (kept here rather than calling
/// block_codec.hpp's inline abs_max, whose one linked copy serves every translation unit).
inline float sequential_abs_max(const float* x, std::size_t len) {
  float m = 0.0f;
  for (std::size_t i = 0; i < len; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

#if defined(__AVX512F__)
/// m = vmaxps(|v|, m): the fold of every vector loop here and in the steps (NaN lanes of v skipped).
[[gnu::always_inline]] inline __m512 fold_abs(__m512 v, __m512 m) {
  return _mm512_max_ps(_mm512_and_ps(v, _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff))), m);
}
#endif

#if defined(__AVX2__)
[[gnu::always_inline]] inline __m256 fold_abs(__m256 v, __m256 m) {
  return _mm256_max_ps(_mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))), m);
}

/// The largest of eight non-NaN lanes.
inline float fold_lanes(__m256 m) {
  __m128 v = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  v = _mm_max_ps(v, _mm_movehl_ps(v, v));
  v = _mm_max_ss(v, _mm_shuffle_ps(v, v, 1));
  return _mm_cvtss_f32(v);
}
#endif

inline float block_abs_max(const float* x, std::size_t len) {
#if defined(__AVX512F__)
  __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    m0 = fold_abs(_mm512_loadu_ps(x + i), m0);
    m1 = fold_abs(_mm512_loadu_ps(x + i + 16), m1);
  }
  for (; i < len; i += 16) {  // masked-off lanes load 0, which changes no maximum
    const std::size_t rest = len - i;
    const __mmask16 lanes = rest >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << rest) - 1u);
    m0 = fold_abs(_mm512_maskz_loadu_ps(lanes, x + i), m0);
  }
  // Folded through memory with 256-bit operations: GCC 12 flags the placeholder operand of the
  // 512-bit max/extract intrinsics as uninitialized when they are inlined here.
  alignas(64) float lanes[32];
  _mm512_store_ps(lanes, m0);
  _mm512_store_ps(lanes + 16, m1);
  return fold_lanes(_mm256_max_ps(_mm256_max_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)),
                                  _mm256_max_ps(_mm256_load_ps(lanes + 16), _mm256_load_ps(lanes + 24))));
#elif defined(__AVX2__)
  __m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    m0 = fold_abs(_mm256_loadu_ps(x + i), m0);
    m1 = fold_abs(_mm256_loadu_ps(x + i + 8), m1);
  }
  const float tail = sequential_abs_max(x + i, len - i);
  const float body = fold_lanes(_mm256_max_ps(m0, m1));
  return tail > body ? tail : body;
#else
  return sequential_abs_max(x, len);
#endif
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
