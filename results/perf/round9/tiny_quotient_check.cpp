// Exhaustive check for the fused 8-bit step's signed rows (round 9, issue 21): with a block scale d
// in [2^-60, 1], every x with 0 < |x| < 2^-100 (outside exact_quotient.hpp's window) divided by
// reciprocal_quotient(x, d, RN(1/d)) gives q nonzero, with x's sign and |q| < 2^-39, as x / d
// itself: a map that codes (0, 2^-39] alike and [-2^-39, -2^-149] alike then codes q as x / d
// (kernels/cpu/fused_block_step.hpp, reciprocal_scale_limit).
// Part A: 40 scales in [2^-60, 1], every such x of both signs; every lane must pass (0 failures).
// Part B (why the limit is 1): scales above 1, lanes where q and x / d differ in what the signed
// map's code of a tiny value depends on (negative nonzero or not).
// Build: g++ -O2 -march=sapphirerapids -I../../.. tiny_quotient_check.cpp (any AVX-512 machine)
#include <immintrin.h>

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#define BNB_CPU_VARIANT check
#include "kernels/cpu/exact_quotient.hpp"

namespace cd = bnb::kernels::cpu_detail;

static float bits_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
static std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

struct Counts {
  std::uint64_t lanes = 0, bad_q = 0, bad_exact = 0, class_differs = 0;
};

/// Every x with 0 < |x| < 2^-100 of both signs against divisor d.
static Counts check(float d) {
  Counts c;
  const __m512 vd = _mm512_set1_ps(d), vr = _mm512_set1_ps(1.0f / d);
  const std::uint32_t end = float_bits(0x1p-100f);
  const __m512i step = _mm512_set1_epi32(16), lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 limit = _mm512_set1_ps(0x1p-39f), zero = _mm512_setzero_ps();
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  for (const std::uint32_t s : {0u, 0x80000000u}) {
    __m512i bits = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(s + 1)), lane);
    for (std::uint32_t b = 1; b < end; b += 16, bits = _mm512_add_epi32(bits, step)) {
      const __mmask16 live = _mm512_cmplt_epu32_mask(_mm512_andnot_si512(sign, bits), _mm512_set1_epi32(static_cast<int>(end)));
      const __m512 x = _mm512_castsi512_ps(bits);
      const __m512 q = cd::reciprocal_quotient(x, vd, vr);
      const __m512 y = _mm512_div_ps(x, vd);
      const __m512i qs = _mm512_and_si512(_mm512_castps_si512(q), sign);
      // q: nonzero, |q| < 2^-39, sign of x
      __mmask16 ok = _mm512_cmp_ps_mask(q, zero, _CMP_NEQ_OQ) & _mm512_cmp_ps_mask(_mm512_abs_ps(q), limit, _CMP_LT_OQ) &
                     _mm512_cmpeq_epi32_mask(qs, _mm512_set1_epi32(static_cast<int>(s)));
      __mmask16 ok_exact = _mm512_cmp_ps_mask(y, zero, _CMP_NEQ_OQ) & _mm512_cmp_ps_mask(_mm512_abs_ps(y), limit, _CMP_LT_OQ);
      // What a signed map's code of a tiny value depends on: negative and nonzero, or not.
      const __mmask16 q_neg = _mm512_cmp_ps_mask(q, zero, _CMP_LT_OQ), y_neg = _mm512_cmp_ps_mask(y, zero, _CMP_LT_OQ);
      c.lanes += static_cast<unsigned>(__builtin_popcount(live));
      c.bad_q += static_cast<unsigned>(__builtin_popcount(live & ~ok));
      c.bad_exact += static_cast<unsigned>(__builtin_popcount(live & ~ok_exact));
      c.class_differs += static_cast<unsigned>(__builtin_popcount(live & (q_neg ^ y_neg)));
    }
  }
  return c;
}

int main() {
  std::vector<float> scales = {0x1p-60f, std::nextafter(0x1p-60f, 1.0f), 0x1.fffffep-60f, 0x1p-30f, 0x1.8p-20f,
                               0x1.fffffep-2f, 0.5f, std::nextafter(0.5f, 1.0f), 0.75f, 0x1.000006p-1f,
                               std::nextafter(1.0f, 0.0f), 1.0f, 0x1.555556p-1f, 0x1.6a09e6p-1f, 1e-3f, 1e-6f,
                               1e-10f, 3e-15f, 0x1.fffffcp-1f, 0x1.000004p-10f};
  std::mt19937 rng(21);
  std::uniform_int_distribution<std::uint32_t> mant(0, (1u << 23) - 1), expo(127 - 60, 126);
  while (scales.size() < 40) scales.push_back(bits_float(expo(rng) << 23 | mant(rng)));
  std::uint64_t lanes = 0, bad = 0;
  std::printf("A. scales in [2^-60, 1]: every x with 0 < |x| < 2^-100, both signs\n");
  for (float d : scales) {
    const Counts c = check(d);
    lanes += c.lanes;
    bad += c.bad_q;
    std::printf("  d = %a: lanes %" PRIu64 ", q failing %" PRIu64 ", x/d failing %" PRIu64 ", sign class differs %" PRIu64 "\n",
                static_cast<double>(d), c.lanes, c.bad_q, c.bad_exact, c.class_differs);
  }
  std::printf("A total: %" PRIu64 " lanes, %" PRIu64 " failures\n", lanes, bad);
  std::printf("B. scales above 1 (not taken by the fused loop's signed rows):\n");
  for (float d : {std::nextafter(1.0f, 2.0f), 1.5f, 2.0f, 0x1p20f, 0x1p25f}) {
    const Counts c = check(d);
    std::printf("  d = %a: lanes %" PRIu64 ", q failing %" PRIu64 ", x/d failing %" PRIu64 ", sign class differs %" PRIu64 "\n",
                static_cast<double>(d), c.lanes, c.bad_q, c.bad_exact, c.class_differs);
  }
  return bad == 0 ? 0 : 1;
}
