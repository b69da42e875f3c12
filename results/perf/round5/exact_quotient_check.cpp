// Round 5 (issue 21): exhaustive check of the divider-free quotient of divider_free_quotient.diff.
// Build: g++ -O2 -march=sapphirerapids -ffp-contract=off -std=c++20 exact_quotient_check.cpp; run
// without arguments (two corrections, the variant in the diff) or with one (one correction).
// Exhaustive check: for each scale b, every float a with |a| <= b (all 2^31 bit patterns of
// magnitude, both signs via the pattern's sign bit), the divider-free quotient
//   y = RN(1/b); q0 = RN(a*y); r0 = fma(-q0,b,a); q1 = fma(r0,y,q0); r1 = fma(-q1,b,a); q2 = fma(r1,y,q1)
// equals RN(a/b) bit for bit, on the lanes the guard accepts (a == 0, or |a| and |q0| in [2^-64, 2^64]).
#include <immintrin.h>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <random>
static float bf(uint32_t u){float f;memcpy(&f,&u,4);return f;}
int main(int argc,char**argv){
  int single = argc>1 ? 1 : 0;  // 1: one correction step only
  std::vector<float> scales = {1.0f, 0.5f, 0.75f, bf(0x3f7fffff), bf(0x3f800001), 3.0f, 1e-3f, 7.3e-9f, 1234.5f, bf(0x1f800000), bf(0x5f7fffff), 0.1f, 1.0f/3.0f};
  std::mt19937 rng(21);
  for (int i=0;i<12;++i){ uint32_t m = rng() & 0x7fffff; int e = 127 + int(rng()%61) - 30; scales.push_back(bf(uint32_t(e)<<23 | m)); }
  long long bad=0, fallback=0, total=0;
  for (float b : scales){
    const __m512 vb=_mm512_set1_ps(b), vy=_mm512_set1_ps(1.0f/b);
    const __m512i lo=_mm512_set1_epi32(int((127-64)<<23)), span=_mm512_set1_epi32(int(128u<<23)), mag=_mm512_set1_epi32(0x7fffffff);
    const __m512i step=_mm512_set1_epi32(16);
    __m512i idx=_mm512_setr_epi32(0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15);
    long long bb=0, fb=0;
    for (uint64_t base=0; base < (1ull<<32); base+=16){
      const __m512 a=_mm512_castsi512_ps(idx); idx=_mm512_add_epi32(idx,step);
      const __m512 q0=_mm512_mul_ps(a,vy);
      __m512 q=_mm512_fmadd_ps(_mm512_fnmadd_ps(q0,vb,a),vy,q0);
      if(!single) q=_mm512_fmadd_ps(_mm512_fnmadd_ps(q,vb,a),vy,q);
      const __m512 exact=_mm512_div_ps(a,vb);
      const __m512i am=_mm512_and_si512(_mm512_castps_si512(a),mag), qm=_mm512_and_si512(_mm512_castps_si512(q0),mag);
      // in range: (x - lo) unsigned < span
      const __mmask16 ok=_mm512_cmplt_epu32_mask(_mm512_sub_epi32(am,lo),span) & _mm512_cmplt_epu32_mask(_mm512_sub_epi32(qm,lo),span);
      const __mmask16 zero=_mm512_cmpeq_epi32_mask(am,_mm512_setzero_si512());
      const __mmask16 accept = ok | zero;
      // compare as values for zeros (+0 vs -0 encode alike), as bits otherwise
      const __mmask16 same=_mm512_cmpeq_epi32_mask(_mm512_castps_si512(q),_mm512_castps_si512(exact)) | (zero & _mm512_cmp_ps_mask(q,exact,_CMP_EQ_OQ));
      const __mmask16 absle=_mm512_cmp_ps_mask(_mm512_abs_ps(a),vb,_CMP_LE_OQ);
      const __mmask16 wrong=accept & absle & ~same;
      if(wrong){ bb+=__builtin_popcount(wrong); if(bb<5){ alignas(64) float A[16],Q[16],E[16]; _mm512_store_ps(A,a);_mm512_store_ps(Q,q);_mm512_store_ps(E,exact); for(int l=0;l<16;++l) if(wrong>>l&1) printf("b=%a a=%a q=%a exact=%a\n",b,A[l],Q[l],E[l]);} }
      fb+=__builtin_popcount(absle & ~accept); total+=__builtin_popcount(absle);
    }
    printf("b=%a wrong=%lld fallback=%lld\n",b,bb,fb); fflush(stdout); bad+=bb; fallback+=fb;
  }
  printf("scales=%zu inputs(|a|<=b)=%lld wrong=%lld fallback_lanes=%lld\n",scales.size(),total,bad,fallback);
  return bad!=0;
}
