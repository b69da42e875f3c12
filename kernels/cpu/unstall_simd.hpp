#pragma once
// drop_momentum_unstall over a block a vector of elements at a time (AVX-512: 16, AVX2: 8): the
// per-element rule of underflow_guard.hpp (settle_element, unstalled_code) with the same fp32
// operations in every lane, so the codes are the scalar rule's bit for bit (cpu_variants_test).
// The guarded step spends its extra time here: v moves by (1 - β2)(g² - v) per step, so its code
// stalls in most elements and nearly every element takes the rule; a vector none of whose rows
// stalled or holds a zero code is passed over after one compare per row.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "bnb/kernels/underflow_guard.hpp"
#include "code_scan.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

/// A map's unstall_span of every code, [code] toward code + 1 and [256 + code] toward code - 1,
/// NaN where the rule keeps the code (span 0): a lane's (y - a) / NaN is NaN, and u < NaN false.
struct UnstallSpans {
  float span[512];
  explicit UnstallSpans(const QuantTable& t) {
    for (int c = 0; c < 256; ++c) {
      for (const bool up : {true, false}) {
        const float d = unstall_span(t, c, up);
        span[up ? c : 256 + c] = d != 0.0f ? d : std::numeric_limits<float>::quiet_NaN();
      }
    }
  }
};

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
/// The lane operations the vector rule needs, on 16 lanes of 32 bits (masks: __mmask16).
struct UnstallLanes {
  static constexpr std::size_t kWidth = 16;
  using I = __m512i;
  using F = __m512;
  using M = __mmask16;
  /// x / scale bit for bit, mostly without the divider (a vdivps zmm costs ~4 ns on the Intel
  /// machine, results/perf/round7): float(double(x) * RN53(1 / scale)) equals vdivps except
  /// possibly where the quotient is subnormal (proof: results/perf/round7/reciprocal_quotient.diff),
  /// and a vector with such a lane divides.
  struct Divisor {
    __m512 scale;
    __m512d reciprocal;
    Divisor() = default;
    explicit Divisor(float s) : scale(_mm512_set1_ps(s)), reciprocal(_mm512_set1_pd(1.0 / static_cast<double>(s))) {}
    F operator()(F x) const {
      const __m256 low = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)), reciprocal));
      const __m256 high = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)), reciprocal));
      const __m512 y = _mm512_insertf32x8(_mm512_castps256_ps512(low), high, 1);
      constexpr int kSubnormal = 0x20;  // vfpclassps category
      if (_mm512_fpclass_ps_mask(y, kSubnormal) != 0) [[unlikely]] return _mm512_div_ps(x, scale);
      return y;
    }
  };
  static I codes(const std::uint8_t* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static void store(std::uint8_t* p, I c) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(c)); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static I set1(std::uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static F set1f(float v) { return _mm512_set1_ps(v); }
  static I strided(int step) {
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), set1(static_cast<std::uint32_t>(step)));
  }
  static M none() { return 0; }
  static M eq(I a, I b) { return _mm512_cmpeq_epi32_mask(a, b); }
  static M nonzero(F x) { return _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_OQ); }
  static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M both(M a, M b) { return a & b; }
  static M either(M a, M b) { return a | b; }
  static bool any(M m) { return m != 0; }
  static unsigned count(M m) { return static_cast<unsigned>(std::popcount(static_cast<unsigned>(m))); }
  static I select(M m, I yes, I no) { return _mm512_mask_blend_epi32(m, no, yes); }
  static F gather(const float* table, I index) { return _mm512_i32gather_ps(index, table, 4); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I mul(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I bxor(I a, I b) { return _mm512_xor_si512(a, b); }
  template <int kShift>
  static I shr(I a) { return _mm512_srli_epi32(a, kShift); }
  static F to_float(I a) { return _mm512_cvtepi32_ps(a); }
  static F fmul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fsub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F fdiv(F a, F b) { return _mm512_div_ps(a, b); }
};
#define BNB_UNSTALL_LANES 1
#elif defined(__AVX2__)
/// The lane operations the vector rule needs, on 8 lanes of 32 bits (masks: all-ones lanes).
struct UnstallLanes {
  static constexpr std::size_t kWidth = 8;
  using I = __m256i;
  using F = __m256;
  using M = __m256i;
  /// x / scale (vdivps ymm).
  struct Divisor {
    __m256 scale;
    Divisor() = default;
    explicit Divisor(float s) : scale(_mm256_set1_ps(s)) {}
    F operator()(F x) const { return _mm256_div_ps(x, scale); }
  };
  static I codes(const std::uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
  static void store(std::uint8_t* p, I c) {
    // byte 0 of each 32-bit lane to the low 4 bytes of each 128-bit half, then both halves together
    const __m256i bytes = _mm256_shuffle_epi8(c, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                                  0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    const __m256i packed = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static I set1(std::uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static F set1f(float v) { return _mm256_set1_ps(v); }
  static I strided(int step) { return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), set1(static_cast<std::uint32_t>(step))); }
  static M none() { return _mm256_setzero_si256(); }
  static M eq(I a, I b) { return _mm256_cmpeq_epi32(a, b); }
  static M nonzero(F x) { return _mm256_castps_si256(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NEQ_OQ)); }
  static M gt(F a, F b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
  static M lt(F a, F b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static M both(M a, M b) { return _mm256_and_si256(a, b); }
  static M either(M a, M b) { return _mm256_or_si256(a, b); }
  static bool any(M m) { return _mm256_testz_si256(m, m) == 0; }
  static unsigned count(M m) {
    return static_cast<unsigned>(std::popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m)))));
  }
  static I select(M m, I yes, I no) { return _mm256_blendv_epi8(no, yes, m); }
  static F gather(const float* table, I index) { return _mm256_i32gather_ps(table, index, 4); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I mul(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I bxor(I a, I b) { return _mm256_xor_si256(a, b); }
  template <int kShift>
  static I shr(I a) { return _mm256_srli_epi32(a, kShift); }
  static F to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static F fmul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fsub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F fdiv(F a, F b) { return _mm256_div_ps(a, b); }
};
#define BNB_UNSTALL_LANES 1
#endif

#if defined(BNB_UNSTALL_LANES)
/// mix32 of param_rounding.hpp in every lane.
template <class L>
typename L::I mix32_lanes(typename L::I x) {
  x = L::bxor(x, L::template shr<16>(x));
  x = L::mul(x, L::set1(0x7feb352du));
  x = L::bxor(x, L::template shr<15>(x));
  x = L::mul(x, L::set1(0x846ca68bu));
  return L::bxor(x, L::template shr<16>(x));
}
#endif

/// What the vector rule reads of a step besides the block: per row the map, its spans and its
/// zero code; zero_rows: bit k when row k's zero code decodes to 0 (the rows that can underflow).
template <int kRows>
struct UnstallMaps {
  const QuantTable* table[kRows];
  const UnstallSpans* spans[kRows];
  std::uint8_t zero[kRows];
  unsigned zero_rows;
};

/// settle_element<A>(drop_momentum_unstall) for the elements [0, len) of a block, a vector at a
/// time (codes[k]: row k's new codes, rewritten; old[k]: its codes before the step; st[k]: its
/// new values; scales[k]: the scale its codes encode; first: the tensor index of element 0).
/// Adds each row's underflows (before the rule) to under[k]. Returns how many leading elements it
/// settled (whole vectors; 0 without AVX2): the caller settles the rest one by one.
template <class A>
std::size_t unstall_vectors(const UnstallMaps<A::kRows>& m, std::uint8_t* const* codes, const std::uint8_t (*old)[kMaxBlockCodes],
                            const float (*st)[kMaxBlockCodes], const float* scales, RoundingKey key, std::uint64_t first,
                            std::size_t len, std::uint64_t* under) {
#if defined(BNB_UNSTALL_LANES)
  using L = UnstallLanes;
  using I = L::I;
  using M = L::M;
  constexpr int kRows = A::kRows;
  constexpr std::size_t kWidth = L::kWidth;
  // Element e's bits in row k: state_rounding_bits(key, e, k), i.e. rounding_bits of the counter
  // e * kMaxStateRows + k. A vector takes the high word of its first counter; one whose low words
  // would carry into it is left to the caller.
  constexpr std::uint64_t kSpread = kMaxStateRows * (kWidth - 1) + kRows;
  const I lane_offsets = L::strided(kMaxStateRows);
  const I one = L::set1(1);
  typename L::Divisor by_scale[kRows];
  for (int k = 0; k < kRows; ++k) by_scale[k] = typename L::Divisor(scales[k]);
  std::size_t i = 0;
  for (; i + kWidth <= len; i += kWidth) {
    const std::uint64_t counter = (first + i) * kMaxStateRows;
    if ((counter & 0xffffffffu) > 0xffffffffu - kSpread) break;
    I c[kRows];
    M stall[kRows], zero[kRows];
    M flagged = L::none();
    for (int k = 0; k < kRows; ++k) {
      c[k] = L::codes(codes[k] + i);
      stall[k] = L::eq(c[k], L::codes(old[k] + i));
      zero[k] = (m.zero_rows >> k & 1u) != 0 ? L::eq(c[k], L::set1(m.zero[k])) : L::none();
      flagged = L::either(flagged, L::either(stall[k], zero[k]));
    }
    if (!L::any(flagged)) continue;
    M drop = L::none();
    for (int k = 0; k < kRows; ++k) {
      const typename L::F x = L::load(st[k] + i);
      under[k] += L::count(L::both(zero[k], L::nonzero(x)));
      if (L::any(stall[k]) && scales[k] != 0.0f) {
        const typename L::F y = by_scale[k](x);
        const typename L::F a = L::gather(m.table[k]->values, c[k]);
        const M up = L::gt(y, a);
        const typename L::F span = L::gather(m.spans[k]->span, L::select(up, c[k], L::add(c[k], L::set1(256))));
        const typename L::F q = L::fdiv(L::fsub(y, a), span);
        const I counters = L::add(L::set1(static_cast<std::uint32_t>(counter) + static_cast<std::uint32_t>(k)), lane_offsets);
        const I hi = L::set1(key.hi ^ static_cast<std::uint32_t>(counter >> 32));
        const I bits = mix32_lanes<L>(L::add(mix32_lanes<L>(L::bxor(counters, L::set1(key.lo))), hi));
        const typename L::F u = L::fmul(L::to_float(L::template shr<8>(bits)), L::set1f(5.9604644775390625e-8f));  // 2^-24
        const M move = L::both(stall[k], L::lt(u, q));
        c[k] = L::select(move, L::select(up, L::add(c[k], one), L::sub(c[k], one)), c[k]);
      }
      if ((kSignedRows<A> >> k & 1u) == 0 && (m.zero_rows >> k & 1u) != 0) {
        drop = L::either(drop, L::both(L::eq(c[k], L::set1(m.zero[k])), L::nonzero(x)));
      }
    }
    for (int k = 0; k < kRows; ++k) {
      if ((kSignedRows<A> >> k & 1u) != 0) c[k] = L::select(drop, L::set1(m.table[k]->zero_code), c[k]);
      L::store(codes[k] + i, c[k]);
    }
  }
  return i;
#else
  (void)m, (void)codes, (void)old, (void)st, (void)scales, (void)key, (void)first, (void)len, (void)under;
  return 0;
#endif
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
