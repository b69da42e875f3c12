// Instruction costs on the round-9 machine (results/perf/round9/adam8.md): independent 512-bit gathers
// (full, 2 lanes, 0 lanes under the mask), divisions, square roots and FMAs, thread CPU time per instruction.
// Build: gcc -O2 -march=znver4 gather_microbench.c
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>
static double ns(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e9+t.tv_nsec;}
int table[65536] __attribute__((aligned(64)));
int main(){
  for(int i=0;i<65536;i++) table[i]=i*7;
  const long N=20000000;
  __m512i idx0=_mm512_setr_epi32(0,17,34,51,68,85,102,119,136,153,170,187,204,221,238,255);
  __m512i acc=_mm512_setzero_si512(), acc2=_mm512_setzero_si512();
  __m512i add=_mm512_set1_epi32(1);
  double t0=ns();
  for(long i=0;i<N;i++){ __m512i idx=_mm512_and_si512(_mm512_add_epi32(idx0,_mm512_set1_epi32((int)i)),_mm512_set1_epi32(1023));
    acc=_mm512_add_epi32(acc,_mm512_i32gather_epi32(idx,table,4)); }
  double t1=ns();
  printf("zmm gather 16 lanes (4 KiB table): %.2f ns per gather\n",(t1-t0)/N);
  t0=ns();
  for(long i=0;i<N;i++){ __m512i idx=_mm512_and_si512(_mm512_add_epi32(idx0,_mm512_set1_epi32((int)i)),_mm512_set1_epi32(1023));
    acc2=_mm512_add_epi32(acc2,_mm512_mask_i32gather_epi32(add,(__mmask16)0x0003,idx,table,4)); }
  t1=ns();
  printf("zmm gather 2 active lanes: %.2f ns per gather\n",(t1-t0)/N);
  t0=ns();
  for(long i=0;i<N;i++){ __m512i idx=_mm512_and_si512(_mm512_add_epi32(idx0,_mm512_set1_epi32((int)i)),_mm512_set1_epi32(1023));
    acc2=_mm512_add_epi32(acc2,_mm512_mask_i32gather_epi32(add,(__mmask16)0x0000,idx,table,4)); }
  t1=ns();
  printf("zmm gather 0 active lanes: %.2f ns per gather\n",(t1-t0)/N);
  __m512 s=_mm512_set1_ps(1.0001f), a=_mm512_set1_ps(2.0f); __m512 d1=a,d2=a,d3=a,d4=a;
  t0=ns();
  for(long i=0;i<N;i++){ d1=_mm512_div_ps(s,d1); d2=_mm512_div_ps(s,d2); d3=_mm512_div_ps(s,d3); d4=_mm512_div_ps(s,d4);}
  t1=ns();
  printf("vdivps zmm (4 chains): %.2f ns per division\n",(t1-t0)/N/4);
  t0=ns();
  for(long i=0;i<N;i++){ d1=_mm512_sqrt_ps(d1); d2=_mm512_sqrt_ps(d2); d3=_mm512_sqrt_ps(d3); d4=_mm512_sqrt_ps(d4);}
  t1=ns();
  printf("vsqrtps zmm (4 chains): %.2f ns per sqrt\n",(t1-t0)/N/4);
  __m512 f1=a,f2=a,f3=a,f4=a,f5=a,f6=a,f7=a,f8=a;
  t0=ns();
  for(long i=0;i<N;i++){ f1=_mm512_fmadd_ps(f1,s,a);f2=_mm512_fmadd_ps(f2,s,a);f3=_mm512_fmadd_ps(f3,s,a);f4=_mm512_fmadd_ps(f4,s,a);f5=_mm512_fmadd_ps(f5,s,a);f6=_mm512_fmadd_ps(f6,s,a);f7=_mm512_fmadd_ps(f7,s,a);f8=_mm512_fmadd_ps(f8,s,a);}
  t1=ns();
  printf("vfmadd zmm (8 chains): %.3f ns per FMA\n",(t1-t0)/N/8);
  int sum=0; int tmp[16]; _mm512_storeu_si512(tmp,_mm512_add_epi32(acc,acc2)); for(int i=0;i<16;i++) sum+=tmp[i];
  float ft[16]; _mm512_storeu_ps(ft,_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(d1,d2),_mm512_add_ps(d3,d4)),_mm512_add_ps(_mm512_add_ps(f1,f2),_mm512_add_ps(_mm512_add_ps(f3,f4),_mm512_add_ps(_mm512_add_ps(f5,f6),_mm512_add_ps(f7,f8))))));
  printf("(%d %f)\n",sum,ft[0]);
}
