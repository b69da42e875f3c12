// Single-thread time of R read streams of 64M 4-byte elements, W of them written back in place
// (plain loops like step_bench's floor_loop, which GCC vectorizes): the stream model of
// lamb_lars.md. Adam reads 4 streams and writes 3; LAMB's pass 1 reads 4 and writes 2, its pass 2
// reads 3 and writes 1; LARS 3/1 then 2/1. Rounds interleaved, medians.
// g++ -O3 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mprefer-vector-width=512 read_streams.cpp
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

constexpr std::size_t kN = std::size_t{64} << 20;
std::vector<std::uint32_t> a[4];
volatile std::uint32_t sink;

template <int R, int W>
[[gnu::noinline]] void run() {
  std::uint32_t* __restrict a0 = a[0].data();
  std::uint32_t* __restrict a1 = a[1].data();
  std::uint32_t* __restrict a2 = a[2].data();
  std::uint32_t* __restrict a3 = a[3].data();
  std::uint32_t acc = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    const std::uint32_t x0 = a0[i], x1 = R > 1 ? a1[i] : 0, x2 = R > 2 ? a2[i] : 0, x3 = R > 3 ? a3[i] : 0;
    if constexpr (W == 0) acc += x0 ^ x1 ^ x2 ^ x3;
    if constexpr (W > 0) a0[i] = x0 + x1 + x2 + x3;
    if constexpr (W > 1) a1[i] = x1 ^ x0;
    if constexpr (W > 2) a2[i] = x2 ^ x0;
  }
  sink = acc;
}

struct Case {
  const char* what;
  int r, w;
  void (*f)();
  std::vector<double> ms;
};

int main() {
  for (auto& v : a) v.assign(kN, 3u);
  Case cases[] = {{"Adam", 4, 3, run<4, 3>, {}},          {"LAMB pass 1", 4, 2, run<4, 2>, {}},
                  {"LAMB pass 2, LARS pass 1", 3, 1, run<3, 1>, {}}, {"LARS pass 2", 2, 1, run<2, 1>, {}},
                  {"read only", 4, 0, run<4, 0>, {}}};
  for (int round = 0; round < 15; ++round) {
    for (Case& c : cases) {
      const auto t0 = std::chrono::steady_clock::now();
      c.f();
      c.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  double adam = 0;
  for (Case& c : cases) {
    std::sort(c.ms.begin(), c.ms.end());
    const double median = c.ms[c.ms.size() / 2];
    if (adam == 0) adam = median;
    std::printf("%-26s R%d W%d  median %6.1f ms  min %6.1f  x Adam %.2f\n", c.what, c.r, c.w, median, c.ms.front(),
                median / adam);
  }
}
