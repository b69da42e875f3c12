#include <stdio.h>
#include <time.h>
#include <immintrin.h>
int main(){ struct timespec a,b; long n=500000000L; __m512 x=_mm512_set1_ps(1.0f), y=_mm512_set1_ps(1e-9f); 
 __m512 x2=x,x3=x,x4=x,x5=x,x6=x,x7=x,x8=x;
 clock_gettime(CLOCK_MONOTONIC,&a);
for(long i=0;i<n;i++){ x=_mm512_add_ps(x,y); __asm__ volatile("" : "+v"(x)); }
clock_gettime(CLOCK_MONOTONIC,&b); double t=(b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)*1e-9; printf("dep chain: %.3f GHz if lat 4\n", 4*n/t/1e9);
 clock_gettime(CLOCK_MONOTONIC,&a);
for(long i=0;i<n;i++){ x=_mm512_add_ps(x,y);x2=_mm512_add_ps(x2,y);x3=_mm512_add_ps(x3,y);x4=_mm512_add_ps(x4,y);x5=_mm512_add_ps(x5,y);x6=_mm512_add_ps(x6,y);x7=_mm512_add_ps(x7,y);x8=_mm512_add_ps(x8,y); __asm__ volatile("" : "+v"(x),"+v"(x2),"+v"(x3),"+v"(x4),"+v"(x5),"+v"(x6),"+v"(x7),"+v"(x8)); }
clock_gettime(CLOCK_MONOTONIC,&b); t=(b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)*1e-9; printf("8 chains: %.3f G zmm-adds/s\n", 8*n/t/1e9);
 float o[16]; _mm512_storeu_ps(o,_mm512_add_ps(x,_mm512_add_ps(x2,_mm512_add_ps(x3,_mm512_add_ps(x4,_mm512_add_ps(x5,_mm512_add_ps(x6,_mm512_add_ps(x7,x8)))))))); printf("%f\n",o[0]); return 0;}
