// AdEMAMix keeps update() in one piece (the fp32-state loop runs faster so) beside its parts
// update_states / update_param, which the CPU's 8-bit paths use (the per-tensor pre-pass, the
// fused block loop). Both forms must compute the same bits: this checks them against each other
// in the scalar build, so a change to one form that misses the other fails here on every machine
// (cpu_variants_test only sees it where the AVX-512 fused loop runs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "bnb/kernels/algorithms/ademamix.hpp"
#include "bnb/kernels/dtype.hpp"

namespace {

namespace k = bnb::kernels;

std::uint32_t bits(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

/// Equal bit patterns, or both NaN (the NaN's payload is not part of this contract).
bool same(float a, float b) { return bits(a) == bits(b) || (std::isnan(a) && std::isnan(b)); }

/// Magnitudes over many decades, both signs, and the edges: zeros, subnormals, huge, infinite.
std::vector<float> values(std::mt19937& rng, std::size_t n) {
  std::vector<float> v = {0.0f, -0.0f, 1e-40f, -1e-45f, 1e-30f, 1.0f, -1.0f, 3e38f, -3e38f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  std::uniform_real_distribution<float> exponent(-40.0f, 30.0f);
  std::bernoulli_distribution negative(0.5);
  while (v.size() < n) v.push_back((negative(rng) ? -1.0f : 1.0f) * std::pow(10.0f, exponent(rng)));
  return v;
}

template <class Store>
void expect_parts_equal_whole(const bnb::StepConstants& c, const char* what) {
  std::mt19937 rng(11);
  const std::vector<float> g = values(rng, 64), p = values(rng, 64), s = values(rng, 64);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    for (std::size_t j = 0; j < s.size(); j += 3) {
      float whole_p = Store::round(p[(i + j) % p.size()]);
      float whole_s[3] = {s[j], s[(j + 1) % s.size()], std::fabs(s[(j + 2) % s.size()])};  // nu >= 0
      float parts_p = whole_p;
      float parts_s[3] = {whole_s[0], whole_s[1], whole_s[2]};
      k::AdEMAMix::update<Store>(c, g[i], whole_p, whole_s, 1.0f);
      k::AdEMAMix::update_states(c, g[i], parts_p, parts_s);
      k::AdEMAMix::update_param<Store>(c, parts_p, parts_s, 1.0f);
      for (int r = 0; r < 3; ++r) ASSERT_TRUE(same(whole_s[r], parts_s[r])) << what << " row " << r << " g " << g[i];
      ASSERT_TRUE(same(whole_p, parts_p)) << what << ": p " << whole_p << " vs " << parts_p << ", g " << g[i];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64u * 22u);
}

TEST(AlgorithmParts, AdemamixPartsComputeWhatUpdateComputes) {
  for (const double wd : {0.0, 0.01}) {
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{10}, std::int64_t{5000}}) {
      bnb::HyperParams h;
      h.weight_decay = wd;
      h.t_alpha = 1000;  // schedulers on: alpha and beta3 vary with t
      h.t_beta3 = 1000;
      const bnb::StepConstants c = k::AdEMAMix::prepare(h, t);
      expect_parts_equal_whole<k::Storage<float>>(c, "fp32");
      expect_parts_equal_whole<k::Storage<bnb::half_t>>(c, "fp16");
      expect_parts_equal_whole<k::Storage<bnb::bf16_t>>(c, "bf16");
    }
  }
}

}  // namespace
