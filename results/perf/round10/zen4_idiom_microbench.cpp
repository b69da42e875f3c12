// Round 10 (hzen): which register-initialising idioms break the dependency on the register's old
// value on this CPU. Not part of the CMake build; results in zen4_false_dependencies.md.
//   g++ -O2 -mavx512f -mavx512vl -mavx512dq -o /tmp/zen4_idiom_microbench zen4_idiom_microbench.cpp
//   /tmp/zen4_idiom_microbench
// Each line times one asm body per iteration in thread CPU time. A body starts with the idiom on a
// register that the previous iteration's long-latency chain wrote: if the idiom waits for the old
// value the iterations serialise (time ~ the chain's latency), otherwise they overlap (~ its
// throughput).
#include <cstdio>
#include <ctime>

namespace {

double thread_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

constexpr long kIterations = 50'000'000;
constexpr long kGathers = 20'000'000;
alignas(64) int g_table[4096];

#define TIME_BODY(label, body)                                                          \
  {                                                                                     \
    const double t0 = thread_ns();                                                      \
    for (long i = 0; i < kIterations; ++i)                                              \
      asm volatile(body ::: "xmm1", "xmm2", "xmm31", "k1", "k2", "memory");             \
    std::printf("  %-60s %.2f ns\n", label, (thread_ns() - t0) / kIterations);          \
  }

void vector_ones() {
  std::printf("vector register, then vpmulld on it (ns per iteration):\n");
  TIME_BODY("vpmulld z1 chain alone (latency)", "vpmulld %%zmm1,%%zmm1,%%zmm1");
  TIME_BODY("vpternlogd $0xff z1,z1,z1 ; vpmulld z1", "vpternlogd $0xff,%%zmm1,%%zmm1,%%zmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1");
  TIME_BODY("vpternlogd $0xff z2,z2,z1 (dst is a source) ; vpmulld z1", "vpternlogd $0xff,%%zmm2,%%zmm2,%%zmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1");
  TIME_BODY("vpternlogd $0xff y1,y1,y1 ; vpmulld y1", "vpternlogd $0xff,%%ymm1,%%ymm1,%%ymm1\n\tvpmulld %%ymm1,%%ymm1,%%ymm1");
  TIME_BODY("vpcmpeqd y1,y1,y1 ; vpmulld y1", "vpcmpeqd %%ymm1,%%ymm1,%%ymm1\n\tvpmulld %%ymm1,%%ymm1,%%ymm1");
  TIME_BODY("vpxord x1,x1,x1 (zero) ; vpmulld z1", "vpxord %%xmm1,%%xmm1,%%xmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1");
  TIME_BODY("vpbroadcastd x2 (never written) to z1 ; vpmulld z1",
            "vpbroadcastd %%xmm2,%%zmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1");
}

#define MASK_CHAIN "vpmovm2d %%k1,%%zmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1\n\tvpmulld %%zmm1,%%zmm1,%%zmm1\n\tvpmovd2m %%zmm1,%%k1"

void mask_ones() {
  std::printf("mask register, then k1 -> vpmovm2d -> 2x vpmulld -> vpmovd2m -> k1 (ns per iteration):\n");
  TIME_BODY("chain alone (latency)", MASK_CHAIN);
  TIME_BODY("kxnorw k1,k1,k1 ; chain", "kxnorw %%k1,%%k1,%%k1\n\t" MASK_CHAIN);
  TIME_BODY("kxorw k1,k1,k1 (zero) ; chain", "kxorw %%k1,%%k1,%%k1\n\t" MASK_CHAIN);
  TIME_BODY("kmovw k2,k1 (k2 never written) ; chain", "kmovw %%k2,%%k1\n\t" MASK_CHAIN);
}

// A gather writes its mask register (cleared lanes): with kxnorw k,k,k before the next gather on
// the same k, the gathers serialise if the mask comes back with the data.
void gather_masks() {
  for (int i = 0; i < 4096; ++i) g_table[i] = i & 15;
  std::printf("16-lane vpgatherdd from L1 (ns per gather):\n");
  double t0 = thread_ns();
  asm volatile("vpxord %%xmm31,%%xmm31,%%xmm31" ::: "xmm31");
  for (long i = 0; i < kGathers; ++i)
    asm volatile("kxnorw %%k2,%%k2,%%k2\n\tkmovw %%k2,%%k1\n\tvpgatherdd (%0,%%zmm31,4),%%zmm1%{%%k1%}\n\tvmovdqa32 %%zmm1,%%zmm31"
                 ::"r"(g_table) : "xmm1", "xmm31", "k1", "k2", "memory");
  std::printf("  %-60s %.2f ns\n", "indices from the previous gather (latency)", (thread_ns() - t0) / kGathers);
  t0 = thread_ns();
  for (long i = 0; i < kGathers; ++i)
    asm volatile("kxnorw %%k1,%%k1,%%k1\n\tvpxord %%xmm1,%%xmm1,%%xmm1\n\tvpgatherdd (%0,%%zmm31,4),%%zmm1%{%%k1%}\n\t"
                 "kxnorw %%k1,%%k1,%%k1\n\tvpxord %%xmm2,%%xmm2,%%xmm2\n\tvpgatherdd (%0,%%zmm31,4),%%zmm2%{%%k1%}"
                 ::"r"(g_table) : "xmm1", "xmm2", "k1", "memory");
  std::printf("  %-60s %.2f ns\n", "independent, kxnorw k1,k1,k1 before each (k1 = last mask)", (thread_ns() - t0) / (2.0 * kGathers));
  t0 = thread_ns();
  asm volatile("kxnorw %%k2,%%k2,%%k2" ::: "k2");
  for (long i = 0; i < kGathers; ++i)
    asm volatile("kmovw %%k2,%%k1\n\tvpxord %%xmm1,%%xmm1,%%xmm1\n\tvpgatherdd (%0,%%zmm31,4),%%zmm1%{%%k1%}\n\t"
                 "kmovw %%k2,%%k1\n\tvpxord %%xmm2,%%xmm2,%%xmm2\n\tvpgatherdd (%0,%%zmm31,4),%%zmm2%{%%k1%}"
                 ::"r"(g_table) : "xmm1", "xmm2", "k1", "k2", "memory");
  std::printf("  %-60s %.2f ns\n", "independent, kmovw from a constant k2 before each", (thread_ns() - t0) / (2.0 * kGathers));
}

}  // namespace

int main() {
  for (int pass = 0; pass < 2; ++pass) {
    std::printf("pass %d\n", pass + 1);
    vector_ones();
    mask_ones();
    gather_masks();
  }
}
