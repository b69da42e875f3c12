// The product's 32-bit CPU path against the fp64 reference: every algorithm × {fp32, fp16,
// bf16} × shapes {1, 1024×32, 4096+17}, 20 steps of g ~ N(0, 0.01²) from p ~ N(0, 0.1²)
// (SPEC.md §10), and the big shape 1024×4097 in fp32 only, for 4 steps (t = 1 seeding and three
// steady-state steps): 20 steps × 3 dtypes of the big shape cost ~60 s of CPU in the double
// reference, and the big shape adds no path the smaller ones miss (multi-block tails, the
// chunked norm reductions and the 16-bit conversions are all exercised by 1024×32 and 4096+17).
//
// fp32 runs: the reference runs alongside in exact double arithmetic and is never re-synced, so
// the check is that 20 steps of fp32 rounding stay within atol 1e-6 / rtol 1e-5.
// 16-bit runs: as bitsandbytes does, the reference parameter is replaced by the product's stored
// parameter before every step (the reference itself rounds to the dtype after every assignment),
// and the step's result must agree within fp16 1e-4/1e-3, bf16 1e-3/1e-2 — one unit of the
// dtype near |p| = 0.1 is 6.1e-5 (fp16) and 4.9e-4 (bf16), so these allow a rounding-boundary
// disagreement of one unit but not a wrong formula (an lr-sized error is 1e-3..1e-2).
// States are never re-synced (the 16-bit runs feed both sides the same parameter, so states that
// depend on p — L2 decay folded into g — see the same values).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "step32_harness.hpp"

namespace {

using bnb::Algorithm;
using bnb::DType;
using step32::Config;

constexpr int kSteps = 20;

// SPEC.md §10 parameter tolerances.
struct Tolerance {
  double atol, rtol;
};
Tolerance param_tolerance(DType d) {
  switch (d) {
    case DType::f32: return {1e-6, 1e-5};
    case DType::f16: return {1e-4, 1e-3};
    case DType::bf16: return {1e-3, 1e-2};
  }
  return {0, 0};
}

// States (fp32 in the product) against the double reference: each step adds a few fp32
// roundings (relative 6e-8 each) to a state, and the states forget old errors geometrically, so
// 20 steps stay well under 1e-5 relative. Elements whose state passes near zero (m changing sign)
// carry the absolute rounding of their larger terms instead: atol is 1e-6 of the row's largest
// magnitude seen during the run. 16-bit runs use the same bound: their states see the same
// parameter on both sides.
constexpr double kStateRtol = 1e-5;
constexpr double kStateAtolOfMax = 1e-6;

// Lion may differ on up to 15 elements (SPEC.md §10): where β1·m + (1−β1)·g is within fp32
// rounding of 0, the sign differs between fp32 and double and the step moves by 2·lr.
std::size_t allowed_differences(Algorithm a) { return a == Algorithm::lion ? 15 : 0; }

// The unorm/pnorm of a clipped step: fp32 terms summed in fp32 chunks of 256 (the product)
// against a double sum; each term carries a few ulps, the chunk sums ~32 additions per lane.
// The terms come from states that accumulated fp32 rounding over the run, so, like the states,
// the bound is relative to the largest norm seen in the run: when the current norm is small
// because m cancelled (n = 1: m crosses zero), the error is that of the earlier magnitudes.
constexpr double kNormRtol = 1e-5;

/// Config A: the family's defaults, weight decay off (lamb/lars clip with their default
/// max_unorm). Config B: non-default values, weight decay on, schedulers on for ademamix.
Config make_config(Algorithm a, bool non_default) {
  Config c;
  bnb::HyperParams& h = c.hyper;
  switch (a) {
    case Algorithm::adam:
    case Algorithm::lamb:
      h.lr = non_default ? 2e-3 : 1e-3;
      h.beta1 = non_default ? 0.8 : 0.9;
      h.beta2 = non_default ? 0.99 : 0.999;
      h.eps = non_default ? 1e-6 : 1e-8;
      h.weight_decay = non_default ? 0.1 : 0.0;
      h.max_unorm = a == Algorithm::lamb ? 1.0 : 0.0;
      break;
    case Algorithm::ademamix:
      h.lr = non_default ? 2e-3 : 1e-3;
      h.beta1 = non_default ? 0.8 : 0.9;
      h.beta2 = non_default ? 0.99 : 0.999;
      h.beta3 = non_default ? 0.999 : 0.9999;
      h.alpha = non_default ? 3.0 : 5.0;
      h.t_alpha = non_default ? 10 : 0;  // reached within the 20 steps
      h.t_beta3 = non_default ? 10 : 0;
      h.eps = non_default ? 1e-6 : 1e-8;
      h.weight_decay = non_default ? 0.1 : 0.0;
      break;
    case Algorithm::momentum:
    case Algorithm::lars:
      h.lr = non_default ? 0.02 : 0.01;
      h.beta1 = non_default ? 0.8 : 0.9;
      h.eps = 0;
      h.weight_decay = non_default ? 0.05 : 0.0;
      h.max_unorm = a == Algorithm::lars ? 0.02 : 0.0;
      break;
    case Algorithm::rmsprop:
      h.lr = non_default ? 2e-3 : 1e-3;
      h.beta1 = non_default ? 0.9 : 0.99;
      h.eps = non_default ? 1e-6 : 1e-8;
      h.weight_decay = non_default ? 0.05 : 0.0;
      break;
    case Algorithm::adagrad:
      h.lr = non_default ? 5e-3 : 1e-2;
      h.eps = non_default ? 1e-6 : 1e-10;
      h.weight_decay = non_default ? 0.05 : 0.0;
      break;
    case Algorithm::lion:
      h.lr = non_default ? 3e-4 : 1e-4;
      h.beta1 = non_default ? 0.95 : 0.9;
      h.beta2 = non_default ? 0.98 : 0.99;
      h.eps = 0;
      h.weight_decay = non_default ? 0.5 : 0.0;
      break;
  }
  return c;
}

void run_sweep(Algorithm a, DType d, std::size_t n, bool non_default, int steps) {
  SCOPED_TRACE(std::string(bnb_ref::algo_name(step32::ref_algo(a))) + " " + step32::dtype_name(d) +
               " n=" + std::to_string(n) + (non_default ? " config B" : " config A"));
  const Config config = make_config(a, non_default);
  const step32::NormalPool pool(n + 4096, 1234 + n);
  const Tolerance tol = param_tolerance(d);

  step32::Product32 product(a, d, n);
  bnb_ref::RefOptimizer ref(step32::ref_algo(a), config.ref(), n, step32::ref_storage(d));
  ref.set_param(product.set_param(pool.draw(n, 0, 0.1f)));

  const bool clips = bnb::kernels::clips_update_norm(a) && config.hyper.max_unorm > 0;
  double largest_unorm = 0, largest_pnorm = 0;
  std::vector<double> largest_state(static_cast<std::size_t>(product.rows()), 0.0);
  for (int step = 1; step <= steps; ++step) {
    const std::vector<float>& g = product.set_grad(pool.draw(n, 131 * static_cast<std::size_t>(step) + 7, 0.01f));
    if (d != DType::f32) ref.set_param(product.param());  // 16-bit: re-sync the parameter
    const bnb::StepReport report = product.step(config);
    ref.step(g);

    const std::vector<float>& p = product.param();
    const step32::Mismatch m = step32::compare(p, ref.param(), tol.atol, tol.rtol);
    ASSERT_LE(m.count, allowed_differences(a)) << "step " << step << ": " << m.describe(p, ref.param());
    if (clips) {
      largest_unorm = std::max(largest_unorm, ref.last_unorm());
      largest_pnorm = std::max(largest_pnorm, ref.last_pnorm());
      EXPECT_NEAR(report.unorm, ref.last_unorm(), kNormRtol * largest_unorm) << "step " << step;
      EXPECT_NEAR(report.pnorm, ref.last_pnorm(), kNormRtol * largest_pnorm) << "step " << step;
      // s = limit/U: its relative error is that of U plus that of P.
      EXPECT_NEAR(report.update_scale, ref.last_update_scale(),
                  2 * kNormRtol * ref.last_update_scale() * largest_unorm / ref.last_unorm())
          << "step " << step;
    }
    for (int r = 0; r < product.rows(); ++r) {
      double& largest = largest_state[static_cast<std::size_t>(r)];
      for (double v : ref.state(r)) largest = std::max(largest, std::fabs(v));
    }
  }
  for (int r = 0; r < product.rows(); ++r) {
    const std::vector<double>& expected = ref.state(r);
    const double atol = kStateAtolOfMax * largest_state[static_cast<std::size_t>(r)];
    const step32::Mismatch m = step32::compare(product.state(r), expected, atol, kStateRtol);
    EXPECT_EQ(m.count, 0u) << "state row " << r << ": " << m.describe(product.state(r), expected);
  }
}

constexpr std::size_t kSmallShapes[] = {1, 1024 * 32, 4096 + 17};
constexpr std::size_t kBigShape = 1024 * 4097;
constexpr int kBigShapeSteps = 4;

const auto kAllAlgorithms = ::testing::Values(Algorithm::adam, Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                                              Algorithm::adagrad, Algorithm::lion, Algorithm::lamb, Algorithm::lars);

class Step32Sweep : public ::testing::TestWithParam<std::tuple<Algorithm, DType, std::size_t>> {};

TEST_P(Step32Sweep, TwentyStepsMatchTheReference) {
  const auto [a, d, shape] = GetParam();
  // Config A (defaults) on shapes 1 and 4096+17, config B (weight decay, non-default values) on
  // 1024×32: every algorithm and dtype runs both.
  run_sweep(a, d, kSmallShapes[shape], shape == 1, kSteps);
}

std::string case_name(const ::testing::TestParamInfo<Step32Sweep::ParamType>& info) {
  const auto [a, d, shape] = info.param;
  return std::string(bnb_ref::algo_name(step32::ref_algo(a))) + "_" + step32::dtype_name(d) + "_n" +
         std::to_string(kSmallShapes[shape]);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, Step32Sweep,
                         ::testing::Combine(kAllAlgorithms, ::testing::Values(DType::f32, DType::f16, DType::bf16),
                                            ::testing::Values(std::size_t{0}, std::size_t{1}, std::size_t{2})),
                         case_name);

class Step32BigShape : public ::testing::TestWithParam<Algorithm> {};

TEST_P(Step32BigShape, Fp32MatchesTheReference) {
  // Config B: weight decay on, so the big shape also runs the decay paths.
  run_sweep(GetParam(), DType::f32, kBigShape, true, kBigShapeSteps);
}

std::string algorithm_name(const ::testing::TestParamInfo<Algorithm>& param_info) {
  return bnb_ref::algo_name(step32::ref_algo(param_info.param));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, Step32BigShape, kAllAlgorithms, algorithm_name);

}  // namespace
