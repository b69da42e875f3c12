// Round 23 probe: the decade encoder with its float min/max/range and shifts replaced by integer
// operations (which this Zen 4 issues beside the shuffles), against the library's, in L1.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include "../../../kernels/cpu/decade_codec.hpp"
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;

struct IntEncoder {
  __m512i fp_lo, fp_hi, next_start, cap, slope, off0, off1, compact;
  __m512 tie;
  bool is_signed;
  explicit IntEncoder(const DecadeTables& d) {
    alignas(64) std::uint8_t fp[128];
    for (int i = 0; i < 64; ++i) fp[i] = d.first_piece[i];
    for (int i = 64; i < 128; ++i) fp[i] = 15;  // pairs of 2 and above: under kWithinOne only NaN (pair 127): piece 15, code 0
    fp_lo = _mm512_load_si512(fp);
    fp_hi = _mm512_load_si512(fp + 64);
    next_start = _mm512_load_si512(d.next_start);
    cap = _mm512_load_si512(d.cap);
    slope = _mm512_load_si512(d.slope);
    off0 = _mm512_load_si512(d.offset);
    off1 = _mm512_load_si512(d.offset + 16);
    alignas(64) std::uint8_t idx[64] = {};
    for (int i = 0; i < 16; ++i) idx[i] = std::uint8_t(4 * i + 2);
    compact = _mm512_load_si512(idx);
    tie = _mm512_castsi512_ps(_mm512_set1_epi32(int(d.negative_tie_bits)));
    is_signed = d.is_signed;
  }
  [[gnu::always_inline]] __m512i piece_of(__m512i mbits) const {
    const __m512i piece = _mm512_permutex2var_epi8(fp_lo, _mm512_srli_epi32(mbits, 24), fp_hi);
    const __mmask16 next = _mm512_cmp_epu32_mask(mbits, _mm512_permutexvar_epi32(piece, next_start), _MM_CMPINT_NLT);
    return _mm512_mask_add_epi32(piece, next, piece, _mm512_set1_epi32(1));
  }
  [[gnu::always_inline]] __m128i finish(__m512 s, __mmask16 ordinary, __mmask16& untrusted) const {
    const __m512i sb = _mm512_castps_si512(s);
    constexpr int kMask = ((1 << DecadeTables::kFractionBits) - 1) & ~(2 * DecadeTables::kWindow - 1);
    untrusted = static_cast<__mmask16>(~_mm512_mask_test_epi32_mask(ordinary, sb, _mm512_set1_epi32(kMask)));
    return _mm512_castsi512_si128(_mm512_permutexvar_epi8(compact, _mm512_add_epi32(sb, sb)));  // code: byte 2 of 2 s
  }
  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& untrusted) const {
    const __m512i yb = _mm512_castps_si512(y);
    if (is_signed) {
      const __m512i m = _mm512_min_epu32(_mm512_and_si512(yb, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x3f800000));
      __m512i piece = piece_of(m);
      const __m512 sl = _mm512_permutexvar_ps(piece, _mm512_castsi512_ps(slope));
      const __m512i cm = _mm512_min_epu32(m, _mm512_permutexvar_epi32(piece, cap));
      const __m512 c = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(cm, yb, _mm512_set1_epi32(int(0x80000000u)), 0xf8));  // a | (b & c)
      piece = _mm512_mask_or_epi32(piece, _mm512_movepi32_mask(yb), piece, _mm512_set1_epi32(16));
      const __m512 s = _mm512_fmadd_ps(c, sl, _mm512_castsi512_ps(_mm512_permutex2var_epi32(off0, piece, off1)));
      return finish(s, _mm512_cmp_ps_mask(y, tie, _CMP_NEQ_OQ), untrusted);
    }
    const __m512i m = _mm512_max_epi32(yb, _mm512_setzero_si512());
    const __m512i piece = piece_of(m);
    const __m512 c = _mm512_castsi512_ps(_mm512_min_epu32(m, _mm512_permutexvar_epi32(piece, cap)));
    const __m512 s = _mm512_fmadd_ps(c, _mm512_permutexvar_ps(piece, _mm512_castsi512_ps(slope)),
                                     _mm512_permutexvar_ps(piece, _mm512_castsi512_ps(off0)));
    return finish(s, __mmask16{0xffff}, untrusted);
  }
};

template <class E, bool kLib>
[[gnu::noinline]] int enc(const E& e, const float* x, float scale, std::uint8_t* out, int len) {
  const __m512 vs = _mm512_set1_ps(scale);
  int bad = 0;
  for (int i = 0; i < len; i += 64) {
    __mmask16 u[4]; __m128i c[4];
    for (int q = 0; q < 4; ++q) {
      const __m512 y = _mm512_div_ps(_mm512_loadu_ps(x + i + 16 * q), vs);
      if constexpr (kLib) c[q] = e.template codes<true>(y, u[q]); else c[q] = e.codes(y, u[q]);
    }
    bad += (u[0] | u[1] | u[2] | u[3]) != 0;
    for (int q = 0; q < 4; ++q) _mm_storeu_si128((__m128i*)(out + i + 16 * q), c[q]);
  }
  return bad;
}

int main() {
  for (bool sgn : {false, true}) {
    const QuantTable t = make_quant_table(sgn ? kSignedMapBits : kUnsignedMapBits, sgn);
    const DecadeTables& d = *builtin_decade_tables(t);
    const DecadeEncoder lib(d);
    const IntEncoder ie(d);
    // every float (signed), every float with |y| <= 1 or NaN (unsigned: kWithinOne's domain)
    long mism = 0, cnt = 0;
    alignas(64) float buf[16];
    alignas(64) std::uint8_t a[16], b[16];
    for (std::uint64_t base = 0; base < (1ull << 32); base += 16) {
      if (!sgn) {
        const std::uint32_t mag = std::uint32_t(base) & 0x7fffffffu;
        if (mag > 0x3f800000u && mag < 0x7f800001u) continue;  // |y| > 1 (and Inf): outside kWithinOne
      }
      for (int i = 0; i < 16; ++i) { std::uint32_t v = std::uint32_t(base + i); std::memcpy(&buf[i], &v, 4); }
      const __m512 y = _mm512_load_ps(buf);
      __mmask16 ua, ub;
      _mm_store_si128((__m128i*)a, lib.codes<true>(y, ua));
      _mm_store_si128((__m128i*)b, ie.codes(y, ub));
      for (int l = 0; l < 16; ++l) {
        std::uint32_t v = std::uint32_t(base + l);
        if (!sgn) { std::uint32_t mag = v & 0x7fffffffu; if (mag > 0x3f800000u && mag < 0x7f800001u) continue; }
        ++cnt;
        const bool ta = !(ua >> l & 1), tb = !(ub >> l & 1);
        if (ta != tb || (ta && a[l] != b[l])) ++mism;
      }
    }
    std::printf("%s: %ld mismatches of %ld inputs\n", sgn ? "signed" : "unsigned", mism, cnt);
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> x(256);
    float mx = 0;
    for (auto& v : x) { v = nd(rng); if (!sgn) v = v * v * nd(rng) * nd(rng); mx = std::max(mx, std::fabs(v)); }
    alignas(64) std::uint8_t out[256];
    for (int rep = 0; rep < 3; ++rep) for (int which = 0; which < 2; ++which) {
      const int iters = 2000000; int bad = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int it = 0; it < iters; ++it) {
        bad += which == 0 ? enc<DecadeEncoder, true>(lib, x.data(), mx, out, 256) : enc<IntEncoder, false>(ie, x.data(), mx, out, 256);
        asm volatile("" ::: "memory");
      }
      double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / (iters * 256.0);
      std::printf("  %s %s %.4f ns/value = %.2f cycles per 16 (bad groups %d)\n", sgn ? "signed" : "unsigned", which ? "int" : "lib", ns, ns * 16 * 3.65, bad);
    }
  }
}
