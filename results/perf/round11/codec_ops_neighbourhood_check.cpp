// Neighbourhood check for the approximate quotient y' = RN(x * RN(1/s)): every float y' the
// decade encoder trusts must code like every float within K magnitude steps (same sign,
// clipped to [0, Inf]). Reference codes: decade code where trusted, encode_value elsewhere
// (the decade encoder equals encode_value where trusted: decade_encoder_exhaustive_test).
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <omp.h>
#define BNB_CPU_VARIANT nbcheck
// build (repository root): g++ -O2 -std=c++20 -fopenmp -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi -mavx2 -mfma \
//   -Ikernels/include results/perf/round11/codec_ops_neighbourhood_check.cpp -o /tmp/nb; /tmp/nb K [guard]
#include "../../../kernels/cpu/decade_codec.hpp"
namespace k = bnb::kernels; namespace cd = bnb::kernels::cpu_detail;
int main(int argc, char** argv) {
  const int K = argc > 1 ? atoi(argv[1]) : 2;
  const bool guard = argc > 2 && atoi(argv[2]) != 0;
  for (int sg = 0; sg < 2; ++sg) {
    const k::QuantTable t = sg ? k::make_quant_table(k::kSignedMapBits, true) : k::make_quant_table(k::kUnsignedMapBits, false);
    auto tabs = cd::make_decade_tables(t);
    if (!tabs) { printf("no tables\n"); return 1; }
    const cd::DecadeEncoder enc(*tabs);
    const std::uint32_t kInf = 0x7f800000u;
    unsigned long long bad = 0, trusted_total = 0;
    for (std::uint32_t sign = 0; sign < 2; ++sign) {
      const std::uint32_t sbit = sign << 31;
      const std::uint64_t kChunk = 1u << 20;
#pragma omp parallel for schedule(dynamic) reduction(+ : bad, trusted_total)
      for (std::uint64_t first = 0; first <= kInf; first += kChunk) {
        const std::uint64_t lo = first >= (std::uint64_t)K ? first - K : 0;
        const std::uint64_t hi = std::min<std::uint64_t>(first + kChunk + K, kInf + 1);  // exclusive
        const std::size_t n = hi - lo;
        std::vector<std::uint8_t> code(n + 16), trust(n + 16);
        for (std::size_t i = 0; i < n; i += 16) {
          alignas(64) float y[16];
          for (int l = 0; l < 16; ++l) { std::uint64_t m = lo + i + l; if (m > kInf) m = kInf; y[l] = k::bits_float(sbit | (std::uint32_t)m); }
          __mmask16 untrusted;
          alignas(16) std::uint8_t c[16];
          _mm_store_si128((__m128i*)c, enc.codes(_mm512_load_ps(y), untrusted));
          for (int l = 0; l < 16; ++l) {
            const bool tr = !((untrusted >> l) & 1);
            trust[i + l] = tr;
            code[i + l] = tr ? c[l] : k::encode_value(t, y[l]);
          }
        }
        if (guard) {  // the proposed extra test: not trusted within K below a piece start, nor -0 (signed)
          for (int p = 0; p < 16; ++p) {
            const std::uint64_t st = tabs->next_start[p];
            if (st == 0xffffffffu) continue;
            for (std::uint64_t m = st >= (std::uint64_t)K ? st - K : 0; m < st; ++m)
              if (m >= lo && m < hi) trust[m - lo] = 0;
          }
          if (sg == 1 && sign == 1 && lo == 0) trust[0] = 0;
        }
        for (std::uint64_t m = first; m < std::min<std::uint64_t>(first + kChunk, kInf + 1); ++m) {
          const std::size_t i = m - lo;
          if (!trust[i]) continue;
          ++trusted_total;
          for (int d = -K; d <= K; ++d) {
            const std::int64_t mm = (std::int64_t)m + d;
            if (mm < 0 || mm > (std::int64_t)kInf) continue;
            if (code[mm - lo] != code[i]) {
              if (++bad <= 5) printf("map %s: y' bits %08x trusted code %d, neighbour %+d code %d\n", sg ? "signed" : "unsigned", sbit | (std::uint32_t)m, code[i], d, code[mm - lo]);
            }
          }
        }
      }
    }
    printf("map %s K=%d: trusted %llu, violations %llu\n", sg ? "signed" : "unsigned", K, trusted_total, bad);
  }
}
