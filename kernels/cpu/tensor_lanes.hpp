#pragma once
// 16 elements of an fp32, fp16 or bf16 tensor as one fp32 vector, and back: the single-pass 8-bit
// step (single_pass_step.hpp) widens 16-bit gradients and parameters 16 at a time and keeps the
// parameters in registers through the update (round 16: 2-4% faster than staging both through
// buffers as tensor_run does). The conversions are tensor_run's: exact widening, and the store
// rounds to nearest-even with dtype.hpp's NaN rule (quiet bit set, sign and upper payload kept),
// so the bits are those of StoredLaterStorage<T> + store_values; round() is the store and the
// load in one (VectorStorage<T>::round's bits), for the weight decay's rounding inside the step
// (tensor_lanes_test: every 16-bit pattern and the floats around every rounding boundary;
// cpu_variants_test: the steps).
//
// Bf16InstructionLanes: the bf16 conversions by AVX512_BF16's vcvtneps2bf16 (Zen 4, Sapphire
// Rapids), one instruction for ~8 integer operations (round 17: bf16 8-bit Adam -6%). It rounds
// as float_to_bf16 does, NaN rule included, except that it reads subnormal inputs as zero: a
// vector that holds one takes the integer conversion (tensor_lanes_test compares the two on every
// float). Compiled where the variant's flags enable AVX512_BF16, used only where the CPU has it
// (cpu_bf16_instructions()); GCC emits these instructions for no other code (it has no bf16
// arithmetic type in use here), so the variant runs on CPUs without them.
#include <bit>
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
  static __m512 round(__m512 v) { return v; }
};

template <>
struct TensorLanes<half_t> {  // F16C's conversions: exact, and nearest-even (half_staging.hpp uses these)
  static __m512 widen(__m256i h) { return _mm512_cvtph_ps(h); }
  static __m256i narrow(__m512 v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static __m512 load(const half_t* x) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))); }
  static void store(half_t* x, __m512 v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), narrow(v)); }
  static __m512 round(__m512 v) { return widen(narrow(v)); }
};

template <>
struct TensorLanes<bf16_t> {  // float_to_bf16 (dtype.hpp) on 16 lanes
  /// 16 bf16 values as floats (exact: the bits in the upper half of each lane).
  static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m512 load(const bf16_t* x) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))); }
  static void store(bf16_t* x, __m512 v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded_bits(v), 16)));
  }
  /// The bf16 value in the upper half of each 32-bit lane, the lower half zero.
  static __m512 round(__m512 v) {
    return _mm512_castsi512_ps(_mm512_and_si512(rounded_bits(v), _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
  }

 private:
  /// Each lane's bf16 bits in its upper half: rounded to nearest-even (a NaN quieted instead).
  static __m512i rounded_bits(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000));
  }
};

#if defined(__AVX512BF16__)

/// TensorLanes<bf16_t> by vcvtneps2bf16 (see the header comment): the same bits.
struct Bf16InstructionLanes {
  static __m512 load(const bf16_t* x) { return TensorLanes<bf16_t>::load(x); }
  static void store(bf16_t* x, __m512 v) {
    if (has_subnormal(v)) [[unlikely]] return TensorLanes<bf16_t>::store(x, v);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), std::bit_cast<__m256i>(_mm512_cvtneps_pbh(v)));
  }
  static __m512 round(__m512 v) {
    if (has_subnormal(v)) [[unlikely]] return TensorLanes<bf16_t>::round(v);
    return TensorLanes<bf16_t>::widen(std::bit_cast<__m256i>(_mm512_cvtneps_pbh(v)));
  }

 private:
  static bool has_subnormal(__m512 v) { return _mm512_fpclass_ps_mask(v, 0x20) != 0; }  // 0x20: denormal
};

#endif  // __AVX512BF16__

#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
