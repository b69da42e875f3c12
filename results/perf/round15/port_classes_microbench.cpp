#include <immintrin.h>
#include <chrono>
#include <cstdio>
// 6 chains of f and 6 chains of g interleaved; cycles per (f+g) pair
template <class F, class G> double bench(F f, G g) {
  __m512 a0=_mm512_set1_ps(1.0f),a1=_mm512_set1_ps(1.01f),a2=_mm512_set1_ps(1.02f),a3=_mm512_set1_ps(1.03f),a4=_mm512_set1_ps(1.04f),a5=_mm512_set1_ps(1.05f);
  __m512 b0=a0,b1=a1,b2=a2,b3=a3,b4=a4,b5=a5;
  const long N=10000000;
  auto t0=std::chrono::steady_clock::now();
  for (long i=0;i<N;++i){ a0=f(a0);b0=g(b0);a1=f(a1);b1=g(b1);a2=f(a2);b2=g(b2);a3=f(a3);b3=g(b3);a4=f(a4);b4=g(b4);a5=f(a5);b5=g(b5);
    asm volatile("" : "+v"(a0),"+v"(a1),"+v"(a2),"+v"(a3),"+v"(a4),"+v"(a5)); asm volatile("" : "+v"(b0),"+v"(b1),"+v"(b2),"+v"(b3),"+v"(b4),"+v"(b5)); }
  auto t1=std::chrono::steady_clock::now();
  float s=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(b0,b5))));
  s += _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(b1,b2),_mm512_add_ps(b3,b4)));
  if (s==1234.5f) std::puts("x");
  return std::chrono::duration<double,std::nano>(t1-t0).count()/(N*6.0)/0.273;
}
#define CI(x) _mm512_castps_si512(x)
#define CF(x) _mm512_castsi512_ps(x)
int main(){
  const __m512i t = _mm512_set_epi32(15,14,13,12,11,10,9,8,7,6,5,4,3,2,1,0);
  const __m512 one=_mm512_set1_ps(1.0f);
  auto perm=[&](__m512 a){return CF(_mm512_permutexvar_epi32(CI(a),t));};
  auto fma=[&](__m512 a){return _mm512_fmadd_ps(a,one,one);};
  auto add=[&](__m512 a){return _mm512_add_ps(a,one);};
  auto srl=[&](__m512 a){return CF(_mm512_srli_epi32(CI(a),1));};
  auto rng=[&](__m512 a){return _mm512_range_ps(a,one,0x0a);};
  auto mn=[&](__m512 a){return _mm512_min_ps(a,one);};
  auto cmpk=[&](__m512 a){return CF(_mm512_maskz_mov_epi32(_mm512_cmp_epu32_mask(CI(a),t,_MM_CMPINT_NLT),CI(a)));};
  auto movk=[&](__m512 a){return CF(_mm512_maskz_mov_epi32((__mmask16)0x5555,CI(a)));};
  auto pmov=[&](__m512 a){return CF(_mm512_castsi128_si512(_mm512_cvtepi32_epi8(CI(a))));};
  auto padd=[&](__m512 a){return CF(_mm512_add_epi32(CI(a),t));};
  auto tern=[&](__m512 a){return CF(_mm512_ternarylogic_epi32(CI(a),t,t,0x28));};
  auto minu=[&](__m512 a){return CF(_mm512_min_epu32(CI(a),t));};
  std::printf("single classes (per op cycles x2 for pair):\n");
  std::printf("perm+perm %.2f\n", bench(perm,perm));
  std::printf("perm+fma  %.2f\n", bench(perm,fma));
  std::printf("perm+add  %.2f\n", bench(perm,add));
  std::printf("perm+srl  %.2f\n", bench(perm,srl));
  std::printf("fma+srl   %.2f\n", bench(fma,srl));
  std::printf("add+srl   %.2f\n", bench(add,srl));
  std::printf("perm+rng  %.2f\n", bench(perm,rng));
  std::printf("add+rng   %.2f\n", bench(add,rng));
  std::printf("fma+rng   %.2f\n", bench(fma,rng));
  std::printf("perm+min  %.2f\n", bench(perm,mn));
  std::printf("fma+min   %.2f\n", bench(fma,mn));
  std::printf("add+min   %.2f\n", bench(add,mn));
  std::printf("movk+movk %.2f\n", bench(movk,movk));
  std::printf("perm+cmpk %.2f (cmp+maskmov)\n", bench(perm,cmpk));
  std::printf("fma+cmpk  %.2f\n", bench(fma,cmpk));
  std::printf("add+cmpk  %.2f\n", bench(add,cmpk));
  std::printf("cmpk+cmpk %.2f\n", bench(cmpk,cmpk));
  std::printf("perm+pmov %.2f\n", bench(perm,pmov));
  std::printf("fma+pmov  %.2f\n", bench(fma,pmov));
  std::printf("add+pmov  %.2f\n", bench(add,pmov));
  std::printf("perm+padd %.2f\n", bench(perm,padd));
  std::printf("fma+padd  %.2f\n", bench(fma,padd));
  std::printf("perm+tern %.2f\n", bench(perm,tern));
  std::printf("perm+minu %.2f\n", bench(perm,minu));
  std::printf("fma+add   %.2f\n", bench(fma,add));
}
