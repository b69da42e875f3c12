// Exhaustive checks of kernels/cpu/exact_quotient.hpp (round 8, issue 21): the reciprocal
// quotient with one FMA correction against vdivps, bit for bit.
//  A. every x significand in [2 - 4096 * 2^-23, 2) against every d significand in [1, 2): the
//     only x for which the header's argument leaves a second correction possible (the top three);
//  B. every x significand in [1, 2) against 1,280 d significands (256 each next to 1, next to 2
//     and around sqrt 2, 512 random);
//  C. every float bit pattern x against 40 divisors through divide() (fallback included) and,
//     in the lanes in_window() accepts, through divide_in_window() alone.
// Counted: mismatches (must be 0), lanes where q0 = RN(x r) differed from the quotient (what the
// correction repaired) and where q0 was not even within one ulp of x / d (not faithful: the
// case Markstein's theorem does not cover, the header's second case), lanes in the window.
// Build: g++ -O2 -march=sapphirerapids -fopenmp -I../../.. exact_quotient_check.cpp
#include <immintrin.h>

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
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

struct Count {
  std::uint64_t mismatches = 0, corrected = 0, far_q0 = 0, in_window = 0;
};

// x significands [first, first + n) (bits 0x3f800000 + k) against divisor d, all in the window.
static Count check_significands(float d, std::uint32_t first, std::uint32_t n) {
  const cd::ExactQuotient512 q(d);
  const __m512 vd = _mm512_set1_ps(d), r = _mm512_set1_ps(1.0f / d);
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  Count c;
  for (std::uint32_t k = 0; k < n; k += 16) {
    const __m512i xb = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(0x3f800000u + first + k)), lane);
    const __m512 x = _mm512_castsi512_ps(xb);
    const __m512i want = _mm512_castps_si512(_mm512_div_ps(x, vd));
    const __m512i got = _mm512_castps_si512(q.divide_in_window(x));
    const __m512i q0 = _mm512_castps_si512(_mm512_mul_ps(x, r));
    // q0 is faithful when x / d lies between q0 and the quotient: the sign of want d - x (exact
    // by FMA) against that of want - q0 (x, d > 0 here).
    const __m512 resid = _mm512_fmsub_ps(_mm512_castsi512_ps(want), vd, x);
    const __mmask16 differs = _mm512_cmpneq_epi32_mask(q0, want);
    const __mmask16 nonzero = _mm512_cmp_ps_mask(resid, _mm512_setzero_ps(), _CMP_NEQ_OQ);
    const __mmask16 resid_negative = _mm512_cmp_ps_mask(resid, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __mmask16 q0_above = _mm512_cmpgt_epi32_mask(q0, want);
    const __mmask16 not_faithful = differs & nonzero & static_cast<__mmask16>(~(resid_negative ^ q0_above));
    c.mismatches += static_cast<std::uint64_t>(__builtin_popcount(_mm512_cmpneq_epi32_mask(want, got)));
    c.corrected += static_cast<std::uint64_t>(__builtin_popcount(differs));
    c.far_q0 += static_cast<std::uint64_t>(__builtin_popcount(not_faithful));
    c.in_window += static_cast<std::uint64_t>(__builtin_popcount(q.in_window(x)));
  }
  return c;
}

int main() {
  std::uint64_t total = 0;
  {  // A
    std::uint64_t m = 0, k = 0, f = 0, w = 0;
#pragma omp parallel for reduction(+ : m, k, f, w) schedule(dynamic, 4096)
    for (std::int64_t dk = 0; dk < (std::int64_t{1} << 23); ++dk) {
      const Count one = check_significands(bits_float(0x3f800000u + static_cast<std::uint32_t>(dk)), (1u << 23) - 4096u, 4096u);
      m += one.mismatches, k += one.corrected, f += one.far_q0, w += one.in_window;
    }
    const Count c{m, k, f, w};
    std::printf("A. x significands 2 - 4096 ulp .. 2 x all 2^23 d significands: %" PRIu64 " pairs, mismatches %" PRIu64
                ", q0 != quotient %" PRIu64 ", q0 not faithful %" PRIu64 ", in window %" PRIu64 "\n",
                std::uint64_t{4096} << 23, c.mismatches, c.corrected, c.far_q0, c.in_window);
    total += c.mismatches;
  }
  {  // B
    std::vector<std::uint32_t> ds;
    for (std::uint32_t k = 0; k < 256; ++k) ds.push_back(0x3f800000u + k);               // next to 1
    for (std::uint32_t k = 1; k <= 256; ++k) ds.push_back(0x40000000u - k);              // next to 2
    const std::uint32_t root2 = float_bits(std::sqrt(2.0f));
    for (std::uint32_t k = 0; k < 256; ++k) ds.push_back(root2 - 128u + k);              // around sqrt 2
    std::mt19937 rng(8);
    for (int k = 0; k < 512; ++k) ds.push_back(0x3f800000u + (rng() & 0x7fffffu));      // random
    std::uint64_t m = 0, k = 0, f = 0, w = 0;
#pragma omp parallel for reduction(+ : m, k, f, w) schedule(dynamic, 1)
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const Count one = check_significands(bits_float(ds[i]), 0, 1u << 23);
      m += one.mismatches, k += one.corrected, f += one.far_q0, w += one.in_window;
    }
    const Count c{m, k, f, w};
    std::printf("B. all 2^23 x significands x %zu d significands: %" PRIu64 " pairs, mismatches %" PRIu64
                ", q0 != quotient %" PRIu64 ", q0 not faithful %" PRIu64 ", in window %" PRIu64 "\n",
                ds.size(), static_cast<std::uint64_t>(ds.size()) << 23, c.mismatches, c.corrected, c.far_q0,
                c.in_window);
    total += c.mismatches;
  }
  // C
  std::vector<float> divisors = {1.0f, 0.5f, 0.75f, std::nextafter(1.0f, 0.0f), std::nextafter(1.0f, 2.0f), 3.0f, 10.0f,
                                 0.1f, 1.0f / 3.0f, 1e-3f, 7.3e-9f, 1234.5f, 6.0f, -2.5f, 0.9f, 0.001f * 0.001f,
                                 0x1p-125f, std::nextafter(0x1p-125f, 0.0f), 0x1p125f, std::nextafter(0x1p125f, 1e38f),
                                 0x1.fffffep124f, 0x1.000002p-125f, std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(), 1e-40f,
                                 0.0f, -0.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(21);
  while (divisors.size() < 40) divisors.push_back(bits_float(0x00800000u + rng() % 0x7f000000u));
  for (const float s : divisors) {
    const cd::ExactQuotient512 q(s);
    const __m512 vs = _mm512_set1_ps(s);
    std::uint64_t bad = 0, fast_bad = 0, window = 0;
#pragma omp parallel for reduction(+ : bad, fast_bad, window) schedule(static)
    for (std::int64_t hi = 0; hi < (std::int64_t{1} << 28); ++hi) {
      const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      const __m512 x = _mm512_castsi512_ps(
          _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(hi) << 4)), lane));
      const __m512i want = _mm512_castps_si512(_mm512_div_ps(x, vs));
      const __mmask16 in = q.in_window(x);
      bad += static_cast<std::uint64_t>(
          __builtin_popcount(_mm512_cmpneq_epi32_mask(want, _mm512_castps_si512(q.divide(x)))));
      fast_bad += static_cast<std::uint64_t>(
          __builtin_popcount(_mm512_mask_cmpneq_epi32_mask(in, want, _mm512_castps_si512(q.divide_in_window(x)))));
      window += static_cast<std::uint64_t>(__builtin_popcount(in));
    }
    std::printf("C. divisor %-15.9g (0x%08" PRIx32 "): 2^32 x, divide() mismatches %" PRIu64
                ", divide_in_window() mismatches in the window %" PRIu64 ", lanes in the window %" PRIu64 "\n",
                static_cast<double>(s), float_bits(s), bad, fast_bad, window);
    total += bad + fast_bad;
  }
  std::printf("total mismatches: %" PRIu64 "\n", total);
  return total == 0 ? 0 : 1;
}
