// Edge cases of the 32-bit CPU path against the fp64 reference: update-norm clipping active and
// inactive (LAMB, LARS, clipped RMSprop), the AdEMAMix schedulers around their horizons,
// skip_zeros, weight decay on every algorithm, and non-finite gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "bnb_ref/ademamix_schedule.hpp"
#include "step32_harness.hpp"

namespace {

using bnb::Algorithm;
using bnb::DType;
using step32::Config;

constexpr std::size_t kN = 4096 + 17;  // several blocks and a tail
// SPEC.md §10 fp32 tolerances; a handful of steps from identical starting values.
constexpr double kAtol = 1e-6;
constexpr double kRtol = 1e-5;
// Norms: fp32 terms in 256-element fp32 chunks vs a double sum (see step32_sweep_test.cpp).
constexpr double kNormRtol = 1e-5;

const Algorithm kAll[] = {Algorithm::adam,    Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                          Algorithm::adagrad, Algorithm::lion,     Algorithm::lamb,     Algorithm::lars};

std::string name_of(Algorithm a) { return bnb_ref::algo_name(step32::ref_algo(a)); }

Config base_config(Algorithm a) {
  Config c;
  c.hyper.lr = a == Algorithm::momentum || a == Algorithm::lars ? 0.01 : 1e-3;
  if (a == Algorithm::momentum || a == Algorithm::lars || a == Algorithm::lion) c.hyper.eps = 0;
  if (a == Algorithm::lion) c.hyper.beta2 = 0.99;
  return c;
}

/// Runs `steps` steps on both sides from the same p and the same gradients (grad_of(step) may
/// edit the drawn gradient) and checks the parameter after each step. Returns the product.
struct Pair {
  step32::Product32 product;
  bnb_ref::RefOptimizer ref;
  bnb::StepReport last;
};

template <class EditGrad>
void run_pair(Pair& pair, const Config& c, int steps, EditGrad edit) {
  const step32::NormalPool pool(pair.product.size() + 4096, 99);
  pair.ref.set_param(pair.product.set_param(pool.draw(pair.product.size(), 0, 0.1f)));
  for (int s = 1; s <= steps; ++s) {
    std::vector<float> g = pool.draw(pair.product.size(), 131 * static_cast<std::size_t>(s) + 7, 0.01f);
    edit(s, g);
    const std::vector<float>& seen = pair.product.set_grad(g);
    pair.last = pair.product.step(c);
    pair.ref.step(seen);
    const std::vector<float>& p = pair.product.param();
    const step32::Mismatch m = step32::compare(p, pair.ref.param(), kAtol, kRtol);
    const std::size_t allowed = pair.ref.algo() == bnb_ref::Algo::lion ? 15 : 0;
    ASSERT_LE(m.count, allowed) << "step " << s << ": " << m.describe(p, pair.ref.param());
  }
}

Pair make_pair(Algorithm a, const Config& c, std::size_t n = kN) {
  return Pair{step32::Product32(a, DType::f32, n), bnb_ref::RefOptimizer(step32::ref_algo(a), c.ref(), n), {}};
}

// ---------------------------------------------------------------------------------------------
// Update-norm clipping (SPEC.md §4.7, §4.8)

struct ClipCase {
  Algorithm algo;
  double max_unorm;
  bool expect_clip;
};

class Clipping : public ::testing::TestWithParam<ClipCase> {};

TEST_P(Clipping, ReportsTheNormsAndScaleOfTheReference) {
  const ClipCase cc = GetParam();
  Config c = base_config(cc.algo);
  c.hyper.max_unorm = cc.max_unorm;
  c.hyper.weight_decay = 0.01;  // LARS' U must leave it out, RMSprop's must include it
  Pair pair = make_pair(cc.algo, c);
  run_pair(pair, c, 1, [](int, std::vector<float>&) {});  // t = 1
  // Three more steps (t = 2..4) with their reports checked.
  const step32::NormalPool pool(kN + 4096, 7);
  for (int s = 2; s <= 4; ++s) {
    const std::vector<float>& g = pair.product.set_grad(pool.draw(kN, 977 * static_cast<std::size_t>(s), 0.01f));
    const bnb::StepReport r = pair.product.step(c);
    pair.ref.step(g);
    EXPECT_NEAR(r.unorm, pair.ref.last_unorm(), kNormRtol * pair.ref.last_unorm()) << "step " << s;
    EXPECT_NEAR(r.pnorm, pair.ref.last_pnorm(), kNormRtol * pair.ref.last_pnorm()) << "step " << s;
    EXPECT_NEAR(r.update_scale, pair.ref.last_update_scale(), 2 * kNormRtol * pair.ref.last_update_scale());
    if (cc.expect_clip) {
      EXPECT_LT(r.update_scale, 0.999f) << "step " << s;
    } else {
      EXPECT_EQ(r.update_scale, 1.0f) << "step " << s;
      EXPECT_GT(r.unorm, 0.0f) << "the norm is reported even when it does not clip";
    }
    const step32::Mismatch m = step32::compare(pair.product.param(), pair.ref.param(), kAtol, kRtol);
    EXPECT_EQ(m.count, 0u) << m.describe(pair.product.param(), pair.ref.param());
  }
}

// With p ~ N(0, 0.1²) and g ~ N(0, 0.01²) over n elements: P ≈ 0.1·sqrt(n). LAMB's U ≈ sqrt(n)
// (each term ≈ 1 at t ≤ 4), so max_unorm 1 clips and 100 does not; LARS' U ≈ 0.01·sqrt(n)·(1..3),
// so 0.02 clips and 10 does not; RMSprop's U ≈ sqrt(n)·(1..10), so 0.5 clips and 1000 does not.
INSTANTIATE_TEST_SUITE_P(
    LambLarsRmsprop, Clipping,
    ::testing::Values(ClipCase{Algorithm::lamb, 1.0, true}, ClipCase{Algorithm::lamb, 100.0, false},
                      ClipCase{Algorithm::lars, 0.02, true}, ClipCase{Algorithm::lars, 10.0, false},
                      ClipCase{Algorithm::rmsprop, 0.5, true}, ClipCase{Algorithm::rmsprop, 1000.0, false}),
    [](const ::testing::TestParamInfo<ClipCase>& param_info) {
      return name_of(param_info.param.algo) + (param_info.param.expect_clip ? "_clipped" : "_unclipped");
    });

TEST(Clipping, MaxUnormHasNoEffectOnTheOtherAlgorithms) {
  for (Algorithm a : {Algorithm::adam, Algorithm::momentum, Algorithm::adagrad, Algorithm::lion, Algorithm::ademamix}) {
    SCOPED_TRACE(name_of(a));
    Config c = base_config(a);
    c.hyper.max_unorm = 1e-6;  // would clip hard if it applied
    Pair pair = make_pair(a, c, 1000);
    run_pair(pair, c, 2, [](int, std::vector<float>&) {});
    EXPECT_EQ(pair.last.update_scale, 1.0f);
    EXPECT_EQ(pair.last.unorm, 0.0f);
  }
}

// ---------------------------------------------------------------------------------------------
// AdEMAMix schedulers (SPEC.md §4.2)

TEST(AdEMAMixSchedulers, KernelConstantsFollowTheReferenceAroundTheHorizons) {
  bnb::HyperParams h;
  h.beta1 = 0.9;
  h.beta3 = 0.9999;
  h.alpha = 5;
  h.t_alpha = 10;
  h.t_beta3 = 20;
  Config c;
  c.hyper = h;
  const bnb_ref::RefHyper rh = c.ref();
  for (std::int64_t t : {1, 2, 9, 10, 11, 19, 20, 21, 1000}) {
    SCOPED_TRACE("t=" + std::to_string(t));
    const bnb::StepConstants k = bnb::kernels::AdEMAMix::prepare(h, t);
    const double alpha = bnb_ref::ademamix_alpha(rh, static_cast<double>(t));
    const double beta3 = bnb_ref::ademamix_beta3(rh, static_cast<double>(t));
    EXPECT_FLOAT_EQ(k.alpha, static_cast<float>(alpha));
    EXPECT_FLOAT_EQ(k.beta3, static_cast<float>(beta3));
    EXPECT_NEAR(k.one_minus_beta3, 1.0 - beta3, 1e-9);  // taken from the double, not 1 − float(β3)
    // The schedules' shapes: α ramps linearly to α at t_alpha and stays; β3 rises from above β1
    // to β3 at t_beta3 and stays.
    if (t < 10) {
      EXPECT_DOUBLE_EQ(alpha, static_cast<double>(t) * 0.5);
    } else {
      EXPECT_DOUBLE_EQ(alpha, 5.0);
    }
    if (t < 20) {
      EXPECT_LT(beta3, 0.9999);
      EXPECT_GT(beta3, 0.9);
    } else {
      EXPECT_NEAR(beta3, 0.9999, 1e-15);
    }
  }
  // β3_1 by hand: exp(ln0.9·ln0.9999/(0.95·ln0.9999 + 0.05·ln0.9)).
  const double l1 = std::log(0.9), l3 = std::log(0.9999);
  EXPECT_NEAR(bnb_ref::ademamix_beta3(rh, 1), std::exp(l1 * l3 / (0.95 * l3 + 0.05 * l1)), 1e-15);
  // No scheduler: horizons 0 give the plain values.
  bnb_ref::RefHyper plain = rh;
  plain.t_alpha = plain.t_beta3 = 0;
  EXPECT_EQ(bnb_ref::ademamix_alpha(plain, 3), 5.0);
  EXPECT_EQ(bnb_ref::ademamix_beta3(plain, 3), 0.9999);
}

TEST(AdEMAMixSchedulers, StepsAcrossBothHorizonsMatchTheReference) {
  Config c = base_config(Algorithm::ademamix);
  c.hyper.t_alpha = 3;
  c.hyper.t_beta3 = 4;
  c.hyper.weight_decay = 0.01;
  Pair pair = make_pair(Algorithm::ademamix, c);
  run_pair(pair, c, 6, [](int, std::vector<float>&) {});  // t = 1 .. 6: before, at and past both
}

// ---------------------------------------------------------------------------------------------
// skip_zeros (SPEC.md §4.9)

class SkipZeros : public ::testing::TestWithParam<Algorithm> {};

TEST_P(SkipZeros, ZeroGradientElementsAreLeftAlone) {
  const Algorithm a = GetParam();
  for (const double wd : {0.0, 0.05}) {
    SCOPED_TRACE("weight_decay " + std::to_string(wd));
    Config c = base_config(a);
    c.hyper.skip_zeros = true;
    c.hyper.weight_decay = wd;
    if (bnb::kernels::clips_update_norm(a)) c.hyper.max_unorm = a == Algorithm::lamb ? 1.0 : 0.02;
    Pair pair = make_pair(a, c);
    // Every third element has a zero gradient at steps 2 and 3 (after step 1 gave it states to
    // decay). Element 6 has p = 0 and a zero gradient at every step, so with L2 decay folded in
    // its decayed gradient is 0 too.
    const step32::NormalPool pool(kN + 4096, 99);
    std::vector<float> p0 = pool.draw(kN, 0, 0.1f);
    p0[6] = 0.0f;
    pair.ref.set_param(pair.product.set_param(p0));
    std::vector<float> p1;
    std::vector<std::vector<float>> s1;
    for (int s = 1; s <= 3; ++s) {
      std::vector<float> g = pool.draw(kN, 131 * static_cast<std::size_t>(s) + 7, 0.01f);
      g[6] = 0.0f;
      if (s >= 2) {
        for (std::size_t i = 0; i < g.size(); i += 3) g[i] = 0.0f;
      }
      pair.product.set_grad(g);
      pair.last = pair.product.step(c);
      pair.ref.step(g);
      const step32::Mismatch m = step32::compare(pair.product.param(), pair.ref.param(), kAtol, kRtol);
      ASSERT_LE(m.count, a == Algorithm::lion ? 15u : 0u) << m.describe(pair.product.param(), pair.ref.param());
      if (bnb::kernels::clips_update_norm(a)) {
        EXPECT_NEAR(pair.last.unorm, pair.ref.last_unorm(), kNormRtol * pair.ref.last_unorm());
      }
      if (s == 1) {
        p1 = pair.product.param();
        for (int r = 0; r < pair.product.rows(); ++r) s1.push_back(pair.product.state(r));
      }
    }
    const std::vector<float>& p = pair.product.param();
    // The L2-folding algorithms test g + wd·p: with wd > 0 only element 6 (p = 0) is skipped.
    const bool folds = a == Algorithm::momentum || a == Algorithm::lars || a == Algorithm::rmsprop ||
                       a == Algorithm::adagrad;
    EXPECT_EQ(p[6], 0.0f) << "element 6 never moves (ademamix: zero states give a zero step)";
    if (a != Algorithm::ademamix || wd == 0) {
      for (int r = 0; r < pair.product.rows(); ++r) EXPECT_EQ(pair.product.state(r)[6], 0.0f) << "row " << r;
    }
    for (std::size_t i = 3; i < 30; i += 3) {
      if (i == 6) continue;
      const bool skipped = a != Algorithm::ademamix && !(folds && wd > 0);
      if (skipped) {
        EXPECT_EQ(p[i], p1[i]) << "element " << i << ": no step, no decay";
        for (int r = 0; r < pair.product.rows(); ++r) {
          EXPECT_EQ(pair.product.state(r)[i], s1[static_cast<std::size_t>(r)][i]) << "row " << r << " element " << i;
        }
      } else {
        // ademamix ignores skip_zeros; the folding algorithms see a non-zero decayed gradient.
        EXPECT_NE(p[i], p1[i]) << "element " << i;
        EXPECT_NE(pair.product.state(0)[i], s1[0][i]) << "element " << i;
      }
    }
    EXPECT_NE(p[1], p0[1]);  // non-zero gradients do step
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, SkipZeros, ::testing::ValuesIn(kAll),
                         [](const ::testing::TestParamInfo<Algorithm>& param_info) { return name_of(param_info.param); });

// ---------------------------------------------------------------------------------------------
// Weight decay (SPEC.md §4.1–§4.6)

class WeightDecay : public ::testing::TestWithParam<Algorithm> {};

TEST_P(WeightDecay, MatchesTheReferenceAndChangesTheResult) {
  const Algorithm a = GetParam();
  Config plain = base_config(a);
  Config decayed = plain;
  decayed.hyper.weight_decay = 0.2;
  if (bnb::kernels::clips_update_norm(a) && a != Algorithm::rmsprop) {
    plain.hyper.max_unorm = decayed.hyper.max_unorm = a == Algorithm::lamb ? 1.0 : 0.02;
  }
  Pair with = make_pair(a, decayed, 1000);
  run_pair(with, decayed, 4, [](int, std::vector<float>&) {});
  Pair without = make_pair(a, plain, 1000);
  run_pair(without, plain, 4, [](int, std::vector<float>&) {});
  // Decay pulls p toward 0 by about steps·lr·wd·|p| (≥ 4·1e-3·0.2·0.1 = 8e-5 on average): far
  // beyond the tolerance, so a kernel that ignored weight decay could not pass.
  double shift = 0;
  for (std::size_t i = 0; i < 1000; ++i) shift += std::fabs(with.ref.param()[i] - without.ref.param()[i]);
  EXPECT_GT(shift / 1000, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, WeightDecay, ::testing::ValuesIn(kAll),
                         [](const ::testing::TestParamInfo<Algorithm>& param_info) { return name_of(param_info.param); });

// ---------------------------------------------------------------------------------------------
// Non-finite gradients (SPEC.md §3): the 32-bit path propagates them.

class NonFinite : public ::testing::TestWithParam<Algorithm> {};

TEST_P(NonFinite, NaNGradientPropagatesOnThe32BitPath) {
  const Algorithm a = GetParam();
  Config c = base_config(a);
  if (bnb::kernels::clips_update_norm(a) && a != Algorithm::rmsprop) c.hyper.max_unorm = a == Algorithm::lamb ? 1.0 : 0.02;
  constexpr std::size_t kBad = 300;
  Pair pair = make_pair(a, c, 1000);
  const step32::NormalPool pool(5096, 99);
  pair.ref.set_param(pair.product.set_param(pool.draw(1000, 0, 0.1f)));
  for (int s = 1; s <= 2; ++s) {
    std::vector<float> g = pool.draw(1000, 131 * static_cast<std::size_t>(s), 0.01f);
    if (s == 2) g[kBad] = std::nanf("");
    pair.product.set_grad(g);
    pair.last = pair.product.step(c);
    pair.ref.step(g);
  }
  EXPECT_EQ(pair.last.nonfinite_grads, 1u);
  const std::vector<float>& p = pair.product.param();
  bool product_nan = std::isnan(p[kBad]);
  bool ref_nan = std::isnan(pair.ref.param()[kBad]);
  for (int r = 0; r < pair.product.rows(); ++r) {
    product_nan = product_nan || std::isnan(pair.product.state(r)[kBad]);
    ref_nan = ref_nan || std::isnan(pair.ref.state(r)[kBad]);
  }
  EXPECT_TRUE(product_nan) << "the NaN reaches p or a state";
  EXPECT_TRUE(ref_nan);
  if (a == Algorithm::adam) {
    EXPECT_TRUE(std::isnan(p[kBad]));
    EXPECT_TRUE(std::isnan(pair.product.state(0)[kBad]));
    EXPECT_TRUE(std::isnan(pair.product.state(1)[kBad]));
  }
  // Elsewhere the step is the reference's (a NaN norm disables LAMB/LARS clipping on both sides:
  // U > limit is false).
  std::vector<float> others(p.begin(), p.end());
  std::vector<double> expected(pair.ref.param().begin(), pair.ref.param().end());
  others[kBad] = 0.0f;
  expected[kBad] = 0.0;
  const step32::Mismatch m = step32::compare(others, expected, kAtol, kRtol);
  EXPECT_LE(m.count, a == Algorithm::lion ? 15u : 0u) << m.describe(others, expected);
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, NonFinite, ::testing::ValuesIn(kAll),
                         [](const ::testing::TestParamInfo<Algorithm>& param_info) { return name_of(param_info.param); });

}  // namespace
