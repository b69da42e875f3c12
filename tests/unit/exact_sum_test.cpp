// exact_sum.hpp: the evidence that lets the CUDA finalizer add the norms' partials in parallel and
// still give the ordered sum's bits. Sums are compared bit for bit (==), not within a tolerance:
// the promise is identical bits in every order.
#include "bnb/kernels/exact_sum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace bnb::kernels {
namespace {

double ordered_sum(const std::vector<float>& terms) {
  double s = 0.0;
  for (float x : terms) s += static_cast<double>(x);
  return s;
}

/// A pairwise tree over the terms: a different order from ordered_sum's.
double tree_sum(const std::vector<float>& terms, std::size_t begin, std::size_t end) {
  if (end - begin == 1) return static_cast<double>(terms[begin]);
  const std::size_t mid = begin + (end - begin) / 2;
  return tree_sum(terms, begin, mid) + tree_sum(terms, mid, end);
}

ExactSumEvidence evidence_of(const std::vector<float>& terms) {
  ExactSumEvidence e;
  for (float x : terms) e.add(x);
  return e;
}

TEST(ExactSum, LowestBitExponent) {
  EXPECT_EQ(lowest_bit_exponent(1.0f), 0);
  EXPECT_EQ(lowest_bit_exponent(3.0f), 0);
  EXPECT_EQ(lowest_bit_exponent(0.75f), -2);
  EXPECT_EQ(lowest_bit_exponent(6.0f), 1);
  EXPECT_EQ(lowest_bit_exponent(std::nextafter(1.0f, 2.0f)), -23);
  EXPECT_EQ(lowest_bit_exponent(std::numeric_limits<float>::denorm_min()), -149);
  EXPECT_EQ(lowest_bit_exponent(std::numeric_limits<float>::min()), -126);
  EXPECT_EQ(lowest_bit_exponent(std::numeric_limits<float>::max()), 104);
  EXPECT_EQ(lowest_bit_exponent(0x1p-140f * 12.0f), -138);  // subnormal 12 * 2^-140
}

TEST(ExactSum, PartialsOfSimilarMagnitudeSumExactlyInAnyOrder) {
  // Like the pre-pass's partials of a 64M tensor: 2^18 sums of squares whose magnitudes vary
  // across chunks (a factor e^+-4.5 at the extremes here). The evidence holds while the total
  // over the smallest partial stays below about 2^29 (53 bits less a partial's 24).
  std::mt19937 rng(7);
  std::lognormal_distribution<float> magnitude(-8.0f, 1.0f);
  std::vector<float> terms(1 << 18);
  for (float& x : terms) x = magnitude(rng);
  terms[100] = 0.0f;  // an all-zero chunk
  const ExactSumEvidence e = evidence_of(terms);
  const double ordered = ordered_sum(terms);
  ASSERT_TRUE(e.exact(tree_sum(terms, 0, terms.size())));
  EXPECT_EQ(tree_sum(terms, 0, terms.size()), ordered);
  std::shuffle(terms.begin(), terms.end(), rng);
  EXPECT_EQ(ordered_sum(terms), ordered);
}

TEST(ExactSum, WideSpanIsNotClaimedExact) {
  // 1 then 2^20 terms of 2^-60: in order each tiny term is lost to rounding, in a tree they add
  // up first, so the two orders differ and the evidence must refuse.
  std::vector<float> terms(1 << 20, 0x1p-60f);
  terms[0] = 1.0f;
  const ExactSumEvidence e = evidence_of(terms);
  EXPECT_EQ(e.lowest, -60);
  EXPECT_NE(tree_sum(terms, 0, terms.size()), ordered_sum(terms));
  EXPECT_FALSE(e.exact(ordered_sum(terms)));
  EXPECT_FALSE(e.exact(tree_sum(terms, 0, terms.size())));
}

TEST(ExactSum, TheBoundIsTheFiftyThirdBinade) {
  // Terms multiples of 2^0; a total just below 2^53 is exact, one at 2^53 is not claimed.
  ExactSumEvidence e;
  e.add(1.0f);
  EXPECT_TRUE(e.exact(0x1p52));
  EXPECT_FALSE(e.exact(0x1p53));
  EXPECT_FALSE(e.exact(0x1p53 - 1.0));  // within the margin that covers the computed sum's error
}

TEST(ExactSum, NegativeAndNonFiniteTermsAreNotEligible) {
  for (float bad : {-1.0f, -0.5f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    ExactSumEvidence e;
    e.add(1.0f);
    e.add(bad);
    EXPECT_FALSE(e.exact(1.0)) << bad;
  }
  ExactSumEvidence zeros;
  zeros.add(0.0f);
  zeros.add(-0.0f);  // -0 adds nothing, in any order
  EXPECT_TRUE(zeros.exact(0.0));
}

TEST(ExactSum, MergeKeepsTheLowestBitAndEligibility) {
  ExactSumEvidence a, b;
  a.add(1.0f);
  b.add(0.25f);
  a.merge(b);
  EXPECT_EQ(a.lowest, -2);
  ExactSumEvidence c;
  c.add(-1.0f);
  a.merge(c);
  EXPECT_FALSE(a.eligible);
}

}  // namespace
}  // namespace bnb::kernels
