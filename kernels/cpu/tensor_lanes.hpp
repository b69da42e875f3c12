#pragma once
// 16 elements of an fp32, fp16 or bf16 tensor as one fp32 vector, and back: the single-pass 8-bit
// step (single_pass_step.hpp) widens 16-bit gradients and parameters 16 at a time and keeps the
// parameters in registers through the update (round 16: 2-4% faster than staging both through
// buffers as tensor_run does). The conversions are tensor_run's: exact widening, and the store
// rounds to nearest-even with dtype.hpp's NaN rule (quiet bit set, sign and upper payload kept),
// so the bits are those of StoredLaterStorage<T> + store_values (tensor_lanes_test: every 16-bit
// pattern and the floats around every rounding boundary; cpu_variants_test: the steps).
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "bnb/kernels/dtype.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

#if defined(__AVX512F__) && defined(__AVX512BW__)

/// The tensor types TensorLanes takes.
template <class T>
inline constexpr bool kLaneType = std::is_same_v<T, float> || std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>;

template <class T>
struct TensorLanes;

template <>
struct TensorLanes<float> {
  static __m512 load(const float* x) { return _mm512_loadu_ps(x); }
  static void store(float* x, __m512 v) { _mm512_storeu_ps(x, v); }
};

template <>
struct TensorLanes<half_t> {  // F16C's conversions: exact, and nearest-even (half_staging.hpp uses these)
  static __m512 load(const half_t* x) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))); }
  static void store(half_t* x, __m512 v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

template <>
struct TensorLanes<bf16_t> {  // float_to_bf16 (dtype.hpp) on 16 lanes
  static __m512 load(const bf16_t* x) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
  static void store(bf16_t* x, __m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i upper = _mm512_srli_epi32(u, 16);
    const __m512i odd = _mm512_and_si512(upper, _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd), 16);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    rounded = _mm512_mask_or_epi32(rounded, nan, upper, _mm512_set1_epi32(0x0040));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), _mm512_cvtepi32_epi16(rounded));
  }
};

#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
