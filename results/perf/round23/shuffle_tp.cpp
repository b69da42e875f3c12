// Round 23 probe: reciprocal throughput of 512-bit instructions on this core (8 independent
// chains in registers), in cycles at 3.65 GHz.
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#define RUN(NAME, EXPR)                                                                                     \
  {                                                                                                         \
    __m512i a0 = _mm512_set1_epi32(0x3f800001), a1 = _mm512_set1_epi32(0x3f800002), a2 = _mm512_set1_epi32(0x3f800003),                \
            a3 = _mm512_set1_epi32(0x3f800004), a4 = _mm512_set1_epi32(0x3f800005), a5 = _mm512_set1_epi32(0x3f800006),                \
            a6 = _mm512_set1_epi32(0x3f800007), a7 = _mm512_set1_epi32(0x3f800008);                                           \
    const long n = 100000000;                                                                               \
    auto t0 = std::chrono::steady_clock::now();                                                             \
    for (long i = 0; i < n; ++i) {                                                                          \
      a0 = EXPR(a0); a1 = EXPR(a1); a2 = EXPR(a2); a3 = EXPR(a3);                                           \
      a4 = EXPR(a4); a5 = EXPR(a5); a6 = EXPR(a6); a7 = EXPR(a7);                                           \
      asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));    \
    }                                                                                                       \
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();    \
    std::printf("%-12s %.2f cycles\n", NAME, ns / (n * 8.0) * 3.65);                                         \
  }
int main() {
  const __m512i t = _mm512_set1_epi32(0x3f010203), u = _mm512_set1_epi32(0x3f050607);  // normal floats as operands of the float operations
  const __m512 f = _mm512_set1_ps(0.5f);
#define PERMT2B(x) _mm512_permutex2var_epi8(t, x, u)
#define PERMB(x) _mm512_permutexvar_epi8(x, t)
#define PERMT2D(x) _mm512_permutex2var_epi32(t, x, u)
#define PERMD(x) _mm512_permutexvar_epi32(x, t)
#define UNPACK(x) _mm512_unpacklo_epi8(x, t)
#define PSHUFB(x) _mm512_shuffle_epi8(t, x)
#define ADD(x) _mm512_add_epi32(x, t)
#define BLEND(x) _mm512_mask_blend_epi8(0x5555555555555555ull, x, t)
#define FMA(x) _mm512_castps_si512(_mm512_fmadd_ps(_mm512_castsi512_ps(x), f, f))
#define MOVDB(x) _mm512_castsi128_si512(_mm512_cvtepi32_epi8(x))
#define PERMPS(x) _mm512_castps_si512(_mm512_permutexvar_ps(x, f))
#define CMPADD(x) _mm512_mask_add_epi32(x, _mm512_cmp_epu32_mask(x, t, _MM_CMPINT_NLT), x, u)
#define ADDADD(x) _mm512_add_epi32(_mm512_add_epi32(x, t), u)
#define TESTADD(x) _mm512_mask_add_epi32(x, _mm512_test_epi32_mask(x, t), x, u)
#define CMPPSADD(x) _mm512_mask_add_epi32(x, _mm512_cmp_ps_mask(_mm512_castsi512_ps(x), f, _CMP_NEQ_OQ), x, u)
#define MAXPS(x) _mm512_castps_si512(_mm512_max_ps(_mm512_castsi512_ps(x), f))
#define RANGEPS(x) _mm512_castps_si512(_mm512_range_ps(_mm512_castsi512_ps(x), f, 0x0a))
#define SRLI(x) _mm512_srli_epi32(x, 3)
#define DIVPS(x) _mm512_castps_si512(_mm512_div_ps(_mm512_castsi512_ps(x), _mm512_set1_ps(1.0000001f)))
#define MULPS(x) _mm512_castps_si512(_mm512_mul_ps(_mm512_castsi512_ps(x), f))
#define MIX_PF(x) FMA(PERMB(x))
#define MIX_PM(x) MAXPS(PERMB(x))
#define MIX_FM(x) MAXPS(FMA(x))
#define MIX_PFM(x) MAXPS(FMA(PERMB(x)))
#define MIX_PA(x) ADD(PERMB(x))
#define MIX_FA(x) ADD(FMA(x))
#define MIX_PP(x) PERMD(PERMB(x))
#define AND(x) _mm512_and_si512(x, t)
#define TERN(x) _mm512_ternarylogic_epi32(x, t, u, 0x96)
#define MINUD(x) _mm512_min_epu32(x, t)
#define MINPS(x) _mm512_castps_si512(_mm512_min_ps(_mm512_castsi512_ps(x), f))
#define SUB(x) _mm512_sub_epi32(x, t)
#define SRAV(x) _mm512_srav_epi32(x, t)
#define P_SRL(x) SRLI(PERMB(x))
#define P_AND(x) AND(PERMB(x))
#define P_TERN(x) TERN(PERMB(x))
#define P_MINUD(x) MINUD(PERMB(x))
#define P_MINPS(x) MINPS(PERMB(x))
#define P_BLEND(x) BLEND(PERMB(x))
#define P_RANGE(x) RANGEPS(PERMB(x))
#define P_CMPADD(x) CMPADD(PERMB(x))
#define F_SRL(x) SRLI(FMA(x))
#define F_AND(x) AND(FMA(x))
#define F_MINUD(x) MINUD(FMA(x))
#define F_CMPADD(x) CMPADD(FMA(x))
#define M_CMPADD(x) CMPADD(MAXPS(x))
#define SRL_AND(x) AND(SRLI(x))
#define AND_AND(x) AND(AND(x))
  RUN("perm+srl", P_SRL) RUN("perm+and", P_AND) RUN("perm+tern", P_TERN) RUN("perm+minud", P_MINUD) RUN("perm+minps", P_MINPS)
  RUN("perm+blend", P_BLEND) RUN("perm+range", P_RANGE) RUN("perm+cmp+madd", P_CMPADD) RUN("fma+srl", F_SRL) RUN("fma+and", F_AND)
  RUN("fma+minud", F_MINUD) RUN("fma+cmp+madd", F_CMPADD) RUN("max+cmp+madd", M_CMPADD) RUN("srl+and", SRL_AND) RUN("and+and", AND_AND)
  RUN("and", AND) RUN("tern", TERN) RUN("minud", MINUD) RUN("minps", MINPS) RUN("sub", SUB)
  RUN("perm+fma", MIX_PF) RUN("perm+max", MIX_PM) RUN("fma+max", MIX_FM) RUN("perm+fma+max", MIX_PFM) RUN("perm+add", MIX_PA) RUN("fma+add", MIX_FA) RUN("perm+perm", MIX_PP)
  RUN("cmp+maskadd", CMPADD) RUN("add+add", ADDADD) RUN("test+maskadd", TESTADD) RUN("cmpps+maskadd", CMPPSADD)
  RUN("vmaxps", MAXPS) RUN("vrangeps", RANGEPS) RUN("vpsrld", SRLI) RUN("vdivps", DIVPS) RUN("vmulps", MULPS)
  RUN("vpermt2b", PERMT2B) RUN("vpermb", PERMB) RUN("vpermt2d", PERMT2D) RUN("vpermd", PERMD) RUN("vpermps", PERMPS)
  RUN("punpcklbw", UNPACK) RUN("pshufb", PSHUFB) RUN("vpaddd", ADD) RUN("vpblendmb", BLEND) RUN("vfmadd", FMA)
  RUN("vpmovdb", MOVDB)
}
