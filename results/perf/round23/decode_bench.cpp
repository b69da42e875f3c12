// Round 23 probe: decode_64_codes in L1 (one signed row), and the signed map decoded through its
// mirror (value[c] = -value[254 - c], code 127 zero, 255 one): one vpermt2b per plane, zero-masked.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include "../../../kernels/cpu/byte_plane_codec.hpp"
#include "bnb/kernels/qmap_bits.hpp"
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;

struct Mirror {  // planes[k][j] = byte k of value[128 + j], j = 0..127
  __m512i lo[4], hi[4];
};
[[gnu::always_inline]] inline void decode_mirror(const Mirror& t, const std::uint8_t* codes, __m512i order, __m512 vscale, __m512 (&out)[4]) {
  const __m512i c = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(codes));
  const __mmask64 positive = _mm512_movepi8_mask(c);                       // codes 128-255
  const __mmask64 nonzero = _mm512_cmpneq_epi8_mask(c, _mm512_set1_epi8(127));
  const __m512i index = _mm512_mask_blend_epi8(positive, _mm512_sub_epi8(_mm512_set1_epi8(126), c), c);
  __m512i b[4], w[4];
  for (int k = 0; k < 4; ++k) b[k] = _mm512_maskz_permutex2var_epi8(nonzero, t.lo[k], index, t.hi[k]);
  b[3] = _mm512_mask_blend_epi8(positive | ~nonzero, _mm512_or_si512(b[3], _mm512_set1_epi8(char(0x80))), b[3]);
  interleave_planes(b, w);
  for (int q = 0; q < 4; ++q) out[q] = _mm512_mul_ps(_mm512_castsi512_ps(w[q]), vscale);
}

int main() {
  BytePlanes planes;
  std::uint32_t words[256];
  for (int i = 0; i < 256; ++i) words[i] = kSignedMapBits[i];
  fill_planes(planes, words);
  Mirror m;
  alignas(64) std::uint8_t tb[4][128];
  for (int k = 0; k < 4; ++k) for (int j = 0; j < 128; ++j) tb[k][j] = std::uint8_t(words[128 + j] >> (8 * k));
  for (int k = 0; k < 4; ++k) { m.lo[k] = _mm512_load_si512(tb[k]); m.hi[k] = _mm512_load_si512(tb[k] + 64); }
  const __m512i order = plane_order_index();
  alignas(64) std::uint8_t codes[4096];
  std::mt19937 rng(3);
  for (auto& c : codes) c = std::uint8_t(rng());
  for (int i = 0; i < 256; ++i) codes[i] = std::uint8_t(i);
  const __m512 vs = _mm512_set1_ps(0.37f);
  long mism = 0;
  for (int i = 0; i < 4096; i += 64) {
    __m512 a[4], b[4];
    decode_64_codes(planes, codes + i, order, vs, a);
    decode_mirror(m, codes + i, order, vs, b);
    for (int q = 0; q < 4; ++q) mism += __builtin_popcount(_mm512_cmpneq_epi32_mask(_mm512_castps_si512(a[q]), _mm512_castps_si512(b[q])));
  }
  std::printf("mismatching lanes %ld of 4096\n", mism);
  alignas(64) float out[4096];
  for (int rep = 0; rep < 4; ++rep) for (int which = 0; which < 2; ++which) {
    const int iters = 200000;
    auto t0 = std::chrono::steady_clock::now();
    for (int it = 0; it < iters; ++it) {
      for (int i = 0; i < 4096; i += 64) {
        __m512 v[4];
        if (which == 0) decode_64_codes(planes, codes + i, order, vs, v); else decode_mirror(m, codes + i, order, vs, v);
        for (int q = 0; q < 4; ++q) _mm512_store_ps(out + i + 16 * q, v[q]);
      }
      asm volatile("" ::: "memory");
    }
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / (iters * 4096.0);
    std::printf("%s %.4f ns/code = %.2f cycles per 16 at 3.65 GHz\n", which ? "mirror" : "planes", ns, ns * 16 * 3.65);
  }
}
