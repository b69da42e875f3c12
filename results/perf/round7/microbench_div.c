#include <stdio.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec a; clock_gettime(CLOCK_MONOTONIC,&a); return a.tv_sec+a.tv_nsec*1e-9;}
float xs[4096] __attribute__((aligned(64)));
int main(){ for(int i=0;i<4096;i++) xs[i]=(float)(i%113)*0.37f+1.0f;
 long n=20000000; double t; __m512 d=_mm512_set1_ps(1.37f); __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0;
 t=now(); for(long i=0;i<n;i+=4){ const float* p=xs+(i&255)*16; s0=_mm512_add_ps(s0,_mm512_div_ps(_mm512_load_ps(p),d)); s1=_mm512_add_ps(s1,_mm512_div_ps(_mm512_load_ps(p+16),d)); s2=_mm512_add_ps(s2,_mm512_div_ps(_mm512_load_ps(p+32),d)); s3=_mm512_add_ps(s3,_mm512_div_ps(_mm512_load_ps(p+48),d)); } t=now()-t;
 printf("vdivps zmm: %.2f ns each\n", t/n*1e9);
 t=now(); for(long i=0;i<n;i+=4){ const float* p=xs+(i&255)*16; s0=_mm512_add_ps(s0,_mm512_sqrt_ps(_mm512_load_ps(p))); s1=_mm512_add_ps(s1,_mm512_sqrt_ps(_mm512_load_ps(p+16))); s2=_mm512_add_ps(s2,_mm512_sqrt_ps(_mm512_load_ps(p+32))); s3=_mm512_add_ps(s3,_mm512_sqrt_ps(_mm512_load_ps(p+48))); } t=now()-t;
 printf("vsqrtps zmm: %.2f ns each\n", t/n*1e9);
 __m256 e0=_mm256_setzero_ps(),e1=e0; __m256 d8=_mm256_set1_ps(1.37f);
 t=now(); for(long i=0;i<n;i+=2){ const float* p=xs+(i&255)*16; e0=_mm256_add_ps(e0,_mm256_div_ps(_mm256_load_ps(p),d8)); e1=_mm256_add_ps(e1,_mm256_div_ps(_mm256_load_ps(p+8),d8)); } t=now()-t;
 printf("vdivps ymm: %.2f ns each\n", t/n*1e9);
 float f[16]; _mm512_storeu_ps(f,_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3))); float g[8]; _mm256_storeu_ps(g,_mm256_add_ps(e0,e1)); printf("%f %f\n",f[0],g[0]); return 0;}
