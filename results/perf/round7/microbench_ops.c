#include <stdio.h>
#include <time.h>
#include <stdint.h>
#include <immintrin.h>
static double now(){struct timespec a; clock_gettime(CLOCK_MONOTONIC,&a); return a.tv_sec+a.tv_nsec*1e-9;}
int tab[32768] __attribute__((aligned(64)));
float xs[4096] __attribute__((aligned(64)));
int main(){ for(int i=0;i<32768;i++) tab[i]=i*7; for(int i=0;i<4096;i++) xs[i]=(float)(i%113)*0.37f+1.0f;
 long n=20000000; double t;
 __m512i idx0=_mm512_set_epi32(15,1400,23,3000,40,5000,66,7000,81,9000,100,11000,120,13000,140,15000), acc=_mm512_setzero_si512();
 __m512i m=_mm512_set1_epi32(32767);
 t=now(); for(long i=0;i<n;i++){ __m512i id=_mm512_and_si512(_mm512_add_epi32(idx0,_mm512_set1_epi32((int)i)),m); __m512i z; __asm__("vpxord %0,%0,%0":"=v"(z)); __m512i g=_mm512_mask_i32gather_epi32(z,0xffff,id,tab,4); acc=_mm512_add_epi32(acc,g);} t=now()-t;
 printf("gather zmm indep: %.2f ns each (%.1f cyc@3.2)\n", t/n*1e9, t/n*3.2e9);
 __m256i acc2=_mm256_setzero_si256(); __m256i idx1=_mm256_set_epi32(15,1400,23,3000,40,5000,66,7000), m2=_mm256_set1_epi32(32767);
 t=now(); for(long i=0;i<n;i++){ __m256i id=_mm256_and_si256(_mm256_add_epi32(idx1,_mm256_set1_epi32((int)i)),m2); __m256i g=_mm256_i32gather_epi32(tab,id,4); acc2=_mm256_add_epi32(acc2,g);} t=now()-t;
 printf("gather ymm: %.2f ns each\n", t/n*1e9);
 __m512 d=_mm512_set1_ps(1.37f), a0=_mm512_set1_ps(1.f),s=_mm512_setzero_ps();
 t=now(); for(long i=0;i<n;i++){ __m512 x=_mm512_load_ps(xs+(i&255)*16); s=_mm512_add_ps(s,_mm512_div_ps(x,d)); } t=now()-t;
 printf("vdivps zmm: %.2f ns each (%.1f cyc@3.2)\n", t/n*1e9, t/n*3.2e9);
 t=now(); for(long i=0;i<n;i++){ __m512 x=_mm512_load_ps(xs+(i&255)*16); s=_mm512_add_ps(s,_mm512_sqrt_ps(x)); } t=now()-t;
 printf("vsqrtps zmm: %.2f ns each\n", t/n*1e9);
 __m512d dd=_mm512_set1_pd(1.37); __m512d sd=_mm512_setzero_pd();
 t=now(); for(long i=0;i<n;i++){ __m512 x=_mm512_load_ps(xs+(i&255)*16); __m512d lo=_mm512_cvtps_pd(_mm512_castps512_ps256(x)), hi=_mm512_cvtps_pd(_mm512_extractf32x8_ps(x,1)); 
   __m256 rl=_mm512_cvtpd_ps(_mm512_mul_pd(lo,dd)), rh=_mm512_cvtpd_ps(_mm512_mul_pd(hi,dd)); s=_mm512_add_ps(s,_mm512_insertf32x8(_mm512_castps256_ps512(rl),rh,1)); } t=now()-t;
 printf("double recip-mul 16 floats: %.2f ns each\n", t/n*1e9);
 t=now(); for(long i=0;i<n;i++){ __m512 x=_mm512_load_ps(xs+(i&255)*16); __m512 q=_mm512_mul_ps(x,d); __m512 e=_mm512_fnmadd_ps(q,a0,x); q=_mm512_fmadd_ps(e,d,q); e=_mm512_fnmadd_ps(q,a0,x); s=_mm512_add_ps(s,_mm512_fmadd_ps(e,d,q)); } t=now()-t;
 printf("mul+4fma: %.2f ns each\n", t/n*1e9);
 int o[16]; _mm512_storeu_si512(o,acc); float f[16]; _mm512_storeu_ps(f,s); int o2[8]; _mm256_storeu_si256((__m256i*)o2,acc2); printf("%d %f %d %f\n",o[0],f[0],o2[0],_mm512_reduce_add_pd(sd)); return 0;}
