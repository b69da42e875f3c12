// Stand-alone probe (round 11, issue 21): L1 store and load throughput of 512-bit and 256-bit
// vectors on this guest. A 4 KiB buffer (L1-resident) is written, or read into 8 independent
// vmaxps chains, as straight-line code with constant offsets (checked with objdump: one vmovaps or
// vmaxps with a memory operand per vector, no other work but the pass loop's 2 instructions);
// the best of 25 trials of 200000 passes is kept (the machine is shared).
// Build: g++ -O2 -mavx512f -std=c++20 -o l1_vector_probe l1_vector_probe.cpp
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

alignas(64) static float buf[1024];

template <class F>
static double best_ns_per_vector(F body, int vectors_per_pass) {
  constexpr int kPasses = 200000;
  double best = 1e30;
  for (int t = 0; t < 25; ++t) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int p = 0; p < kPasses; ++p) body();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(kPasses) * vectors_per_pass));
  }
  return best;
}

template <std::size_t... I>
[[gnu::always_inline]] inline void zstore(__m512 v0, __m512 v1, std::index_sequence<I...>) {
  ((_mm512_store_ps(buf + I * 16, I % 2 ? v1 : v0)), ...);
  asm volatile("" ::: "memory");
}
template <std::size_t... I>
[[gnu::always_inline]] inline void ystore(__m256 v0, __m256 v1, std::index_sequence<I...>) {
  ((_mm256_store_ps(buf + I * 8, I % 2 ? v1 : v0)), ...);
  asm volatile("" ::: "memory");
}
template <std::size_t... I>
[[gnu::always_inline]] inline void zload(__m512* acc, std::index_sequence<I...>) {
  ((acc[I % 8] = _mm512_max_ps(acc[I % 8], _mm512_load_ps(buf + I * 16))), ...);
}
template <std::size_t... I>
[[gnu::always_inline]] inline void yload(__m256* acc, std::index_sequence<I...>) {
  ((acc[I % 8] = _mm256_max_ps(acc[I % 8], _mm256_load_ps(buf + I * 8))), ...);
}

int main() {
  volatile float seed = 1.0f;
  const __m512 z0 = _mm512_set1_ps(seed), z1 = _mm512_set1_ps(seed + 1.0f);
  const __m256 y0 = _mm256_set1_ps(seed), y1 = _mm256_set1_ps(seed + 1.0f);
  const double zst = best_ns_per_vector([&] { zstore(z0, z1, std::make_index_sequence<64>{}); }, 64);
  const double yst = best_ns_per_vector([&] { ystore(y0, y1, std::make_index_sequence<128>{}); }, 128);
  __m512 za[8];
  __m256 ya[8];
  for (int i = 0; i < 8; ++i) {
    za[i] = z0;
    ya[i] = y0;
  }
  const double zld = best_ns_per_vector([&] {
    zload(za, std::make_index_sequence<64>{});
    for (int i = 0; i < 8; ++i) asm volatile("" : "+v"(za[i]));
    asm volatile("" ::: "memory");
  }, 64);
  const double yld = best_ns_per_vector([&] {
    yload(ya, std::make_index_sequence<128>{});
    for (int i = 0; i < 8; ++i) asm volatile("" : "+v"(ya[i]));
    asm volatile("" ::: "memory");
  }, 128);
  std::printf("ns per vector: zmm store %.4f, ymm store %.4f, zmm load+max %.4f, ymm load+max %.4f\n", zst, yst, zld, yld);
  std::printf("bytes per ns:  zmm store %.1f, ymm store %.1f, zmm load %.1f, ymm load %.1f\n", 64 / zst, 32 / yst, 64 / zld,
              32 / yld);
}
