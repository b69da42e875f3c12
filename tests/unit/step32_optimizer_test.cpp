// Through the library's Optimizer (lib/include/bnb/optimizer.hpp), against the fp64 reference:
// percentile clipping (SPEC.md §6.1) and the plain PytorchLARS form (§4.8 last paragraph).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bnb/optimizer.hpp"
#include "bnb_ref/ref_optimizer.hpp"
#include "step32_harness.hpp"

namespace {

using bnb::ArgMap;
using bnb::DType;

// SPEC.md §10 fp32 tolerances.
constexpr double kAtol = 1e-6;
constexpr double kRtol = 1e-5;

constexpr std::size_t kN = 4096 + 17;

bnb_ref::RefHyper adam_defaults(double percentile) {
  bnb_ref::RefHyper h;  // Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0
  h.percentile_clipping = percentile;
  return h;
}

double sum_of_squares(const std::vector<float>& g) {
  double s = 0;
  for (float v : g) s += static_cast<double>(v) * static_cast<double>(v);
  return s;
}

// Gradients g, g, g, g, 10·g, g: after step 1 fills all 100 history slots with G = Σg², steps
// 2..4 store G again (slots 2..4), and the spike stores 100·G in slot 5. Sorted, index 5 is still
// G, so clip = sqrt(G), current = 10·sqrt(G): gnorm_scale = 0.1 and the spike step is exactly the
// step with g. An unclipped reference fed g six times must therefore agree too.
TEST(PercentileClipping, ASpikeIsScaledBackToThePercentileNorm) {
  const step32::NormalPool pool(kN + 10, 5);
  const std::vector<float> g = pool.draw(kN, 3, 0.01f);
  std::vector<float> spike(g);
  for (float& v : spike) v *= 10.0f;
  std::vector<float> p = pool.draw(kN, 0, 0.1f);

  bnb::Optimizer opt("Adam32bit", ArgMap{{"percentile_clipping", 5.0}}, {{"w", DType::f32, kN}});
  bnb_ref::RefOptimizer clipped(bnb_ref::Algo::adam, adam_defaults(5), kN);
  bnb_ref::RefOptimizer plain(bnb_ref::Algo::adam, adam_defaults(100), kN);
  clipped.set_param(p);
  plain.set_param(p);

  const double G = sum_of_squares(g);
  for (int step = 1; step <= 6; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const std::vector<float>& grad = step == 5 ? spike : g;
    opt.step(0, p.data(), grad.data());
    clipped.step(grad);
    plain.step(g);

    // t == 1 fills every slot and does not clip; later steps with the same norm do not either.
    if (step == 1) {
      for (double slot : clipped.gnorm_history()) EXPECT_EQ(slot, G);
    }
    // 10·g is rounded to fp32 per element, so the spike's norm is 10·sqrt(G) to ~1e-8.
    EXPECT_NEAR(clipped.last_gnorm_scale(), step == 5 ? 0.1 : 1.0, 1e-8);

    const step32::Mismatch vs_clipped = step32::compare(p, clipped.param(), kAtol, kRtol);
    EXPECT_EQ(vs_clipped.count, 0u) << vs_clipped.describe(p, clipped.param());
    const step32::Mismatch vs_plain = step32::compare(p, plain.param(), kAtol, kRtol);
    EXPECT_EQ(vs_plain.count, 0u) << vs_plain.describe(p, plain.param());
  }
  // The library's history (fp32) holds the same norms: slot 5 the spike, the rest G.
  const std::vector<float>& history = opt.state(0).gnorm_vec;
  ASSERT_EQ(history.size(), 100u);
  for (std::size_t i = 0; i < history.size(); ++i) {
    // fp32 sums of squares in chunks (kernels' fixed order) vs double: relative 1e-6.
    EXPECT_NEAR(history[i], clipped.gnorm_history()[i], 1e-6 * clipped.gnorm_history()[i]) << "slot " << i;
  }
  EXPECT_NEAR(history[5], 100.0 * G, 1e-4 * G);
}

TEST(PercentileClipping, ClippedStepDiffersFromTheRawSpike) {
  // Guard against a clipper that never clips: the same spike without percentile clipping moves
  // p by a different amount (Adam's normalization hides a uniform scale only at t = 1, so use
  // the state after four ordinary steps).
  const step32::NormalPool pool(kN + 10, 5);
  const std::vector<float> g = pool.draw(kN, 3, 0.01f);
  std::vector<float> spike(g);
  for (float& v : spike) v *= 10.0f;
  const std::vector<float> p0 = pool.draw(kN, 0, 0.1f);
  std::vector<float> p_clip = p0, p_raw = p0;
  bnb::Optimizer with("Adam32bit", ArgMap{{"percentile_clipping", 5.0}}, {{"w", DType::f32, kN}});
  bnb::Optimizer without("Adam32bit", ArgMap{}, {{"w", DType::f32, kN}});
  for (int step = 1; step <= 5; ++step) {
    const std::vector<float>& grad = step == 5 ? spike : g;
    with.step(0, p_clip.data(), grad.data());
    without.step(0, p_raw.data(), grad.data());
  }
  double diff = 0;
  for (std::size_t i = 0; i < kN; ++i) diff += std::fabs(static_cast<double>(p_clip[i]) - static_cast<double>(p_raw[i]));
  EXPECT_GT(diff / kN, 1e-5);
}

// PytorchLARS: fp32, d = g + wd·p, buffer seeded with d, dampening, Nesterov, clip with
// max_unorm·||p|| (no eps).
struct LarsCase {
  const char* label;
  double momentum, dampening, weight_decay, max_unorm;
  bool nesterov;
  bool skip_zeros = false;  // with every 7th gradient element exactly 0, a different 7th each step
};

class PytorchLars : public ::testing::TestWithParam<LarsCase> {};

TEST_P(PytorchLars, MatchesTheReferenceForm) {
  const LarsCase lc = GetParam();
  const ArgMap args{{"lr", 0.01},
                    {"momentum", lc.momentum},
                    {"dampening", lc.dampening},
                    {"weight_decay", lc.weight_decay},
                    {"max_unorm", lc.max_unorm},
                    {"nesterov", lc.nesterov},
                    {"skip_zeros", lc.skip_zeros}};
  bnb::Optimizer opt("PytorchLARS", args, {{"w", DType::f32, kN}});
  bnb_ref::RefHyper h;
  h.lr = 0.01;
  h.beta1 = lc.momentum;
  h.dampening = lc.dampening;
  h.weight_decay = lc.weight_decay;
  h.max_unorm = lc.max_unorm;
  h.nesterov = lc.nesterov;
  h.skip_zeros = lc.skip_zeros;
  h.eps = 0;
  bnb_ref::RefOptimizer ref(bnb_ref::Algo::pytorch_lars, h, kN);

  const step32::NormalPool pool(kN + 4096, 11);
  std::vector<float> p = pool.draw(kN, 0, 0.1f);
  ref.set_param(p);
  for (int step = 1; step <= 5; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<float> g = pool.draw(kN, 131 * static_cast<std::size_t>(step) + 7, 0.01f);
    if (lc.skip_zeros) {
      // Zeros move every step, so a skipped element has a non-zero buffer that must not act.
      for (std::size_t i = static_cast<std::size_t>(step) % 7; i < kN; i += 7) g[i] = 0.0f;
    }
    const bnb::StepReport report = opt.step(0, p.data(), g.data());
    ref.step(g);
    const step32::Mismatch m = step32::compare(p, ref.param(), kAtol, kRtol);
    EXPECT_EQ(m.count, 0u) << m.describe(p, ref.param());
    // s = limit/U from double sums on both sides: fp32 inputs only.
    EXPECT_NEAR(report.update_scale, ref.last_update_scale(), 1e-5 * ref.last_update_scale());
  }
  if (lc.momentum > 0) {
    // fp32 buffer vs double: relative 1e-5, and near zero (cancellation of momentum·buf and d)
    // 1e-6 of the largest magnitude, as in step32_sweep_test.cpp.
    double largest = 0;
    for (double v : ref.state(0)) largest = std::max(largest, std::fabs(v));
    const std::vector<float> buffer = opt.state(0).dequantized(0);
    const step32::Mismatch m = step32::compare(buffer, ref.state(0), 1e-6 * largest, kRtol);
    EXPECT_EQ(m.count, 0u) << "momentum buffer: " << m.describe(buffer, ref.state(0));
  }
}

// With p ~ N(0, 0.1²), g ~ N(0, 0.01²): ||update|| / ||p|| ≈ 0.1..0.5, so max_unorm 0.02 clips
// and 10 does not.
INSTANTIATE_TEST_SUITE_P(
    Forms, PytorchLars,
    ::testing::Values(LarsCase{"clipped_momentum", 0.9, 0.0, 0.0, 0.02, false},
                      LarsCase{"nesterov_decay", 0.9, 0.0, 0.01, 0.02, true},
                      LarsCase{"dampening_unclipped", 0.8, 0.5, 0.01, 10.0, false},
                      LarsCase{"no_momentum", 0.0, 0.0, 0.01, 0.02, false},
                      LarsCase{"skip_zeros", 0.9, 0.0, 0.0, 0.02, false, true}),
    [](const ::testing::TestParamInfo<LarsCase>& param_info) { return std::string(param_info.param.label); });

}  // namespace
