// AdEMAMix's update() is composed of parts (update_states; update_param, or the fused 8-bit
// loop's own quotients by c1 and c2 with step_numerator, step_denominator and step_param). This
// checks both compositions bit for bit against SPEC.md §4.2 written out here as one expression
// per value, in the scalar build: a part whose operations or their order drift fails here on
// every machine (cpu_variants_test compares variants with each other, not with the formula).
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

/// SPEC.md §4.2 for one element, independent of ademamix.hpp: the operations and their order.
template <class Store>
void spec_update(const bnb::StepConstants& c, float g, float& p, float* s) {
  s[0] = c.beta1 * s[0] + c.one_minus_beta1 * g;
  s[1] = c.beta3 * s[1] + c.one_minus_beta3 * g;
  s[2] = c.beta2 * s[2] + c.one_minus_beta2 * (g * g);
  p = Store::round(p - c.lr * (s[0] / c.c1 + c.alpha * s[1]) / (std::sqrt(s[2]) / c.c2 + c.eps));
  if (c.has_weight_decay) p = Store::round(p * c.decay);
}

template <class Store>
void expect_parts_equal_spec(const bnb::StepConstants& c, const char* what) {
  std::mt19937 rng(11);
  const std::vector<float> g = values(rng, 64), p = values(rng, 64), s = values(rng, 64);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    for (std::size_t j = 0; j < s.size(); j += 3) {
      float spec_p = Store::round(p[(i + j) % p.size()]);
      float spec_s[3] = {s[j], s[(j + 1) % s.size()], std::fabs(s[(j + 2) % s.size()])};  // nu >= 0
      float whole_p = spec_p, lanes_p = spec_p;
      float whole_s[3] = {spec_s[0], spec_s[1], spec_s[2]};
      float lanes_s[3] = {spec_s[0], spec_s[1], spec_s[2]};
      spec_update<Store>(c, g[i], spec_p, spec_s);
      k::AdEMAMix::update<Store>(c, g[i], whole_p, whole_s, 1.0f);
      // As ademamix_lanes.hpp composes it (there the two quotients come from exact_quotient.hpp).
      k::AdEMAMix::update_states(c, g[i], lanes_p, lanes_s);
      const float numerator = k::AdEMAMix::step_numerator(c, lanes_s[0] / c.c1, lanes_s[1]);
      const float denominator = k::AdEMAMix::step_denominator(c, std::sqrt(lanes_s[2]) / c.c2);
      k::AdEMAMix::step_param<Store>(c, lanes_p, numerator, denominator);
      for (int r = 0; r < 3; ++r) {
        ASSERT_TRUE(same(spec_s[r], whole_s[r])) << what << " update() row " << r << " g " << g[i];
        ASSERT_TRUE(same(spec_s[r], lanes_s[r])) << what << " update_states row " << r << " g " << g[i];
      }
      ASSERT_TRUE(same(spec_p, whole_p)) << what << ": update() p " << whole_p << " vs " << spec_p << ", g " << g[i];
      ASSERT_TRUE(same(spec_p, lanes_p)) << what << ": step_param p " << lanes_p << " vs " << spec_p << ", g " << g[i];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64u * 22u);
}

TEST(AlgorithmParts, AdemamixPartsComputeSpecFormula) {
  for (const double wd : {0.0, 0.01}) {
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{10}, std::int64_t{5000}}) {
      bnb::HyperParams h;
      h.weight_decay = wd;
      h.t_alpha = 1000;  // schedulers on: alpha and beta3 vary with t
      h.t_beta3 = 1000;
      const bnb::StepConstants c = k::AdEMAMix::prepare(h, t);
      expect_parts_equal_spec<k::Storage<float>>(c, "fp32");
      expect_parts_equal_spec<k::Storage<bnb::half_t>>(c, "fp16");
      expect_parts_equal_spec<k::Storage<bnb::bf16_t>>(c, "bf16");
    }
  }
}

}  // namespace
