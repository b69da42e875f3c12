// Edge cases of the 8-bit path (SPEC.md §3, §5, §6.2, §4.9): tails, blocks whose states become
// all zero, non-finite gradient elements, the min_8bit_size boundary, AdEMAMix's two absmax rows,
// skip_zeros, and the exact state memory of SPEC.md §10.
#include <cmath>
#include <limits>
#include <string>

#include "step8_harness.hpp"

namespace step8 {
namespace {

constexpr std::size_t kN = 4096 + 100;  // 17 blocks of 256, the last a tail of 100 elements
constexpr std::size_t kBlock = bnb::kDefaultBlockSize;

std::uint8_t zero_code(Algorithm a, int row) { return bnb::quant_table(row_map(a, row)).zero_code; }

bnb::StateFormat default_format(Algorithm a) {
  return a == Algorithm::lamb || a == Algorithm::lars ? bnb::StateFormat::tensorwise8 : bnb::StateFormat::blockwise8;
}

/// One step checked against the unfused composition (step8_harness.hpp); returns the report.
bnb::StepReport checked_step(Run8& run, const std::vector<float>& g, std::int64_t t) {
  const Snapshot before = snapshot(run);
  const bnb::StepReport report = run.step(g);
  const Snapshot expected = unfused_step(run.dtype(), run.config(), run.state(), before, run.grad(), t);
  expect_identical(snapshot(run), expected, run.state().rows);
  return report;
}

class Edge : public ::testing::TestWithParam<Algorithm> {};

// --- blocks that become all zero -------------------------------------------------------------

/// A block whose gradient is all zero at the first step (states start at 0) has new states all
/// zero: absmax 0 and the zero code everywhere (127 signed, 0 unsigned; SPEC.md §5.3 step 6).
/// Later, a block whose gradients are all non-finite also becomes all zero (its states are 0 by
/// the guard of SPEC.md §3). Both decode to 0 and step on normally afterwards.
TEST_P(Edge, BlockBecomesAllZero) {
  const Algorithm a = GetParam();
  const AlgoCase c = with_override(eight_bit_case(a), "block_wise", true);
  if (a == Algorithm::lars) GTEST_SKIP() << "LARS has no blocks (one scale per tensor)";
  Run8 run(c, DType::f32, kN);
  Normal rng(11);
  run.set_param(rng.draw(kN, 0.1));
  std::vector<float> g = rng.draw(kN, 0.01);
  std::fill(g.begin() + 2 * kBlock, g.begin() + 3 * kBlock, 0.0f);
  checked_step(run, g, 1);
  bnb::ParamState& st = run.state();
  for (int r = 0; r < st.rows; ++r) {
    SCOPED_TRACE("row " + std::to_string(r));
    EXPECT_EQ(st.absmax[r][2], 0.0f);
    EXPECT_GT(st.absmax[r][1], 0.0f);
    const auto* codes = st.row[r].as<std::uint8_t>();
    for (std::size_t i = 2 * kBlock; i < 3 * kBlock; ++i) ASSERT_EQ(codes[i], zero_code(a, r)) << "element " << i;
    const std::vector<float> s = st.dequantized(r);
    for (std::size_t i = 2 * kBlock; i < 3 * kBlock; ++i) ASSERT_EQ(s[i], 0.0f);
  }
  g = rng.draw(kN, 0.01);
  checked_step(run, g, 2);
  EXPECT_GT(st.absmax[0][2], 0.0f) << "the zero block steps on from absmax 0";

  g = rng.draw(kN, 0.01);
  std::fill(g.begin() + 5 * kBlock, g.begin() + 6 * kBlock, std::numeric_limits<float>::quiet_NaN());
  const bnb::StepReport report = checked_step(run, g, 3);
  EXPECT_EQ(report.nonfinite_grads, kBlock);
  for (int r = 0; r < st.rows; ++r) {
    EXPECT_EQ(st.absmax[r][5], 0.0f) << "row " << r;
    const auto* codes = st.row[r].as<std::uint8_t>();
    for (std::size_t i = 5 * kBlock; i < 6 * kBlock; ++i) ASSERT_EQ(codes[i], zero_code(a, r)) << "element " << i;
  }
}

// --- non-finite gradient elements --------------------------------------------------------------

/// SPEC.md §3 (8-bit paths skip a non-finite gradient element). What is asserted, with a NaN in
/// block 1 and +Inf / -Inf in the tail block (block-wise) or anywhere (tensor-wise):
///  - the step counts them (report.nonfinite_grads == 3);
///  - each such element's parameter is bit-identical to before the step and its states are 0
///    (the zero code of each row);
///  - the whole step equals the unfused composition in which those elements' states are forced
///    to 0 and their parameters kept (so the rest of an affected block is quantized with the
///    absmax of the remaining elements: it drops if the skipped element held the maximum);
///  - for algorithms without an update-norm pre-pass, every other parameter is bit-identical to
///    a run where only those three gradients were finite (N(0, 0.01²) draws), and every block
///    without a skipped element has identical codes and absmax. (LAMB/LARS: the skipped
///    elements leave the update norm, so every parameter may move by the clip scale.)
///  - a following finite step leaves every parameter and absmax finite.
TEST_P(Edge, NonFiniteGradientElements) {
  const Algorithm a = GetParam();
  const AlgoCase c = eight_bit_case(a);
  const bool tensorwise = default_format(a) == bnb::StateFormat::tensorwise8;
  for (DType d : {DType::f32, DType::bf16}) {
    SCOPED_TRACE(dtype_label(d));
    Run8 bad(c, d, kN), good(c, d, kN);
    Normal rng(23);
    const std::vector<float> p0 = rng.draw(kN, 0.1);
    bad.set_param(p0);
    good.set_param(p0);
    for (std::int64_t t = 1; t <= 3; ++t) {
      const std::vector<float> g = rng.draw(kN, 0.01);
      bad.step(g);
      good.step(g);
    }
    std::vector<float> g = rng.draw(kN, 0.01);
    good.step(g);
    const std::size_t skipped[] = {300, kN - 50, kN - 1};
    g[skipped[0]] = std::numeric_limits<float>::quiet_NaN();
    g[skipped[1]] = std::numeric_limits<float>::infinity();
    g[skipped[2]] = -std::numeric_limits<float>::infinity();
    const std::vector<float> p_before = bad.param();
    const bnb::StepReport report = checked_step(bad, g, 4);
    EXPECT_EQ(report.nonfinite_grads, 3u);

    const std::vector<float> pb = bad.param(), pg = good.param();
    bnb::ParamState& sb = bad.state();
    bnb::ParamState& sg = good.state();
    for (std::size_t i : skipped) {
      EXPECT_EQ(bnb::kernels::float_bits(pb[i]), bnb::kernels::float_bits(p_before[i])) << "element " << i;
      for (int r = 0; r < sb.rows; ++r) {
        EXPECT_EQ(sb.row[r].as<std::uint8_t>()[i], zero_code(a, r)) << "element " << i << " row " << r;
      }
    }
    if (!bnb::kernels::clips_update_norm(a)) {
      std::size_t differing = 0;
      for (std::size_t i = 0; i < kN; ++i) {
        const bool is_skipped = i == skipped[0] || i == skipped[1] || i == skipped[2];
        if (!is_skipped) differing += bnb::kernels::float_bits(pb[i]) != bnb::kernels::float_bits(pg[i]) ? 1 : 0;
      }
      EXPECT_EQ(differing, 0u) << "parameters of finite elements";
      if (!tensorwise) {
        for (int r = 0; r < sb.rows; ++r) {
          for (std::size_t b = 0; b < bnb::block_count(kN, kBlock); ++b) {
            if (b == 1 || b == kN / kBlock) continue;  // the blocks holding skipped elements
            ASSERT_EQ(sb.absmax[r][b], sg.absmax[r][b]) << "row " << r << " block " << b;
            for (std::size_t i = b * kBlock; i < std::min(kN, (b + 1) * kBlock); ++i) {
              ASSERT_EQ(sb.row[r].as<std::uint8_t>()[i], sg.row[r].as<std::uint8_t>()[i]) << "element " << i;
            }
          }
        }
      }
    }
    checked_step(bad, rng.draw(kN, 0.01), 5);
    for (float v : bad.param()) ASSERT_TRUE(std::isfinite(v));
    for (int r = 0; r < sb.rows; ++r) {
      for (float m : sb.absmax[r]) ASSERT_TRUE(std::isfinite(m));
    }
  }
}

// --- skip_zeros (SPEC.md §4.9) on the 8-bit path -----------------------------------------------

/// With skip_zeros, an element with an exactly zero gradient keeps its parameter bit for bit and
/// its state value (re-quantized with its block's new absmax, so equal up to one quantization
/// step); everything matches the unfused composition. AdEMAMix does not honour skip_zeros
/// (SPEC.md §4.9): its zero-gradient elements still move.
void check_skip_zeros(const AlgoCase& c) {
  const Algorithm a = c.algo;
  Run8 run(with_arg(c, "skip_zeros", true), DType::f32, kN);
  Normal rng(31);
  run.set_param(rng.draw(kN, 0.1));
  for (std::int64_t t = 1; t <= 2; ++t) checked_step(run, rng.draw(kN, 0.01), t);
  std::vector<float> g = rng.draw(kN, 0.01);
  std::fill(g.begin() + kBlock, g.begin() + 2 * kBlock, 0.0f);  // a whole block
  for (std::size_t i = 3 * kBlock; i < 4 * kBlock; i += 7) g[i] = 0.0f;  // scattered elements
  const std::vector<float> p_before = run.param();
  std::vector<std::vector<float>> s_before;
  for (int r = 0; r < run.state().rows; ++r) s_before.push_back(run.state().dequantized(r));
  checked_step(run, g, 3);
  const std::vector<float> p = run.param();
  std::size_t moved = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    if (g[i] == 0.0f) moved += p[i] != p_before[i] ? 1 : 0;
  }
  if (a == Algorithm::ademamix) {
    EXPECT_GT(moved, 0u) << "AdEMAMix ignores skip_zeros";
    return;
  }
  EXPECT_EQ(moved, 0u) << "zero-gradient parameters must not move";
  for (int r = 0; r < run.state().rows; ++r) {
    const std::vector<float> s = run.state().dequantized(r);
    const bool blockwise = run.state().format == bnb::StateFormat::blockwise8;
    for (std::size_t i = 0; i < kN; ++i) {
      if (g[i] != 0.0f) continue;
      // One quantization step of the signed/unsigned maps is at most ~1/64 of the scale near 1.
      const float scale = blockwise ? run.state().absmax[r][i / kBlock] : run.state().absmax[r][0];
      ASSERT_NEAR(s[i], s_before[r][i], scale / 32) << "row " << r << " element " << i;
    }
  }
  // A step whose gradients are all zero keeps every state: against the unfused composition, a
  // tensor-wise pre-pass that decayed the skipped states would get the new scale wrong.
  checked_step(run, std::vector<float>(kN, 0.0f), 4);
}

TEST_P(Edge, SkipZeros) { check_skip_zeros(eight_bit_case(GetParam())); }

/// The other format too: a tensor-wise step's pre-pass computes the new states alone
/// (update_states), and a zero-gradient element must keep its state there as well, or the
/// tensor's new scale (checked against the unfused composition) comes out wrong.
TEST_P(Edge, SkipZerosOtherFormat) {
  const Algorithm a = GetParam();
  if (a == Algorithm::lars) GTEST_SKIP() << "LARS always keeps one scale per tensor";
  check_skip_zeros(with_override(eight_bit_case(a), "block_wise", default_format(a) != bnb::StateFormat::blockwise8));
}

/// A tensor-wise step's new scale is the largest new state wherever it lies: its pre-pass takes
/// whole 64-element groups one way and the rest another (register_maxima.hpp; LAMB's and LARS's
/// term loop 8 elements at a time, the rest of a chunk apart), so one large gradient at each end
/// of those splits (first element, last of the last whole group, first of the tail, last), either
/// sign, against the unfused composition.
TEST_P(Edge, TensorScaleFromAnyElement) {
  const Algorithm a = GetParam();
  const AlgoCase c = with_override(eight_bit_case(a), "block_wise", false);
  constexpr std::size_t kWhole = kN / 64 * 64;
  for (const std::size_t at : {std::size_t{0}, kWhole - 1, kWhole, kN - 1}) {
    for (const float spike : {3.0f, -3.0f}) {
      SCOPED_TRACE("gradient " + std::to_string(spike) + " at element " + std::to_string(at));
      Run8 run(c, DType::f32, kN);
      Normal rng(17);
      run.set_param(rng.draw(kN, 0.1));
      checked_step(run, rng.draw(kN, 0.01), 1);  // states not zero before the spike's step
      std::vector<float> g = rng.draw(kN, 0.01);
      g[at] = spike;
      checked_step(run, g, 2);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Step8, Edge, ::testing::ValuesIn(kAlgorithms),
                         [](const auto& p) { return std::string(algo_label(p.param)); });

// --- which tensors are 8-bit (SPEC.md §5.4) ----------------------------------------------------

TEST(Step8Format, MinSizeBoundary) {
  const AlgoCase adam = eight_bit_case(Algorithm::adam);
  {
    Run8 run(adam, DType::f32, 4095);
    run.step(std::vector<float>(4095, 0.01f));
    EXPECT_EQ(run.state().format, bnb::StateFormat::fp32);
    EXPECT_EQ(run.state().row[0].size(), 4095 * sizeof(float));
    EXPECT_EQ(run.optimizer().memory().state_bytes, 2 * 4095 * sizeof(float));
  }
  {
    Run8 run(adam, DType::f32, 4096);
    run.step(std::vector<float>(4096, 0.01f));
    EXPECT_EQ(run.state().format, bnb::StateFormat::blockwise8);
    EXPECT_EQ(run.state().row[0].size(), 4096u);
    EXPECT_EQ(run.state().absmax[0].size(), 16u);
  }
  {  // the effective (argument or override) min_8bit_size decides
    Run8 run(with_arg(adam, "min_8bit_size", 8192.0), DType::f32, 4096);
    run.step(std::vector<float>(4096, 0.01f));
    EXPECT_EQ(run.state().format, bnb::StateFormat::fp32);
  }
  {
    Run8 run(with_override(adam, "optim_bits", 32.0), DType::f32, 8192);
    run.step(std::vector<float>(8192, 0.01f));
    EXPECT_EQ(run.state().format, bnb::StateFormat::fp32);
  }
}

// --- AdEMAMix keeps separate absmax rows for m1 and m2 (SPEC.md §5.2) ---------------------------

/// After one step from zero state, m1 = (1-β1)·g and m2 = (1-β3)·g: the same pattern at scales
/// 1000 apart. With its own absmax, m2 is quantized as finely as m1 (relative to its scale); a
/// shared absmax would flush it to zero.
TEST(Step8AdEMAMix, TwoAbsmaxRows) {
  Run8 run(eight_bit_case(Algorithm::ademamix), DType::f32, kN);
  Normal rng(41);
  run.set_param(rng.draw(kN, 0.1));
  const std::vector<float> g = rng.draw(kN, 0.01);
  run.step(g);
  bnb::ParamState& st = run.state();
  ASSERT_EQ(st.rows, 3);
  const auto blocks = bnb::block_count(kN, kBlock);
  ASSERT_EQ(st.absmax[0].size(), blocks);
  ASSERT_EQ(st.absmax[1].size(), blocks);
  const float b1 = 0.1f, b3 = static_cast<float>(1.0 - 0.9999);
  for (std::size_t b = 0; b < blocks; ++b) {
    EXPECT_NEAR(st.absmax[1][b] / st.absmax[0][b], b3 / b1, 1e-5f * (b3 / b1)) << "block " << b;
  }
  const std::vector<float> m1 = st.dequantized(0), m2 = st.dequantized(1);
  for (std::size_t i = 0; i < kN; ++i) {
    // Within one quantization step (≤ 1/64 of the block's absmax near the top of the map).
    ASSERT_NEAR(m2[i], b3 * g[i], st.absmax[1][i / kBlock] / 64) << "element " << i;
    ASSERT_NEAR(m1[i], b1 * g[i], st.absmax[0][i / kBlock] / 64) << "element " << i;
  }
  const bnb::MemoryReport m = run.optimizer().memory();
  bool found = false;
  for (const auto& buf : m.buffers) {
    if (buf.name == "w/absmax1") {
      found = true;
      EXPECT_EQ(buf.bytes, 2 * 4 * blocks) << "state1 holds two absmax rows";
    }
  }
  EXPECT_TRUE(found);
}

// --- memory (SPEC.md §10) ---------------------------------------------------------------------

TEST(Step8Memory, AdamOneMillionParameters) {
  constexpr std::size_t n = 1000000;
  bnb::Optimizer opt("Adam8bit", {}, {{"w", DType::f32, n}});
  opt.initialize_state(0);
  const std::size_t blocks = (n + 255) / 256;  // 3907
  EXPECT_EQ(opt.memory().state_bytes, 2 * n + 2 * 4 * blocks);
}

TEST(Step8Memory, ExactBytesPerParameter) {
  constexpr std::size_t n = 1u << 20;
  bnb::Optimizer adam("Adam8bit", {}, {{"w", DType::f32, n}});
  adam.initialize_state(0);
  EXPECT_EQ(adam.memory().state_bytes_per_param(), 2.0 + 2.0 * 4.0 / 256.0);  // 2.03125
  const bnb::ArgMap sgd_args{{"lr", 0.01}, {"momentum", 0.9}};
  bnb::Optimizer sgd("SGD8bit", sgd_args, {{"w", DType::f32, n}});
  sgd.initialize_state(0);
  EXPECT_EQ(sgd.memory().state_bytes_per_param(), 1.0 + 4.0 / 256.0);  // 1.015625
  bnb::Optimizer lion("Lion8bit", {}, {{"w", DType::bf16, n}});
  lion.initialize_state(0);
  EXPECT_EQ(lion.memory().state_bytes_per_param(), 1.015625);
  // Tensor-wise: one fp32 max per state row.
  bnb::Optimizer lamb("LAMB8bit", {}, {{"w", DType::f32, n}});
  lamb.initialize_state(0);
  EXPECT_EQ(lamb.memory().state_bytes, 2 * n + 2 * 4);
}

}  // namespace
}  // namespace step8
