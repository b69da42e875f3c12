// The clipping step of LAMB and LARS with fp32 parameters and state (kernels/cpu/clip_step.hpp:
// the new states and the norms in a first pass, the parameters in a second) is bit-identical to
// the one-pass step it replaces: the update-norm and parameter-norm terms of the old states,
// summed in the documented order (step_request.hpp), the clip scale from them, then
// Algo::update on every element at that scale. On every compiled CPU variant, 1 and 2 threads,
// with tails in both passes, skip_zeros, weight decay, the first step (LARS seeds its buffer),
// gnorm_scale != 1 and non-finite gradients (NaN and both infinities: propagated on the 32-bit path,
// and counted).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bnb/kernels/cpu_variant.hpp"
#include "step8_harness.hpp"  // Normal, ordered_sum, bit_mismatches

namespace {

using bnb::Algorithm;
using bnb::kernels::float_bits;

constexpr std::size_t kN = 2 * 4096 + 3 * 256 + 77;  // two whole blocks of pass 2, a tail chunk of pass 1

struct Case {
  Algorithm algo;
  bool skip_zeros = false;
  bool decay = false;
  std::int64_t t = 5;
  float gnorm_scale = 1.0f;
  bool nan = false;
};

std::string label(const Case& c) {
  return std::string(bnb::algorithm_name(c.algo)) + (c.skip_zeros ? " skip_zeros" : "") + (c.decay ? " decay" : "") +
         " t=" + std::to_string(c.t) + " gnorm_scale=" + std::to_string(c.gnorm_scale) + (c.nan ? " nan" : "");
}

struct Tensor {
  std::vector<float> p, g;
  std::vector<float> s[2];
};

Tensor inputs(const Case& c) {
  step8::Normal rng(0xc11bu + static_cast<std::uint64_t>(c.algo));
  Tensor x;
  x.p = rng.draw(kN, 0.1);
  x.g = rng.draw(kN, 0.01);
  for (std::size_t i = 5; i < kN; i += 97) x.g[i] = 0.0f;  // skip_zeros has something to skip
  if (c.nan) {  // inside a vector of pass 1, at its start, and in a chunk's last len % 8 elements
    x.g[kN / 2] = std::numeric_limits<float>::quiet_NaN();
    x.g[3] = std::numeric_limits<float>::infinity();
    x.g[kN - 2] = -std::numeric_limits<float>::infinity();
  }
  x.s[0] = rng.draw(kN, 0.01);
  x.s[1] = rng.draw(kN, 1e-4);
  for (float& v : x.s[1]) v = std::fabs(v);  // a second moment
  return x;
}

/// The step as one pass after the norms, on the test's side.
template <class A>
bnb::StepReport one_pass(const bnb::StepConstants& c, float max_unorm, float gnorm_scale, Tensor& x) {
  std::vector<float> g(kN), uterm(kN), pterm(kN);
  bnb::StepReport report;
  for (std::size_t i = 0; i < kN; ++i) {
    g[i] = x.g[i] * gnorm_scale;
    const float s[2] = {x.s[0][i], x.s[1][i]};
    uterm[i] = A::unorm_term(c, g[i], x.p[i], s);
    pterm[i] = x.p[i] * x.p[i];
    report.nonfinite_grads += std::isfinite(g[i]) ? 0u : 1u;
  }
  report.unorm = static_cast<float>(std::sqrt(step8::ordered_sum(uterm)));
  report.pnorm = static_cast<float>(std::sqrt(step8::ordered_sum(pterm)));
  report.update_scale = bnb::kernels::clip_scale(A::kClip, report.unorm, report.pnorm, max_unorm, c.eps);
  for (std::size_t i = 0; i < kN; ++i) {
    float s[2] = {x.s[0][i], x.s[1][i]};
    A::template update<bnb::kernels::Storage<float>>(c, g[i], x.p[i], s, report.update_scale);
    for (int k = 0; k < A::kRows; ++k) x.s[k][i] = s[k];
  }
  return report;
}

template <class A>
void expect_two_pass_equals_one_pass(const Case& c) {
  bnb::HyperParams h;
  h.lr = 0.01;
  h.weight_decay = c.decay ? 0.01 : 0.0;
  h.skip_zeros = c.skip_zeros;
  h.max_unorm = A::kId == Algorithm::lamb ? 0.01 : 0.02;  // both clip these inputs (checked below)
  const bnb::StepConstants constants = A::prepare(h, c.t);
  Tensor expected = inputs(c);
  const bnb::StepReport want = one_pass<A>(constants, static_cast<float>(h.max_unorm), c.gnorm_scale, expected);
  if (!c.nan) {
    EXPECT_LT(want.update_scale, 1.0f) << "the clip must be active";
  }
  for (bnb::kernels::CpuVariant v : bnb::kernels::supported_variants()) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(std::string(bnb::kernels::variant_name(v)) + " threads=" + std::to_string(threads));
      Tensor x = inputs(c);
      bnb::StepRequest r;
      r.algorithm = A::kId;
      r.dtype = bnb::DType::f32;
      r.n = kN;
      r.param = x.p.data();
      r.grad = x.g.data();
      r.state.format = bnb::StateFormat::fp32;
      r.state.rows = A::kRows;
      for (int k = 0; k < A::kRows; ++k) r.state.values[k] = x.s[k].data();
      r.constants = constants;
      r.max_unorm = static_cast<float>(h.max_unorm);
      r.gnorm_scale = c.gnorm_scale;
      r.threads = threads;
      bnb::StepReport got;
      bnb::kernels::cpu_step(v, r, got);
      EXPECT_EQ(step8::bit_mismatches(x.p, expected.p), 0u) << "parameters";
      for (int k = 0; k < A::kRows; ++k) EXPECT_EQ(step8::bit_mismatches(x.s[k], expected.s[k]), 0u) << "row " << k;
      EXPECT_EQ(float_bits(got.unorm), float_bits(want.unorm));
      EXPECT_EQ(float_bits(got.pnorm), float_bits(want.pnorm));
      EXPECT_EQ(float_bits(got.update_scale), float_bits(want.update_scale));
      EXPECT_EQ(got.nonfinite_grads, want.nonfinite_grads);
    }
  }
}

void expect_two_pass_equals_one_pass(const Case& c) {
  SCOPED_TRACE(label(c));
  bnb::kernels::with_algorithm(c.algo, [&]<class A>() {
    if constexpr (A::kRows <= 2) expect_two_pass_equals_one_pass<A>(c);  // LAMB and LARS
  });
}

class ClipStep : public ::testing::TestWithParam<Algorithm> {};

TEST_P(ClipStep, EqualsTheOnePassStep) {
  const Algorithm a = GetParam();
  expect_two_pass_equals_one_pass({a});
  expect_two_pass_equals_one_pass({a, false, true});
  expect_two_pass_equals_one_pass({a, true, false});
  expect_two_pass_equals_one_pass({a, true, true});
  expect_two_pass_equals_one_pass({a, false, true, 1});  // first step
  expect_two_pass_equals_one_pass({a, true, true, 1});
  expect_two_pass_equals_one_pass({a, false, false, 5, 0.5f});
}

TEST_P(ClipStep, NaNGradientPropagatesAndIsCounted) {
  expect_two_pass_equals_one_pass({GetParam(), false, true, 5, 1.0f, true});
}

INSTANTIATE_TEST_SUITE_P(LambLars, ClipStep, ::testing::Values(Algorithm::lamb, Algorithm::lars),
                         [](const ::testing::TestParamInfo<Algorithm>& param_info) {
                           return std::string(bnb::algorithm_name(param_info.param));
                         });

}  // namespace
