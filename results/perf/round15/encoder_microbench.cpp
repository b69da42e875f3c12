#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <cmath>
#include <cstring>
#include "simd_codec.hpp"
#include "exact_quotient.hpp"
#include "bnb/kernels/qmap_bits.hpp"
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;

struct Exp {
  __m512i first_piece_, next_start_; __m512 cap_, slope_, offset0_, offset1_, negative_tie_;
  explicit Exp(const DecadeTables& d) : first_piece_(_mm512_load_si512(d.first_piece)), next_start_(_mm512_load_si512(d.next_start)),
    cap_(_mm512_load_ps(d.cap)), slope_(_mm512_load_ps(d.slope)), offset0_(_mm512_load_ps(d.offset)), offset1_(_mm512_load_ps(d.offset + 16)),
    negative_tie_(_mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(d.negative_tie_bits)))) {}
  __m512i piece_of(__m512i mbits) const {
    const __m512i piece = _mm512_permutexvar_epi8(_mm512_srli_epi32(mbits, 24), first_piece_);
    const __mmask16 next = _mm512_cmp_epu32_mask(mbits, _mm512_permutexvar_epi32(piece, next_start_), _MM_CMPINT_NLT);
    return _mm512_mask_add_epi32(piece, next, piece, _mm512_set1_epi32(1));
  }
  // returns s (code in bits 15..22), untrusted mask
  template <bool kSigned, bool kClamp1>
  __m512 s_of(__m512 y, __mmask16& untrusted) const {
    if constexpr (kSigned) {
      const __m512 m = _mm512_range_ps(y, _mm512_set1_ps(1.0f), 0x0a);
      __m512i piece = piece_of(_mm512_castps_si512(m));
      const __m512 slope = _mm512_permutexvar_ps(piece, slope_);
      const __m512 c = _mm512_range_ps(y, _mm512_permutexvar_ps(piece, cap_), 0x02);
      piece = _mm512_mask_or_epi32(piece, _mm512_movepi32_mask(_mm512_castps_si512(y)), piece, _mm512_set1_epi32(16));
      const __m512 s = _mm512_fmadd_ps(c, slope, _mm512_permutex2var_ps(offset0_, piece, offset1_));
      constexpr int kFractionMask = ((1 << 15) - 1) & ~(2 * 2 - 1);
      untrusted = static_cast<__mmask16>(~_mm512_mask_test_epi32_mask(_mm512_cmp_ps_mask(y, negative_tie_, _CMP_NEQ_OQ), _mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask)));
      return s;
    } else {
      __m512 m = _mm512_max_ps(y, _mm512_setzero_ps());
      if (kClamp1) m = _mm512_min_ps(m, _mm512_set1_ps(1.0f));
      const __m512i piece = piece_of(_mm512_castps_si512(m));
      const __m512 c = _mm512_min_ps(m, _mm512_permutexvar_ps(piece, cap_));
      const __m512 s = _mm512_fmadd_ps(c, _mm512_permutexvar_ps(piece, slope_), _mm512_permutexvar_ps(piece, offset0_));
      constexpr int kFractionMask = ((1 << 15) - 1) & ~(2 * 2 - 1);
      untrusted = static_cast<__mmask16>(~_mm512_test_epi32_mask(_mm512_castps_si512(s), _mm512_set1_epi32(kFractionMask)));
      return s;
    }
  }
};

template <bool kSigned, bool kClamp1, int kDiv, int kNarrow>
__attribute__((noinline)) void enc(const Exp& e, const Encoder::DirectCodes& fb, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  const __m512 vscale = _mm512_set1_ps(scale), vr = _mm512_set1_ps(1.0f / scale);
  const __m512i pick = _mm512_set_epi32(0,0,0,0,0,0,0,0, 0x7e7a7672, 0x6e6a6662, 0x5e5a5652, 0x4e4a4642, 0x3e3a3632, 0x2e2a2622, 0x1e1a1612, 0x0e0a0602);
  for (std::size_t i = 0; i < len; i += 64) {
    __m512 y[4], s[4]; __mmask16 u[4];
    for (int q = 0; q < 4; ++q) {
      const __m512 xv = _mm512_loadu_ps(x + i + 16*q);
      y[q] = kDiv == 0 ? _mm512_div_ps(xv, vscale) : kDiv == 1 ? reciprocal_quotient(xv, vscale, vr) : _mm512_mul_ps(xv, vr);
      s[q] = e.s_of<kSigned, kClamp1>(y[q], u[q]);
    }
    __m128i k[4];
    if constexpr (kNarrow == 0) {
      for (int q = 0; q < 4; ++q) k[q] = _mm512_cvtepi32_epi8(_mm512_srli_epi32(_mm512_castps_si512(s[q]), 15));
    } else {
      // shift left by 1: code in byte 2 (bits 16..23) -- bit 23 is exponent LSB... use >>7 then byte 1
      __m512i a = _mm512_srli_epi32(_mm512_castps_si512(s[0]), 7), b = _mm512_srli_epi32(_mm512_castps_si512(s[1]), 7);
      __m512i c = _mm512_srli_epi32(_mm512_castps_si512(s[2]), 7), d = _mm512_srli_epi32(_mm512_castps_si512(s[3]), 7);
      // bytes 1 of each lane: indexes 1,5,9,... from a (0..63) and b (64..127)
      const __m512i ab = _mm512_permutex2var_epi8(a, pick, b);
      const __m512i cd = _mm512_permutex2var_epi8(c, pick, d);
      k[0] = _mm512_castsi512_si128(ab); k[1] = _mm512_extracti32x4_epi32(ab, 1);
      k[2] = _mm512_castsi512_si128(cd); k[3] = _mm512_extracti32x4_epi32(cd, 1);
    }
    if ((u[0] | u[1] | u[2] | u[3]) != 0) [[unlikely]] {
      for (int q = 0; q < 4; ++q) if (u[q]) k[q] = fb(_mm512_div_ps(_mm512_loadu_ps(x + i + 16*q), vscale));
    }
    if constexpr (kNarrow == 0) { for (int q = 0; q < 4; ++q) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 16*q), k[q]); }
    else { _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_inserti128_si256(_mm256_castsi128_si256(k[0]), k[1], 1));
           _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 32), _mm256_inserti128_si256(_mm256_castsi128_si256(k[2]), k[3], 1)); }
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
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      const int R = 1000;
      for (int r = 0; r < R; ++r) for (int b = 0; b < N/256; ++b) f(fb, xx + b*256, 256, ss[b], out.data() + b*256);
      auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double, std::nano>(t1-t0).count()/(double(R)*N));
    }
    std::printf("%-28s %.4f ns/elem %s\n", name, best, std::memcmp(out.data(), ref.data(), N) ? "MISMATCH" : "ok");
  };
#define V(S,C,D,NN) run(#S " clamp" #C " div" #D " narrow" #NN, S, [&](auto& fb, auto... a){ enc<S,C,D,NN>(S ? xs : xu_, fb, a...); });
  for (int rep = 0; rep < 2; ++rep) {
  V(true,true,0,0) V(true,true,1,0) V(true,true,2,0) V(true,true,0,1) V(true,true,1,1)
  V(false,true,0,0) V(false,false,0,0) V(false,true,1,0) V(false,false,1,0) V(false,true,2,0) V(false,true,0,1) V(false,false,1,1)
  }
}
