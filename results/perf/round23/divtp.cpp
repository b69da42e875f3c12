#include <immintrin.h>
#include <chrono>
#include <cstdio>
int main() {
  __m512 a0 = _mm512_set1_ps(1.5f), a1 = _mm512_set1_ps(2.5f), a2 = _mm512_set1_ps(3.5f), a3 = _mm512_set1_ps(4.5f),
         a4 = _mm512_set1_ps(5.5f), a5 = _mm512_set1_ps(6.5f), a6 = _mm512_set1_ps(7.5f), a7 = _mm512_set1_ps(8.5f);
  const __m512 f = _mm512_set1_ps(1.0000001f);
  const long n = 20000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    a0 = _mm512_div_ps(a0, f); a1 = _mm512_div_ps(a1, f); a2 = _mm512_div_ps(a2, f); a3 = _mm512_div_ps(a3, f);
    a4 = _mm512_div_ps(a4, f); a5 = _mm512_div_ps(a5, f); a6 = _mm512_div_ps(a6, f); a7 = _mm512_div_ps(a7, f);
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
  }
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  std::printf("vdivps zmm %.2f cycles\n", ns / (n * 8.0) * 3.65);
  __m512 s0 = _mm512_set1_ps(1.5f), s1 = _mm512_set1_ps(2.5f), s2 = _mm512_set1_ps(3.5f), s3 = _mm512_set1_ps(4.5f);
  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    s0 = _mm512_sqrt_ps(s0); s1 = _mm512_sqrt_ps(s1); s2 = _mm512_sqrt_ps(s2); s3 = _mm512_sqrt_ps(s3);
    asm volatile("" : "+v"(s0), "+v"(s1), "+v"(s2), "+v"(s3));
  }
  ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  std::printf("vsqrtps zmm %.2f cycles (4 chains)\n", ns / (n * 4.0) * 3.65);
}
