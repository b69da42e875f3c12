// Exhaustive check of the divider-free quotient of reciprocal_quotient.diff (round 7): for each
// scale s, every float bit pattern x: y = float(double(x) * RN53(1 / double(s))) against
// vdivps(x, s), bit for bit. The claim (the diff's proof): every lane whose y is not subnormal
// equals vdivps; a subnormal y sends the vector to vdivps. Counted: mismatches outside the
// fallback (must be 0), lanes sent to the fallback, and how many of those y actually differed.
// Build: g++ -O2 -march=sapphirerapids -fopenmp reciprocal_quotient_check.cpp
#include <immintrin.h>

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

static float bits_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

int main() {
  std::vector<float> scales = {1.0f, 0.5f, 0.75f, std::nextafter(1.0f, 0.0f), std::nextafter(1.0f, 2.0f), 3.0f, 10.0f, 0.1f,
                               1.0f / 3.0f, 1e-3f, 7.3e-9f, 1234.5f, 1e-2f, 6.0f, -2.5f,
                               std::numeric_limits<float>::max(), std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::denorm_min(), 1e-40f, 3.0f * std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity()};
  std::mt19937 rng(21);
  for (int i = 0; i < 12; ++i) scales.push_back(bits_float(0x00800000u + rng() % (0x7f000000u)));  // random normal scales
  std::uint64_t total_bad = 0;
  for (const float s : scales) {
    const __m512 vs = _mm512_set1_ps(s);
    const __m512d r = _mm512_set1_pd(1.0 / static_cast<double>(s));
    std::uint64_t bad = 0, flagged = 0, flagged_differs = 0;
#pragma omp parallel for reduction(+ : bad, flagged, flagged_differs) schedule(static)
    for (std::int64_t hi = 0; hi < (std::int64_t{1} << 28); ++hi) {
      const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      const __m512i xb = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(hi) << 4)), lane);
      const __m512 x = _mm512_castsi512_ps(xb);
      const __m512 q = _mm512_div_ps(x, vs);
      const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)), r));
      const __m256 hi8 = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)), r));
      const __m512 y = _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi8, 1);
      const __mmask16 sub = _mm512_fpclass_ps_mask(y, 0x20);
      const __mmask16 differ = _mm512_cmpneq_epi32_mask(_mm512_castps_si512(q), _mm512_castps_si512(y));
      bad += static_cast<std::uint64_t>(__builtin_popcount(differ & static_cast<__mmask16>(~sub)));
      flagged += static_cast<std::uint64_t>(__builtin_popcount(sub));
      flagged_differs += static_cast<std::uint64_t>(__builtin_popcount(differ & sub));
    }
    std::printf("scale %-14.9g (0x%08" PRIx32 "): 2^32 x, mismatches outside the fallback %" PRIu64
                ", lanes sent to vdivps %" PRIu64 " (of which differed %" PRIu64 ")\n",
                static_cast<double>(s), [&] { std::uint32_t b; std::memcpy(&b, &s, 4); return b; }(), bad, flagged,
                flagged_differs);
    total_bad += bad;
  }
  std::printf("%zu scales, total mismatches outside the fallback: %" PRIu64 "\n", scales.size(), total_bad);
  return total_bad == 0 ? 0 : 1;
}
