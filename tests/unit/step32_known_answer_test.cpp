// Known answers: one or two steps of every algorithm on two elements, with expected values
// derived by hand from SPEC.md §4 (arithmetic done in 40-digit decimal; derivations in the
// comments). Both the product's 32-bit CPU path and the fp64 reference must reproduce them.
//
// Common inputs: p0 = [1, -2], g1 = [0.5, -0.25], g2 = [-0.25, 0.5] (unless stated).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "step32_harness.hpp"

namespace {

using bnb::Algorithm;
using step32::Config;

// The product computes in fp32: values near 1..2 carry a few ulps (1.2e-7..2.4e-7 each) of
// rounding; SPEC.md §10's fp32 atol. The reference is double: 1e-12 allows the ~1e-16 rounding
// of a handful of operations, and nothing else.
constexpr double kProductAtol = 1e-6;
constexpr double kReferenceAtol = 1e-12;

const std::vector<float> kP0 = {1.0f, -2.0f};
const std::vector<float> kG1 = {0.5f, -0.25f};
const std::vector<float> kG2 = {-0.25f, 0.5f};

struct Expected {
  std::vector<double> p;
  std::vector<std::vector<double>> states = {};  // empty: not checked
};

/// Runs the steps on both sides and checks the parameter (and states) after each step.
/// Returns the last step's reports for extra checks.
struct Outcome {
  bnb::StepReport product;
  double ref_unorm = 0, ref_pnorm = 0, ref_scale = 1;
};
Outcome run(Algorithm a, const Config& c, const std::vector<std::vector<float>>& grads,
            const std::vector<Expected>& expected) {
  step32::Product32 product(a, bnb::DType::f32, kP0.size());
  bnb_ref::RefOptimizer ref(step32::ref_algo(a), c.ref(), kP0.size());
  product.set_param(kP0);
  ref.set_param(kP0);
  Outcome out;
  for (std::size_t s = 0; s < grads.size(); ++s) {
    SCOPED_TRACE("step " + std::to_string(s + 1));
    product.set_grad(grads[s]);
    out.product = product.step(c);
    ref.step(grads[s]);
    const std::vector<float>& p = product.param();
    for (std::size_t i = 0; i < p.size(); ++i) {
      EXPECT_NEAR(p[i], expected[s].p[i], kProductAtol) << "product p[" << i << "]";
      EXPECT_NEAR(ref.param()[i], expected[s].p[i], kReferenceAtol) << "reference p[" << i << "]";
    }
    for (std::size_t r = 0; r < expected[s].states.size(); ++r) {
      // States are small (1e-6..0.5) and may be the difference of larger terms (ademamix m2 at
      // t=2 cancels to 1.4e-6 from terms of 2.5e-4): tolerances relative to the row's largest
      // magnitude, 1e-6 for fp32 arithmetic and 1e-12 for double.
      double largest = 0;
      for (double v : expected[s].states[r]) largest = std::max(largest, std::fabs(v));
      for (std::size_t i = 0; i < p.size(); ++i) {
        const double want = expected[s].states[r][i];
        EXPECT_NEAR(product.state(static_cast<int>(r))[i], want, 1e-6 * largest)
            << "product state " << r << "[" << i << "]";
        EXPECT_NEAR(ref.state(static_cast<int>(r))[i], want, 1e-12 * largest)
            << "reference state " << r << "[" << i << "]";
      }
    }
  }
  out.ref_unorm = ref.last_unorm();
  out.ref_pnorm = ref.last_pnorm();
  out.ref_scale = ref.last_update_scale();
  return out;
}

Config adam_config(double wd) {
  Config c;
  c.hyper.lr = 0.01;
  c.hyper.beta1 = 0.9;
  c.hyper.beta2 = 0.999;
  c.hyper.eps = 1e-8;
  c.hyper.weight_decay = wd;
  return c;
}

TEST(KnownAnswer, Adam) {
  // t=1, m=v=0: m = 0.1·g, v = 0.001·g², c1 = 0.1, c2 = sqrt(0.001).
  //   step = (lr·c2/c1)·m/(sqrt(v)+eps·c2) = lr·(m/c1)/(sqrt(v)/c2 + eps) = lr·g/(|g| + 1e-8)
  //   p0: 1 − 0.01·0.5/0.50000001  = 0.9900000002
  //   p1: −2 + 0.01·0.25/0.25000001 = −1.9900000004
  // t=2, g = [−0.25, 0.5]: c1 = 0.19, c2² = 1 − 0.998001 = 0.001999
  //   m0 = 0.045 − 0.025 = 0.02,   v0 = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
  //   m1 = −0.0225 + 0.05 = 0.0275, v1 = 0.999·0.0000625 + 0.001·0.25 = 0.0003124375
  //   p0 −= 0.01·(0.02/0.19)/(sqrt(0.00031225/0.001999) + 1e-8)   → 0.98733662987078
  //   p1 −= 0.01·(0.0275/0.19)/(sqrt(0.0003124375/0.001999) + 1e-8) → −1.99366103557775
  run(Algorithm::adam, adam_config(0), {kG1, kG2},
      {{{0.9900000002, -1.9900000004}, {{0.05, -0.025}, {0.00025, 0.0000625}}},
       {{0.98733662987078462, -1.9936610355777547}, {{0.02, 0.0275}, {0.00031225, 0.0003124375}}}});
}

TEST(KnownAnswer, AdamWeightDecayIsDecoupledAfterTheStep) {
  // The t=1 step above, then p ← p·(1 − lr·wd) = p·0.999:
  //   0.9900000002·0.999 = 0.9890100001998,  −1.9900000004·0.999 = −1.9880100003996
  // (decay BEFORE the step would give 0.999 − 0.0099999998 = 0.9890000002: differs by 1e-5).
  run(Algorithm::adam, adam_config(0.1), {kG1}, {{{0.9890100001998, -1.9880100003996}}});
}

TEST(KnownAnswer, AdEMAMix) {
  // lr 0.01, β = (0.9, 0.999, 0.9999), α = 5, eps 1e-8, no scheduler.
  // t=1: m1 = 0.1g, m2 = 0.0001g, nu = 0.001g², c1 = 0.1, c2 = sqrt(0.001):
  //   step = lr·(g + 5·0.0001·g)/(|g| + 1e-8) = 0.01·1.0005·g/(|g| + 1e-8)
  //   p0 = 1 − 0.010005·0.5/0.50000001 = 0.9899950002001; p1 = −1.9899950004002
  // t=2 (g2): m1 as adam's m, m2 = 0.9999·m2 + 0.0001·g: [2.4995e-5, 2.50025e-5],
  //   p −= lr·(m1/0.19 + 5·m2)/(sqrt(nu/0.001999) + 1e-8) → [0.98732846775117, −1.99365919769724]
  Config c = adam_config(0);
  c.hyper.beta3 = 0.9999;
  c.hyper.alpha = 5;
  run(Algorithm::ademamix, c, {kG1, kG2},
      {{{0.9899950002001, -1.9899950004002}, {{0.05, -0.025}, {0.00005, -0.000025}, {0.00025, 0.0000625}}},
       {{0.98732846775116913, -1.9936591976972430}, {{0.02, 0.0275}, {0.000024995, 0.0000250025}, {0.00031225, 0.0003124375}}}});
}

TEST(KnownAnswer, AdEMAMixSchedulersAtTheFirstSteps) {
  // t_alpha = t_beta3 = 10. t=1: α_1 = min(1·5/10, 5) = 0.5;
  //   β3_1 = exp(ln0.9·ln0.9999/(0.9·ln0.9999 + 0.1·ln0.9)) = 0.99900891204252 (< 0.9999)
  //   m2 = (1 − β3_1)·g = [4.9554397874011e-4, −2.4777198937006e-4]
  //   p0 = 1 − 0.01·(0.5/0.1·0.1 + 0.5·m2_0)/(0.5 + 1e-8) = 0.98999504476031; p1 = −1.98999504496041
  // t=2: α_2 = 1, β3_2 = exp(ln0.9·ln0.9999/(0.8·ln0.9999 + 0.2·ln0.9)) = 0.99950199030003
  //   m2 = β3_2·m2 + (1 − β3_2)·g2 = [3.7079476803849e-4, 1.35625347092104e-6]
  //   p → [0.98732229257515, −1.99365611444382]
  Config c = adam_config(0);
  c.hyper.t_alpha = 10;
  c.hyper.t_beta3 = 10;
  run(Algorithm::ademamix, c, {kG1, kG2},
      {{{0.98999504476031170, -1.9899950449604108}, {{0.05, -0.025}, {0.00049554397874011028, -0.0002477719893700551}}},
       {{0.98732229257515381, -1.9936561144438170}, {{0.02, 0.0275}, {0.00037079476803849006, 0.00000135625347092104}}}});
}

TEST(KnownAnswer, MomentumWithL2Decay) {
  // lr 0.1, momentum 0.9, wd 0.01. t=1: d = g + 0.01·p = [0.51, −0.27]; m = d (seeded);
  //   p = [1 − 0.051, −2 + 0.027] = [0.949, −1.973]
  // t=2: d = [−0.25 + 0.00949, 0.5 − 0.01973] = [−0.24051, 0.48027];
  //   m = 0.9·m + d = [0.459 − 0.24051, −0.243 + 0.48027] = [0.21849, 0.23727]
  //   p = [0.949 − 0.021849, −1.973 − 0.023727] = [0.927151, −1.996727]
  Config c;
  c.hyper.lr = 0.1;
  c.hyper.beta1 = 0.9;
  c.hyper.eps = 0;
  c.hyper.weight_decay = 0.01;
  run(Algorithm::momentum, c, {kG1, kG2},
      {{{0.949, -1.973}, {{0.51, -0.27}}}, {{0.927151, -1.996727}, {{0.21849, 0.23727}}}});
}

TEST(KnownAnswer, RMSprop) {
  // lr 0.01, alpha 0.9, eps 1e-8. t=1: v = 0.1·g² = [0.025, 0.00625];
  //   p −= 0.01·g/(sqrt(0.1)·|g| + 1e-8) ≈ 0.01·sqrt(10)·sign(g) → [0.96837722539832, −1.96837722739832]
  // t=2: v = 0.9·v + 0.1·g2² = [0.0225 + 0.00625, 0.005625 + 0.025] = [0.02875, 0.030625]
  //   p0 += 0.01·0.25/(sqrt(0.02875) + 1e-8) → 0.98312142014424
  //   p1 −= 0.01·0.5/(sqrt(0.030625) + 1e-8) → −1.99694865433709
  Config c;
  c.hyper.lr = 0.01;
  c.hyper.beta1 = 0.9;
  c.hyper.eps = 1e-8;
  run(Algorithm::rmsprop, c, {kG1, kG2},
      {{{0.96837722539831608, -1.9683772273983157}, {{0.025, 0.00625}}},
       {{0.98312142014424063, -1.9969486543370913}, {{0.02875, 0.030625}}}});
}

TEST(KnownAnswer, Adagrad) {
  // lr 0.1, eps 1e-10. t=1: a = g²; p −= 0.1·g/(|g| + 1e-10) → [0.90000000002, −1.90000000004]
  // t=2: a = [0.25 + 0.0625, 0.0625 + 0.25] = [0.3125, 0.3125]
  //   p0 += 0.1·0.25/(sqrt(0.3125) + 1e-10) = +0.0447213595 → 0.94472135956200
  //   p1 −= 0.1·0.5/(sqrt(0.3125) + 1e-10)  = −0.0894427191 → −1.98944271912399
  Config c;
  c.hyper.lr = 0.1;
  c.hyper.eps = 1e-10;
  run(Algorithm::adagrad, c, {kG1, kG2},
      {{{0.90000000002, -1.90000000004}, {{0.25, 0.0625}}},
       {{0.94472135956199579, -1.9894427191239916}, {{0.3125, 0.3125}}}});
}

TEST(KnownAnswer, LionDecaysFirstThenSignThenMomentum) {
  // lr 0.01, β1 0.9, β2 0.99, wd 0.1 (decay factor 1 − 0.001).
  // t=1: p·0.999 = [0.999, −1.998]; u = sign(0.1·g) = [+1, −1]; p = [0.989, −1.988];
  //   m = 0.01·g = [0.005, −0.0025]
  // t=2, g = [−0.0390625 (= −5/128, exact in fp32), 0.5]: p·0.999 = [0.988011, −1.986012];
  //   u0 = sign(0.9·0.005 − 0.1·0.0390625) = sign(0.00059375) = +1 (momentum wins over g's sign)
  //   u1 = sign(−0.00225 + 0.05) = +1;  p = [0.978011, −1.996012]
  //   m = 0.99·m + 0.01·g = [0.00495 − 0.000390625, −0.002475 + 0.005] = [0.004559375, 0.002525]
  Config c;
  c.hyper.lr = 0.01;
  c.hyper.beta1 = 0.9;
  c.hyper.beta2 = 0.99;
  c.hyper.eps = 0;
  c.hyper.weight_decay = 0.1;
  run(Algorithm::lion, c, {kG1, {-0.0390625f, 0.5f}},
      {{{0.989, -1.988}, {{0.005, -0.0025}}}, {{0.978011, -1.996012}, {{0.004559375, 0.002525}}}});
}

TEST(KnownAnswer, LambClipsTheUpdateNorm) {
  // Adam t=1 (lr 0.01) with max_unorm 0.5. P = ||[1, −2]|| = sqrt(5) = 2.2360679775;
  //   r_i = m̂/(sqrt(v̂) + eps) = g/(|g| + 1e-8): U = sqrt((0.5/0.50000001)² + (0.25/0.25000001)²)
  //   = 1.41421351994669; limit = 0.5·sqrt(5) = 1.11803398874989 < U
  //   s = limit/U = 0.79056943875918; p = p0 − s·(adam step) → [0.99209430577052, −1.99209430592864]
  Config c = adam_config(0);
  c.hyper.max_unorm = 0.5;
  const Outcome o = run(Algorithm::lamb, c, {kG1}, {{{0.99209430577052211, -1.9920943059286360}}});
  EXPECT_NEAR(o.product.unorm, 1.41421351994669, 1e-6);
  EXPECT_NEAR(o.product.pnorm, 2.23606797749979, 1e-6);
  EXPECT_NEAR(o.product.update_scale, 0.79056943875918, 1e-6);
  EXPECT_NEAR(o.ref_unorm, 1.41421351994669, 1e-12);
  EXPECT_NEAR(o.ref_scale, 0.79056943875918, 1e-12);
}

TEST(KnownAnswer, LambWithoutClipping) {
  // max_unorm 1.0: limit = sqrt(5) = 2.236 > U = 1.414, s = 1: plain adam t=1.
  Config c = adam_config(0);
  c.hyper.max_unorm = 1.0;
  const Outcome o = run(Algorithm::lamb, c, {kG1}, {{{0.9900000002, -1.9900000004}}});
  EXPECT_FLOAT_EQ(o.product.update_scale, 1.0f);
  EXPECT_NEAR(o.product.unorm, 1.41421351994669, 1e-6);
}

TEST(KnownAnswer, LarsClipsWithUFromTheGradientWithoutDecay) {
  // lr 0.1, momentum 0.9, max_unorm 0.02, eps 0, wd 0.01. t=1: U = ||m_new without wd|| = ||g||
  //   = sqrt(0.25 + 0.0625) = sqrt(0.3125); limit = 0.02·sqrt(5);
  //   s = 0.02·sqrt(5/0.3125) = 0.02·4 = 0.08 exactly.
  //   d = g + 0.01·p = [0.51, −0.27]; p −= 0.1·0.08·d → [1 − 0.00408, −2 + 0.00216] = [0.99592, −1.99784]
  //   (U from d instead would be ||[0.51, −0.27]|| = 0.577, s = 0.0775: p0 = 0.99605)
  Config c;
  c.hyper.lr = 0.1;
  c.hyper.beta1 = 0.9;
  c.hyper.eps = 0;
  c.hyper.weight_decay = 0.01;
  c.hyper.max_unorm = 0.02;
  const Outcome o = run(Algorithm::lars, c, {kG1}, {{{0.99592, -1.99784}, {{0.51, -0.27}}}});
  EXPECT_NEAR(o.product.unorm, 0.55901699437495, 1e-6);
  EXPECT_NEAR(o.product.update_scale, 0.08, 1e-7);
  EXPECT_NEAR(o.ref_scale, 0.08, 1e-15);
}

}  // namespace
