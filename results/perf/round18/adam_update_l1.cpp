// Round 18: Adam's update and absmax on L1-resident arrays (g++ -O2 -mavx512f -mavx512dq
// -ffp-contract=off), cycles per 16 elements at 3.65 GHz; MODE drops the root, the division or
// stores (timing only, not the kernel's exact expression).
#include <immintrin.h>
#include <cstdio>
#include <chrono>
alignas(64) float G[4096], P[4096], M[4096], V[4096], PO[4096], MO[4096], VO[4096];
volatile float sink;
template<int MODE> __attribute__((noinline)) void run(long reps){
  const __m512 b1=_mm512_set1_ps(0.9f), c1=_mm512_set1_ps(0.1f), b2=_mm512_set1_ps(0.999f), c2=_mm512_set1_ps(0.001f), st=_mm512_set1_ps(1e-3f), eps=_mm512_set1_ps(1e-8f);
  const __m512 mag=_mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  __m512 am=_mm512_setzero_ps(), av=am;
  for(long r=0;r<reps;r++) for(int i=0;i<4096;i+=16){
    __m512 g=_mm512_load_ps(G+i), m=_mm512_load_ps(M+i), v=_mm512_load_ps(V+i), p=_mm512_load_ps(P+i);
    m=_mm512_add_ps(_mm512_mul_ps(b1,m),_mm512_mul_ps(c1,g));
    v=_mm512_add_ps(_mm512_mul_ps(b2,v),_mm512_mul_ps(c2,_mm512_mul_ps(g,g)));
    __m512 den = MODE==1 ? _mm512_add_ps(v,eps) : _mm512_add_ps(_mm512_sqrt_ps(v),eps);
    __m512 q = MODE==2 ? _mm512_mul_ps(_mm512_mul_ps(st,m),den) : _mm512_div_ps(_mm512_mul_ps(st,m),den);
    if (MODE==3) q = _mm512_mul_ps(_mm512_mul_ps(st,m),den);
    p=_mm512_sub_ps(p,q);
    _mm512_store_ps(PO+i,p); if (MODE!=4) { _mm512_store_ps(MO+i,m); _mm512_store_ps(VO+i,v); }
    if (MODE!=5) { am=_mm512_max_ps(_mm512_and_ps(m,mag),am); av=_mm512_max_ps(_mm512_and_ps(v,mag),av); } else { am=_mm512_add_ps(am,m); av=_mm512_add_ps(av,v);} 
  }
  sink=_mm512_reduce_add_ps(_mm512_add_ps(am,av));
}
template<int MODE> void t(const char* nm){ long reps=20000; for(int k=0;k<2;k++){ auto t0=std::chrono::steady_clock::now(); run<MODE>(reps); auto t1=std::chrono::steady_clock::now();
 printf("%-22s %.2f cycles per 16\n",nm,std::chrono::duration<double,std::nano>(t1-t0).count()/(reps*256.0)*3.66);} }
int main(){ for(int i=0;i<4096;i++){G[i]=0.01f*((i%7)-3.5f);P[i]=1;M[i]=0.001f;V[i]=1e-4f;}
 t<0>("sqrt+div"); t<1>("div only"); t<2>("sqrt only"); t<4>("sqrt+div, store p only"); t<5>("sqrt+div, no absmax"); t<3>("neither"); }
