// Round 23 probe: the decade encoder's unsigned path in 256-bit vectors against the library's
// 512-bit one, on a block in L1 (Zen 4: a 512-bit permute takes the two middle pipes for a cycle).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include "../../../kernels/cpu/decade_codec.hpp"
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;

struct Ymm {
  __m256i fp_lo, fp_hi, ns_lo, ns_hi;
  __m256 cap_lo, cap_hi, slope_lo, slope_hi, off_lo, off_hi;
  explicit Ymm(const DecadeTables& d)
      : fp_lo(_mm256_load_si256((const __m256i*)d.first_piece)), fp_hi(_mm256_load_si256((const __m256i*)(d.first_piece + 32))),
        ns_lo(_mm256_load_si256((const __m256i*)d.next_start)), ns_hi(_mm256_load_si256((const __m256i*)(d.next_start + 8))),
        cap_lo(_mm256_load_ps(d.cap)), cap_hi(_mm256_load_ps(d.cap + 8)), slope_lo(_mm256_load_ps(d.slope)),
        slope_hi(_mm256_load_ps(d.slope + 8)), off_lo(_mm256_load_ps(d.offset)), off_hi(_mm256_load_ps(d.offset + 8)) {}
  [[gnu::always_inline]] __m128i codes(__m256 y, __mmask8& untrusted) const {
    const __m256 m = _mm256_max_ps(y, _mm256_setzero_ps());
    const __m256i mb = _mm256_castps_si256(m);
    __m256i piece = _mm256_permutex2var_epi8(fp_lo, _mm256_srli_epi32(mb, 24), fp_hi);
    const __mmask8 next = _mm256_cmp_epu32_mask(mb, _mm256_permutex2var_epi32(ns_lo, piece, ns_hi), _MM_CMPINT_NLT);
    piece = _mm256_mask_add_epi32(piece, next, piece, _mm256_set1_epi32(1));
    const __m256 c = _mm256_min_ps(m, _mm256_permutex2var_ps(cap_lo, piece, cap_hi));
    const __m256 s = _mm256_fmadd_ps(c, _mm256_permutex2var_ps(slope_lo, piece, slope_hi), _mm256_permutex2var_ps(off_lo, piece, off_hi));
    const __m256i sb = _mm256_castps_si256(s);
    constexpr int kMask = ((1 << DecadeTables::kFractionBits) - 1) & ~(2 * DecadeTables::kWindow - 1);
    untrusted = static_cast<__mmask8>(~_mm256_test_epi32_mask(sb, _mm256_set1_epi32(kMask)));
    return _mm256_cvtepi32_epi8(_mm256_srli_epi32(sb, DecadeTables::kFractionBits));
  }
};

[[gnu::noinline]] int enc512(const DecadeEncoder& e, const float* x, float scale, std::uint8_t* out, int len) {
  const __m512 vs = _mm512_set1_ps(scale);
  int bad = 0;
  for (int i = 0; i < len; i += 64) {
    __mmask16 u[4]; __m128i c[4];
    for (int q = 0; q < 4; ++q) c[q] = e.codes<true>(_mm512_div_ps(_mm512_loadu_ps(x + i + 16 * q), vs), u[q]);
    bad += (u[0] | u[1] | u[2] | u[3]) != 0;
    for (int q = 0; q < 4; ++q) _mm_storeu_si128((__m128i*)(out + i + 16 * q), c[q]);
  }
  return bad;
}
[[gnu::noinline]] int enc256(const Ymm& e, const float* x, float scale, std::uint8_t* out, int len) {
  const __m256 vs = _mm256_set1_ps(scale);
  int bad = 0;
  for (int i = 0; i < len; i += 64) {
    __mmask8 u[8]; __m128i c[8];
    for (int q = 0; q < 8; ++q) c[q] = e.codes(_mm256_div_ps(_mm256_loadu_ps(x + i + 8 * q), vs), u[q]);
    bad += (u[0] | u[1] | u[2] | u[3] | u[4] | u[5] | u[6] | u[7]) != 0;
    for (int q = 0; q < 8; ++q) _mm_storel_epi64((__m128i*)(out + i + 8 * q), c[q]);
  }
  return bad;
}

int main() {
  const QuantTable t = make_quant_table(kUnsignedMapBits, false);
  const DecadeTables& d = *builtin_decade_tables(t);
  const DecadeEncoder e512(d);
  const Ymm e256(d);
  // exactness of the port: all floats in [0, 1], codes and untrusted lanes equal
  long mismatches = 0;
  alignas(64) float buf[64];
  alignas(64) std::uint8_t a[64], b[64];
  for (std::uint32_t base = 0; base <= 0x3f800000u; base += 64) {
    for (int i = 0; i < 64; ++i) { std::uint32_t v = base + i; std::memcpy(&buf[i], &v, 4); if (v > 0x3f800000u) buf[i] = 1.0f; }
    for (int q = 0; q < 4; ++q) {
      __mmask16 u; __m128i c = e512.codes<true>(_mm512_load_ps(buf + 16 * q), u);
      __mmask8 u0, u1; __m128i c0 = e256.codes(_mm256_load_ps(buf + 16 * q), u0), c1 = e256.codes(_mm256_load_ps(buf + 16 * q + 8), u1);
      _mm_storeu_si128((__m128i*)a, c); _mm_storel_epi64((__m128i*)b, c0); _mm_storel_epi64((__m128i*)(b + 8), c1);
      for (int l = 0; l < 16; ++l) {
        bool ua = u >> l & 1, ub = (l < 8 ? u0 >> l : u1 >> (l - 8)) & 1;
        if (ua != ub || (!ua && a[l] != b[l])) ++mismatches;
      }
    }
  }
  std::printf("mismatches %ld\n", mismatches);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> x(256);
  float mx = 0;
  for (auto& v : x) { v = nd(rng) * nd(rng); v *= v; mx = std::max(mx, v); }  // like a second moment
  alignas(64) std::uint8_t out[256];
  for (int rep = 0; rep < 5; ++rep) {
    for (int which = 0; which < 2; ++which) {
      const int iters = 2000000;
      int bad = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int it = 0; it < iters; ++it) {
        bad += which == 0 ? enc512(e512, x.data(), mx, out, 256) : enc256(e256, x.data(), mx, out, 256);
        asm volatile("" ::: "memory");
      }
      double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / (iters * 256.0);
      std::printf("%s %.4f ns/value (bad %d)\n", which ? "ymm" : "zmm", ns, bad);
    }
  }
}
