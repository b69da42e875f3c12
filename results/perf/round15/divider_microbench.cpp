#include <immintrin.h>
#include <chrono>
#include <cstdio>
// throughput of independent ops: 8 independent chains
template <class F> double bench(F f) {
  __m512 a0=_mm512_set1_ps(1.0f),a1=_mm512_set1_ps(1.01f),a2=_mm512_set1_ps(1.02f),a3=_mm512_set1_ps(1.03f),a4=_mm512_set1_ps(1.04f),a5=_mm512_set1_ps(1.05f),a6=_mm512_set1_ps(1.06f),a7=_mm512_set1_ps(1.07f);
  const __m512 d=_mm512_set1_ps(1.0000001f);
  const long N=20000000;
  auto t0=std::chrono::steady_clock::now();
  for (long i=0;i<N;++i){ a0=f(a0,d);a1=f(a1,d);a2=f(a2,d);a3=f(a3,d);a4=f(a4,d);a5=f(a5,d);a6=f(a6,d);a7=f(a7,d); asm volatile("" : "+v"(a0),"+v"(a1),"+v"(a2),"+v"(a3),"+v"(a4),"+v"(a5),"+v"(a6),"+v"(a7)); }
  auto t1=std::chrono::steady_clock::now();
  float s=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(a6,a7))));
  if (s==1234.5f) std::puts("x");
  return std::chrono::duration<double,std::nano>(t1-t0).count()/(N*8.0);
}
int main(){
  for (int rep=0;rep<3;++rep){
  std::printf("vdivps zmm  %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_div_ps(a,d);}));
  std::printf("vsqrtps zmm %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_sqrt_ps(a);}));
  std::printf("vmulps zmm  %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_mul_ps(a,d);}));
  std::printf("vaddps zmm  %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_add_ps(a,d);}));
  std::printf("vpermps zmm %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_permutexvar_ps(_mm512_castps_si512(d),a);}));
  std::printf("vpermt2ps   %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_permutex2var_ps(a,_mm512_castps_si512(d),d);}));
  std::printf("vrangeps    %.3f ns\n", bench([](__m512 a,__m512 d){return _mm512_range_ps(a,d,0x0a);}));
  }
}
