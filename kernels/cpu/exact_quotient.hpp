#pragma once
// x / d for many x and one divisor d (a block's absmax, a step's bias correction) without the
// divider, bit-identical to the IEEE division (vdivps) in every lane. Why: the divider is the
// bound of the 8-bit step's fused loop (results/perf/round7, round8); this costs one multiply,
// two FMAs and three integer operations per vector, none on the divider.
//
// Method. r = RN(1/d) once (a real division); per lane q0 = RN(x r), the residual
// n = RN(q0 d - x) and one correction q = RN(q0 - n r), both by FMA.
//
// Why one correction suffices (scale x and d by powers of two so that both significands lie in
// [1, 2); nothing under- or overflows inside the window below). Let z = x / d, u = ulp(z) (2^-23
// for z >= 1, 2^-24 for z < 1), delta = d r - 1, |delta| < d 2^-25 (r is within half an ulp).
// Then x r = z (1 + delta) and q = RN(z + (z - q0) delta + e r), e the rounding error of n.
//  - q0 within one ulp of z (always when z >= 1: |x r - z| < x 2^-25 < u / 2): n is exact (e = 0)
//    and this is Markstein's theorem (q within one ulp of a/b, r = RN(1/b): one correction rounds
//    correctly). Directly: a wrong q needs the midpoint m = q0 +- u/2 between z and
//    z + (z - q0) delta, so |z - m| < (u/2) |delta| (1 + 2^-23) < d 2^-50 (z < 1) or d 2^-49
//    (z >= 1); but x - d m is a nonzero multiple of 2^-48 (resp. 2^-47): a quotient of two floats
//    is never a midpoint. So |z - m| >= 2^-48 / d, and d^2 < 4 rules the crossing out.
//  - q0 not within one ulp (possible when z < 1: q0 = RN(x r) is within 1.5 ulp only): then
//    u < |z - q0| < 1.5 u, RN(z) = q0 +- u and a wrong q must cross the midpoint q0 +- 1.5 u
//    beyond z. With q0 < z (delta < 0) the term (z - q0) delta moves away from it; with q0 > z
//    (delta > 0) the distance from z to q0 - 1.5 u is at least u - z delta, and the crossing
//    needs u <= q0 delta + |e| r < q0 d 2^-25 + 2^-47 with q0 d < x + 3 * 2^-24: x >= 2 - 3 * 2^-23.
//    So only the three largest significands of x can need a second correction.
// Checked (results/perf/round8/exact_quotient_check.*): every x significand >= 2 - 4096 * 2^-23
// against every d significand, every x significand against 1,280 d significands (near 1, sqrt 2
// and 2, random), and every float x against 40 divisors through divide() — 0 mismatches: one
// correction is exact in the whole window, a second is not needed.
//
// The window (per lane, on x): 2^-100 <= |x| (n's grid 2^(e_q + e_d - 46) stays >= 2^-149, so n is
// exact or rounded as above) and 2^-125 |d| <= |x| < 2^127 |d| (a normal, finite quotient with a
// margin); the divisor: 2^-125 <= |d| <= 2^125 (r normal), else every lane is outside. Lanes
// outside it (zeros, tiny and huge ratios, Inf, NaN) are divided by vdivps, which also gives NaN
// lanes the division's payload. The test costs three integer operations and a kortest: |x|'s
// bits doubled (the sign shifted out), minus the low end, compared unsigned with the width.
//
// Use: ExactQuotient512 q(d) (AVX-512, 16 lanes) or ExactQuotient256 (AVX2, 8 lanes) once per
// divisor, then q.divide(x) per vector. A loop that wants the fallback out of its hot path calls
// q.divide_in_window(x) and q.in_window(x) and divides the lanes outside the mask itself. A loop
// with many live vectors (the fused 8-bit step) keeps d and r in its own registers and calls
// reciprocal_quotient(x, d, r), deciding per block where it may skip the window test: an
// ExactQuotient512 per block and row there (four registers, its set-up per block) made that
// loop 9% slower where the bare operations made it 4% faster (results/perf/round8).
// CI: exact_quotient_test (sampled); the exhaustive check runs outside CI.
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// The window of |x| where the reciprocal quotient is exact, as doubled bit patterns:
/// (2 bits(|x|) - low) < width, unsigned. width 0 (no lane) for divisors outside their range.
struct QuotientWindow {
  std::uint32_t low = 0, width = 0;

  explicit QuotientWindow(float divisor) {
    const float d = divisor < 0.0f ? -divisor : divisor;
    if (!(d >= 0x1p-125f && d <= 0x1p125f)) return;  // also NaN
    const float lo = d * 0x1p-125f > 0x1p-100f ? d * 0x1p-125f : 0x1p-100f;
    const float hi = d * 0x1p127f;  // Inf for d >= 2: then every finite x
    low = 2u * bits(lo);
    width = 2u * bits(hi) - low;
  }

  static std::uint32_t bits(float f) {
    std::uint32_t b = 0;
    std::memcpy(&b, &f, sizeof b);
    return b;
  }
};

#if defined(__AVX512F__) && defined(__AVX512DQ__)

/// The method's three operations on vectors a hot loop keeps itself: d and r = RN(1/d) in every
/// lane. Exact in the window (ExactQuotient512::in_window).
[[gnu::always_inline]] inline __m512 reciprocal_quotient(__m512 x, __m512 d, __m512 r) {
  const __m512 q0 = _mm512_mul_ps(x, r);
  const __m512 n = _mm512_fmsub_ps(q0, d, x);  // q0 d - x: signed so that x = -0 gives -0
  return _mm512_fnmadd_ps(n, r, q0);
}

/// 16 lanes (AVX-512).
class ExactQuotient512 {
 public:
  explicit ExactQuotient512(float divisor)
      : d_(_mm512_set1_ps(divisor)),
        r_(_mm512_set1_ps(1.0f / divisor)),
        low_(_mm512_set1_epi32(static_cast<int>(QuotientWindow(divisor).low))),
        width_(_mm512_set1_epi32(static_cast<int>(QuotientWindow(divisor).width))) {}

  /// x / d in every lane, as _mm512_div_ps(x, d).
  __m512 divide(__m512 x) const {
    const __m512 q = divide_in_window(x);
    const __mmask16 exact = in_window(x);
    if (exact == 0xffff) [[likely]] return q;
    return _mm512_mask_div_ps(q, static_cast<__mmask16>(~exact), x, d_);
  }

  /// The quotient, exact in the lanes of in_window(x) (others: any value).
  __m512 divide_in_window(__m512 x) const { return reciprocal_quotient(x, d_, r_); }

  __mmask16 in_window(__m512 x) const {
    const __m512i b = _mm512_castps_si512(x);
    return _mm512_cmplt_epu32_mask(_mm512_sub_epi32(_mm512_add_epi32(b, b), low_), width_);
  }

  __m512 divisor() const { return d_; }

 private:
  __m512 d_, r_;
  __m512i low_, width_;
};

#endif
#if defined(__AVX2__) && defined(__FMA__)

/// 8 lanes (AVX2).
class ExactQuotient256 {
 public:
  explicit ExactQuotient256(float divisor)
      : d_(_mm256_set1_ps(divisor)),
        r_(_mm256_set1_ps(1.0f / divisor)),
        // AVX2 compares signed only: both sides offset by 2^31 keep the unsigned order.
        low_(_mm256_set1_epi32(static_cast<int>(QuotientWindow(divisor).low ^ 0x80000000u))),
        width_(_mm256_set1_epi32(static_cast<int>(QuotientWindow(divisor).width ^ 0x80000000u))) {}

  /// x / d in every lane, as _mm256_div_ps(x, d).
  __m256 divide(__m256 x) const {
    const __m256 q = divide_in_window(x);
    const __m256 exact = in_window(x);
    if (_mm256_movemask_ps(exact) == 0xff) [[likely]] return q;
    return _mm256_blendv_ps(_mm256_div_ps(x, d_), q, exact);
  }

  /// The quotient, exact in the lanes of in_window(x) (others: any value).
  __m256 divide_in_window(__m256 x) const {
    const __m256 q0 = _mm256_mul_ps(x, r_);
    const __m256 n = _mm256_fmsub_ps(q0, d_, x);
    return _mm256_fnmadd_ps(n, r_, q0);
  }

  /// All-ones lanes where divide_in_window is exact.
  __m256 in_window(__m256 x) const {
    const __m256i b = _mm256_castps_si256(x);
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(width_, _mm256_sub_epi32(_mm256_add_epi32(b, b), low_)));
  }

  __m256 divisor() const { return d_; }

 private:
  __m256 d_, r_;
  __m256i low_, width_;
};

#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
