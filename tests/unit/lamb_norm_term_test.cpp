// LAMB's update-norm term (SPEC.md §4.7) is computed as bitsandbytes' 32-bit norm kernel does:
// the new moments multiplied by the reciprocal bias corrections 1 / (1 - beta^t), then one
// division. Written out here one operation at a time and compared bit for bit with
// Adam::unorm_term, the function every CPU variant's lanes and the CUDA pre-pass reproduce
// (cpu_variants_test, clip_step_test): a change of the operations or their order fails here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "bnb/kernels/algorithms/adam.hpp"
#include "bnb/kernels/bits.hpp"

namespace {

namespace k = bnb::kernels;

/// bitsandbytes' order: m and v, times the reciprocal corrections (rounded once from double, as
/// every StepConstants field is), the quotient, its square.
float bnb_form(double beta1, double beta2, std::int64_t t, float eps, float g, const float* s) {
  const float m = static_cast<float>(beta1) * s[0] + static_cast<float>(1.0 - beta1) * g;
  const float v = static_cast<float>(beta2) * s[1] + static_cast<float>(1.0 - beta2) * (g * g);
  const auto td = static_cast<double>(t);
  const auto correction1 = static_cast<float>(1.0 / (1.0 - std::pow(beta1, td)));
  const auto correction2 = static_cast<float>(1.0 / (1.0 - std::pow(beta2, td)));
  const float update = (m * correction1) / (std::sqrt(v * correction2) + eps);
  return update * update;
}

/// The form before round 22 (three divisions): rounds differently for some inputs, so the
/// comparison above can tell the two apart.
float division_form(const bnb::StepConstants& c, double beta2, std::int64_t t, float g, const float* s) {
  const float m = c.beta1 * s[0] + c.one_minus_beta1 * g;
  const float v = c.beta2 * s[1] + c.one_minus_beta2 * (g * g);
  const auto c2_squared = static_cast<float>(1.0 - std::pow(beta2, static_cast<double>(t)));
  const float r = (m / c.c1) / (std::sqrt(v / c2_squared) + c.eps);
  return r * r;
}

TEST(LambNormTerm, MultipliesByTheReciprocalCorrections) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-12.0f, 2.0f);
  std::bernoulli_distribution negative(0.5);
  auto value = [&] { return (negative(rng) ? -1.0f : 1.0f) * std::pow(10.0f, exponent(rng)); };
  constexpr int kSamples = 20000;
  int differs_from_divisions = 0;
  for (const double beta1 : {0.9, 0.5}) {
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{3}, std::int64_t{77}, std::int64_t{100000}}) {
      bnb::HyperParams h;
      h.beta1 = beta1;
      const bnb::StepConstants c = k::Adam::prepare(h, t);
      for (int i = 0; i < kSamples; ++i) {
        const float g = value();
        const float s[2] = {value(), std::fabs(value())};  // v >= 0
        const float term = k::Adam::unorm_term(c, g, 0.0f, s);
        ASSERT_EQ(k::float_bits(term), k::float_bits(bnb_form(h.beta1, h.beta2, t, c.eps, g, s)))
            << "beta1 " << beta1 << " t " << t << " g " << g << " m " << s[0] << " v " << s[1];
        differs_from_divisions += k::float_bits(term) != k::float_bits(division_form(c, h.beta2, t, g, s));
      }
    }
  }
  // The two forms round differently for some inputs, so the comparison can tell them apart.
  EXPECT_GT(differs_from_divisions, 100);
}

TEST(LambNormTerm, SkippedZeroGradientContributesNothing) {
  bnb::HyperParams h;
  h.skip_zeros = true;
  const bnb::StepConstants c = k::Adam::prepare(h, 5);
  const float s[2] = {0.5f, 0.25f};
  EXPECT_EQ(k::Adam::unorm_term(c, 0.0f, 1.0f, s), 0.0f);
  EXPECT_GT(k::Adam::unorm_term(c, 1e-3f, 1.0f, s), 0.0f);
}

}  // namespace
