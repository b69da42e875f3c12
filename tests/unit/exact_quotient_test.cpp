// kernels/cpu/exact_quotient.hpp, both forms (AVX-512: 16 lanes, AVX2: 8): divide() must return
// the bits of vdivps in every lane, and divide_in_window() alone in every lane in_window()
// accepts, which must be every lane the header's window promises (a window that sends
// everything to the divider would pass the first check and defeat the point). Sampled here (about
// 10^7 quotients, a second): random bit patterns, the three largest x significands (the only
// ones the header's argument leaves open) against random divisors, and the window's edges. The
// exhaustive check is results/perf/round8/exact_quotient_check.cpp. Tolerance: none.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#define BNB_CPU_VARIANT exact_quotient_test
#include "../../kernels/cpu/exact_quotient.hpp"
#undef BNB_CPU_VARIANT

namespace {

namespace cd = bnb::kernels::cpu_detail;

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"); }

std::uint32_t bits(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
float from_bits(std::uint32_t b) {
  float f = 0;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

struct Result {
  std::vector<float> quotient, fast;
  std::vector<bool> in_window;
};

Result divide512(float d, const std::vector<float>& x) {
  const cd::ExactQuotient512 q(d);
  Result r{std::vector<float>(x.size()), std::vector<float>(x.size()), std::vector<bool>(x.size())};
  for (std::size_t i = 0; i < x.size(); i += 16) {
    const __m512 v = _mm512_loadu_ps(x.data() + i);
    _mm512_storeu_ps(r.quotient.data() + i, q.divide(v));
    _mm512_storeu_ps(r.fast.data() + i, q.divide_in_window(v));
    const __mmask16 in = q.in_window(v);
    for (int k = 0; k < 16; ++k) r.in_window[i + static_cast<std::size_t>(k)] = ((in >> k) & 1) != 0;
  }
  return r;
}

Result divide256(float d, const std::vector<float>& x) {
  const cd::ExactQuotient256 q(d);
  Result r{std::vector<float>(x.size()), std::vector<float>(x.size()), std::vector<bool>(x.size())};
  for (std::size_t i = 0; i < x.size(); i += 8) {
    const __m256 v = _mm256_loadu_ps(x.data() + i);
    _mm256_storeu_ps(r.quotient.data() + i, q.divide(v));
    _mm256_storeu_ps(r.fast.data() + i, q.divide_in_window(v));
    const int in = _mm256_movemask_ps(q.in_window(v));
    for (int k = 0; k < 8; ++k) r.in_window[i + static_cast<std::size_t>(k)] = ((in >> k) & 1) != 0;
  }
  return r;
}

// Where the header promises the fast path: 2^-100 <= |x|, 2^-125 |d| <= |x| < 2^127 |d|, d in range.
bool promised(float x, float d) {
  const double ax = std::fabs(double{x}), ad = std::fabs(double{d});
  return ad >= 0x1p-125 && ad <= 0x1p125 && ax >= 0x1p-100 && ax >= 0x1p-125 * ad && ax < 0x1p127 * ad;
}

void expect_exact(float d, const std::vector<float>& x, const Result& r, const char* form) {
  std::size_t wrong = 0, wrong_fast = 0, window_wrong = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::uint32_t want = bits(x[i] / d);
    if (bits(r.quotient[i]) != want && ++wrong <= 3) {
      ADD_FAILURE() << form << " divide(" << x[i] << ") / " << d << ": bits " << std::hex << bits(r.quotient[i])
                    << ", vdivps " << want;
    }
    if (r.in_window[i] && bits(r.fast[i]) != want && ++wrong_fast <= 3) {
      ADD_FAILURE() << form << " divide_in_window(" << x[i] << ") / " << d << ": bits " << std::hex
                    << bits(r.fast[i]) << ", vdivps " << want;
    }
    if (r.in_window[i] != promised(x[i], d) && ++window_wrong <= 3) {
      ADD_FAILURE() << form << " in_window(" << x[i] << ") for divisor " << d << " is " << r.in_window[i];
    }
  }
  EXPECT_EQ(wrong + wrong_fast + window_wrong, 0u) << form << ", divisor " << d;
}

std::vector<float> divisors() {
  std::vector<float> d = {1.0f, 3.0f, 0.1f, 1.0f / 3.0f, 1e-3f, 7.3e-9f, 1234.5f, -2.5f, 0.9f, 1e-6f,
                          std::nextafter(2.0f, 0.0f), std::nextafter(1.0f, 2.0f), 0x1p-125f, 0x1p125f,
                          std::nextafter(0x1p-125f, 0.0f), std::nextafter(0x1p125f, 1e38f), 0x1p24f, 0x1p26f,
                          0.0f, -0.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()};
  std::mt19937 rng(8);
  for (int k = 0; k < 16; ++k) d.push_back(from_bits(static_cast<std::uint32_t>(0x00800000u + rng() % 0x7f000000u)));
  return d;
}

std::vector<float> inputs(float d, std::mt19937& rng) {
  std::vector<float> x;
  for (int k = 0; k < 100000; ++k) x.push_back(from_bits(static_cast<std::uint32_t>(rng())));  // any pattern
  // The three largest significands of x (and their neighbours) over many binades.
  for (std::uint32_t e = 0; e < 256; e += 3) {
    for (std::uint32_t k = 1; k <= 8; ++k) {
      const std::uint32_t b = ((e + 1) << 23) - k;
      x.insert(x.end(), {from_bits(b), from_bits(b | 0x80000000u)});
    }
  }
  // The window's edges, exactly and one ulp either side.
  const float ad = std::fabs(d);
  for (float edge : {0x1p-100f, ad * 0x1p-125f, ad * 0x1p127f, ad, 1.0f}) {
    for (float v : {std::nextafter(edge, 0.0f), edge, std::nextafter(edge, INFINITY)}) x.insert(x.end(), {v, -v});
  }
  x.insert(x.end(), {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::quiet_NaN(), from_bits(0x7fa00001u), from_bits(0xffc12345u),
                     std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()});
  while (x.size() % 16 != 0) x.push_back(1.0f);
  return x;
}

void expect_form_exact(Result (*divide)(float, const std::vector<float>&), unsigned seed, const char* form) {
  std::mt19937 rng(seed);
  for (float d : divisors()) {
    const std::vector<float> x = inputs(d, rng);
    expect_exact(d, x, divide(d, x), form);
  }
}

TEST(ExactQuotient, Avx512EqualsTheDivisionInEveryLane) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  expect_form_exact(divide512, 21, "AVX-512");
}

TEST(ExactQuotient, Avx2EqualsTheDivisionInEveryLane) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this test's file is compiled for AVX-512";
  expect_form_exact(divide256, 22, "AVX2");
}

// The largest significands of x against many divisor significands: the cases a missing second
// correction would get wrong, if the header's argument were wrong.
TEST(ExactQuotient, LargestSignificandsAgainstManyDivisors) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  std::vector<float> x;
  for (std::uint32_t k = 1; k <= 64; ++k) x.push_back(from_bits(0x40000000u - k));  // [2 - 64 ulp, 2)
  std::mt19937 rng(23);
  std::size_t wrong = 0;
  for (int n = 0; n < 100000; ++n) {
    const float d = from_bits(static_cast<std::uint32_t>(0x3f800000u + (rng() & 0x7fffffu)));
    const Result r = divide512(d, x);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (bits(r.fast[i]) != bits(x[i] / d) && ++wrong <= 3) ADD_FAILURE() << x[i] << " / " << d;
    }
  }
  EXPECT_EQ(wrong, 0u);
}

}  // namespace
