#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <cmath>
#include <cstring>
#include "simd_codec.hpp"
#include "bnb/kernels/qmap_bits.hpp"
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;

constexpr int kFractionMask = ((1 << 15) - 1) & ~(2 * 2 - 1);
struct Exp {
  __m512i first_piece_, next_start_, next_start_m1_; __m512 cap_, slope_, offset0_, offset1_, negative_tie_;
  explicit Exp(const DecadeTables& d) : first_piece_(_mm512_load_si512(d.first_piece)), next_start_(_mm512_load_si512(d.next_start)),
    next_start_m1_(_mm512_sub_epi32(_mm512_min_epu32(_mm512_load_si512(d.next_start), _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(1))),
    cap_(_mm512_load_ps(d.cap)), slope_(_mm512_load_ps(d.slope)), offset0_(_mm512_load_ps(d.offset)), offset1_(_mm512_load_ps(d.offset + 16)),
    negative_tie_(_mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(d.negative_tie_bits)))) {}
  template <bool kIntInc>
  __m512i piece_of(__m512i mbits) const {
    const __m512i piece = _mm512_permutexvar_epi8(_mm512_srli_epi32(mbits, 24), first_piece_);
    if constexpr (kIntInc) {
      // mbits >= start  <=>  (start - 1 - mbits) < 0 (both < 2^31)
      return _mm512_sub_epi32(piece, _mm512_srai_epi32(_mm512_sub_epi32(_mm512_permutexvar_epi32(piece, next_start_m1_), mbits), 31));
    } else {
      const __mmask16 next = _mm512_cmp_epu32_mask(mbits, _mm512_permutexvar_epi32(piece, next_start_), _MM_CMPINT_NLT);
      return _mm512_mask_add_epi32(piece, next, piece, _mm512_set1_epi32(1));
    }
  }
  // s, and t = the lane's trust word (zero: untrusted)
  template <bool kSigned, bool kIntInc, bool kIntSign, bool kAgg>
  __m512 s_of(__m512 y, __mmask16& untrusted, __m512i& trust) const {
    if constexpr (kSigned) {
      const __m512 m = _mm512_range_ps(y, _mm512_set1_ps(1.0f), 0x0a);
      __m512i piece = piece_of<kIntInc>(_mm512_castps_si512(m));
      const __m512 slope = _mm512_permutexvar_ps(piece, slope_);
      const __m512 c = _mm512_range_ps(y, _mm512_permutexvar_ps(piece, cap_), 0x02);
      if constexpr (kIntSign) piece = _mm512_ternarylogic_epi32(piece, _mm512_srai_epi32(_mm512_castps_si512(y), 31), _mm512_set1_epi32(16), 0xF8);
      else piece = _mm512_mask_or_epi32(piece, _mm512_movepi32_mask(_mm512_castps_si512(y)), piece, _mm512_set1_epi32(16));
      const __m512 s = _mm512_fmadd_ps(c, slope, _mm512_permutex2var_ps(offset0_, piece, offset1_));
      if constexpr (kAgg) {
        // trust word: fraction bits (zero => untrusted) min'd with y ^ tie (zero => the tie)
        trust = _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask)),
                                 _mm512_xor_si512(_mm512_castps_si512(y), _mm512_castps_si512(negative_tie_)));
      } else {
        untrusted = static_cast<__mmask16>(~_mm512_mask_test_epi32_mask(_mm512_cmp_ps_mask(y, negative_tie_, _CMP_NEQ_OQ), _mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask)));
      }
      return s;
    } else {
      const __m512 m = _mm512_max_ps(y, _mm512_setzero_ps());
      const __m512i piece = piece_of<kIntInc>(_mm512_castps_si512(m));
      const __m512 c = _mm512_min_ps(m, _mm512_permutexvar_ps(piece, cap_));
      const __m512 s = _mm512_fmadd_ps(c, _mm512_permutexvar_ps(piece, slope_), _mm512_permutexvar_ps(piece, offset0_));
      if constexpr (kAgg) trust = _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask));
      else untrusted = static_cast<__mmask16>(~_mm512_test_epi32_mask(_mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask)));
      return s;
    }
  }
};

template <bool kSigned, bool kIntInc, bool kIntSign, bool kAgg>
__attribute__((noinline)) void enc(const Exp& e, const Encoder::DirectCodes& fb, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  const __m512 vscale = _mm512_set1_ps(scale);
  for (std::size_t i = 0; i < len; i += 64) {
    __m512 y[4], s[4]; __mmask16 u[4]; __m512i t[4];
    for (int q = 0; q < 4; ++q) {
      y[q] = _mm512_div_ps(_mm512_loadu_ps(x + i + 16*q), vscale);
      s[q] = e.s_of<kSigned, kIntInc, kIntSign, kAgg>(y[q], u[q], t[q]);
    }
    __m128i k[4];
    for (int q = 0; q < 4; ++q) k[q] = _mm512_cvtepi32_epi8(_mm512_srli_epi32(_mm512_castps_si512(s[q]), 15));
    bool bad;
    if constexpr (kAgg) {
      const __m512i tmin = _mm512_min_epu32(_mm512_min_epu32(t[0], t[1]), _mm512_min_epu32(t[2], t[3]));
      bad = _mm512_test_epi32_mask(tmin, tmin) != 0xffff;
    } else bad = (u[0] | u[1] | u[2] | u[3]) != 0;
    if (bad) [[unlikely]] {
      for (int q = 0; q < 4; ++q) k[q] = fb(y[q]);
    }
    for (int q = 0; q < 4; ++q) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 16*q), k[q]);
  }
}

int main(int argc, char** argv) {
  const QuantTable s = make_quant_table(kSignedMapBits, true), u = make_quant_table(kUnsignedMapBits, false);
  Encoder es(s), eu(u);
  Exp xs(*builtin_decade_tables(s)), xu_(*builtin_decade_tables(u));
  const int N = 1 << 16;
  std::vector<float> x(N), xu(N); std::vector<std::uint8_t> out(N), ref(N);
  std::mt19937 g(1); std::normal_distribution<float> nd;
  for (int i = 0; i < N; ++i) { x[i] = nd(g); xu[i] = x[i]*x[i]; }
  std::vector<float> sc(N/256), scu(N/256);
  for (int b=0;b<N/256;++b){ float m=0,mu=0; for(int i=0;i<256;++i){m=std::max(m,std::fabs(x[b*256+i])); mu=std::max(mu,xu[b*256+i]);} sc[b]=m; scu[b]=mu;}
  auto run = [&](const char* name, bool sgn, auto f) {
    const Encoder& e = sgn ? es : eu; const float* xx = sgn ? x.data() : xu.data(); const float* ss = sgn ? sc.data() : scu.data();
    for (int b = 0; b < N/256; ++b) e.encode(xx + b*256, 256, ss[b], ref.data() + b*256);
    const auto fb = e.direct_codes();
    double best = 1e9;
    for (int rep = 0; rep < 7; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      const int R = 600;
      for (int r = 0; r < R; ++r) for (int b = 0; b < N/256; ++b) f(fb, xx + b*256, 256, ss[b], out.data() + b*256);
      auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double, std::nano>(t1-t0).count()/(double(R)*N));
    }
    std::printf("%-40s %.4f ns/elem %s\n", name, best, std::memcmp(out.data(), ref.data(), N) ? "MISMATCH" : "ok");
  };
#define V(S,A,B,C) run(#S " intinc" #A " intsign" #B " agg" #C, S, [&](auto& fb, auto... a){ enc<S,A,B,C>(S ? xs : xu_, fb, a...); });
  for (int rep = 0; rep < 2; ++rep) {
  V(true,false,false,false) V(true,true,false,false) V(true,false,true,false) V(true,false,false,true) V(true,true,true,true)
  V(false,false,false,false) V(false,true,false,false) V(false,false,false,true) V(false,true,false,true)
  }
}
