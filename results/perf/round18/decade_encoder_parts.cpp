// Round 18: the decade encoder on L1-resident 256-element blocks divided by their absmax, cycles
// per 16 values. "dc.hpp" is kernels/cpu/decade_codec.hpp with decade_encoder_balanced.diff applied
// (V_A, V_B, V_C select its variants; without them the landed encoder). Build from this directory:
//   cp ../../../kernels/cpu/decade_codec.hpp dc.hpp && patch dc.hpp decade_encoder_balanced.diff
//   g++ -std=c++20 -O3 -DNDEBUG -ffp-contract=off -mavx512f -mavx512bw -mavx512dq -mavx512vl \
//       -mavx512vbmi -mavx2 -mfma -I../../../kernels/include -DQN=4 [-DV_C=1 ...] decade_encoder_parts.cpp
// The fallback of untrusted vectors is counted, not run (timing only).
// L1-resident encode of one 256-element block by its absmax, decade encoder, as the single pass does.
#define BNB_CPU_VARIANT ebench
#include "dc.hpp"
#include <chrono>
#ifndef QN
#define QN 4
#endif
#include <cstdio>
#include <random>
#include <vector>
#include <cstring>
using namespace bnb::kernels;
using namespace bnb::kernels::cpu_detail;
alignas(64) float xs[64][256];
alignas(64) uint8_t out[64][256];
volatile int sinkv;
template <bool kSigned, int kMode>
__attribute__((noinline)) long run(const DecadeEncoder& e, long reps) {
  long untrusted_count = 0;
  alignas(64) unsigned char ilo[64], ihi[64];
  for (int j = 0; j < 64; ++j) { ilo[j] = static_cast<unsigned char>(j < 16 ? 4 * j : j < 32 ? 64 + 4 * (j - 16) : 0); ihi[j] = static_cast<unsigned char>(j < 32 ? 0 : j < 48 ? 4 * (j - 32) : 64 + 4 * (j - 48)); }
  const __m512i idx_lo = _mm512_load_si512(ilo), idx_hi = _mm512_load_si512(ihi);
  for (long r = 0; r < reps; ++r) {
    for (int b = 0; b < 64; ++b) {
      const __m512 vs = _mm512_set1_ps(kSigned ? 1.0f : 1.0f);
      for (int i = 0; i < 256; i += 16 * QN) {
        __m512 y[QN]; __m128i c[QN]; __mmask16 u[QN];
        for (int q = 0; q < QN; ++q) {
          __m512 x = _mm512_load_ps(&xs[b][i + 16 * q]);
          y[q] = kMode == 1 ? _mm512_div_ps(x, vs) : x;
        }
#if V_C
        __m512i w[4];
        for (int q = 0; q < 4; ++q) w[q] = kSigned ? e.signed_within_one(y[q], u[q]) : e.unsigned_within_one(y[q], u[q]);
        __mmask16 any = u[0] | u[1] | u[2] | u[3];
        if (any != 0) [[unlikely]] ++untrusted_count;
        // bytes 0 of every lane: w0, w1 to bytes 0-31, w2, w3 to bytes 32-63
        const __m512i lo = _mm512_permutex2var_epi8(w[0], idx_lo, w[1]);
        const __m512i hi = _mm512_permutex2var_epi8(w[2], idx_hi, w[3]);
        _mm512_storeu_si512(&out[b][i], _mm512_mask_blend_epi8(0xffffffff00000000ull, lo, hi));
        (void)c;
#else
        for (int q = 0; q < QN; ++q) c[q] = e.codes<true>(y[q], u[q]);
        __mmask16 any = 0; for (int q = 0; q < QN; ++q) any |= u[q];
        if (any != 0) [[unlikely]] ++untrusted_count;
        for (int q = 0; q < QN; ++q) _mm_storeu_si128(reinterpret_cast<__m128i*>(&out[b][i + 16 * q]), c[q]);
#endif
      }
    }
  }
  return untrusted_count;
}
int main() {
  static const QuantTable sm = make_quant_table(kSignedMapBits, true), um = make_quant_table(kUnsignedMapBits, false);
  const DecadeTables* st = builtin_decade_tables(sm); const DecadeTables* ut = builtin_decade_tables(um);
  std::mt19937 g(1); std::normal_distribution<float> nd;
  for (auto& row : xs) { float m = 0; for (float& v : row) { v = nd(g); m = std::max(m, std::fabs(v)); } for (float& v : row) v /= m; }
  DecadeEncoder es(*st), eu(*ut);
  const long reps = 20000;
  auto time = [&](const char* name, auto f) {
    for (int k = 0; k < 3; ++k) {
      auto t0 = std::chrono::steady_clock::now(); long u = f(); auto t1 = std::chrono::steady_clock::now();
      double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / (reps * 64.0 * 256 / 16);
      printf("%-22s %.3f ns per 16 (%.1f cycles at 3.66 GHz) untrusted %ld\n", name, ns, ns * 3.66, u);
    }
  };
  time("signed, no division", [&] { return run<true, 0>(es, reps); });
  time("signed, vdivps", [&] { return run<true, 1>(es, reps); });
  for (auto& row : xs) for (float& v : row) v = v * v;
  time("unsigned, no division", [&] { return run<false, 0>(eu, reps); });
  { // check: codes equal the reference path
  }
  time("unsigned, vdivps", [&] { return run<false, 1>(eu, reps); });
}
