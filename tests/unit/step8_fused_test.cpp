// The fused 8-bit step (decode -> update -> absmax -> encode in one pass per block, SPEC.md §5.3)
// is bit-identical to the same step composed from unfused parts: the stand-alone dequantizer and
// quantizer of bnb/quantize.hpp (block-wise) or the block codec with one scale (tensor-wise,
// SPEC.md §6.2), and the shared fp32 per-element update Algo::update in the same order. The
// per-element math is defined by Algo::update (its agreement with SPEC.md §4 is the 32-bit tests'
// job); what this checks is the fusion and codec plumbing: which absmax decodes which element,
// the absmax of the NEW states over real elements only, the maps of each row, the sign
// correction, tails, the update-norm pre-pass of LAMB/LARS (its sum in the documented reduction
// order, step_request.hpp) and parameter storage. Every step of a short run must match exactly:
// codes, absmax and parameters.
#include <string>

#include "step8_harness.hpp"

namespace step8 {
namespace {

constexpr std::size_t kTailN = 256 * 37 + 77;  // a tail block of 77 elements
constexpr int kSteps = 4;

void expect_fused_equals_unfused(const AlgoCase& c, DType d, std::size_t n, bnb::OptimizerOptions options,
                                 bnb::StateFormat format) {
  SCOPED_TRACE(c.name + " " + dtype_label(d) + " n=" + std::to_string(n) + " block=" +
               std::to_string(options.block_size) + (format == bnb::StateFormat::tensorwise8 ? " tensor-wise" : ""));
  Run8 run(c, d, n, options);
  Normal rng(0xf05edu + static_cast<std::uint64_t>(c.algo) * 17u + static_cast<std::uint64_t>(d));
  run.set_param(rng.draw(n, 0.1));
  run.optimizer().initialize_state(0);
  ASSERT_EQ(run.state().format, format);
  for (int step = 1; step <= kSteps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const Snapshot before = snapshot(run);
    const std::vector<float> g = rng.draw(n, 0.01);
    const bnb::StepReport report = run.step(g);
    float scale = 0.0f;
    const Snapshot expected = unfused_step(d, run.config(), run.state(), before, run.grad(), step, &scale);
    expect_identical(snapshot(run), expected, run.state().rows);
    EXPECT_EQ(bnb::kernels::float_bits(report.update_scale), bnb::kernels::float_bits(scale));
    if (c.algo == Algorithm::lamb || c.algo == Algorithm::lars) {
      EXPECT_LT(report.update_scale, 1.0f) << "the clip must be active for the pre-pass to be tested";
    }
    EXPECT_EQ(report.nonfinite_grads, 0u);
  }
}

class Fused : public ::testing::TestWithParam<Algorithm> {};

/// Block-wise with a tail, in every dtype (LAMB through block_wise = true; LARS has no
/// block-wise form).
TEST_P(Fused, BlockwiseWithTailEveryDType) {
  const Algorithm a = GetParam();
  if (a == Algorithm::lars) GTEST_SKIP() << "LARS always keeps one scale per tensor";
  const AlgoCase c = a == Algorithm::lamb ? with_arg(eight_bit_case(a), "block_wise", true) : eight_bit_case(a);
  for (DType d : kDTypes) expect_fused_equals_unfused(c, d, kTailN, {}, bnb::StateFormat::blockwise8);
}

/// A block size other than 256 (OptimizerOptions::block_size, SPEC.md §5.2 "configurable").
TEST_P(Fused, Blockwise1024AndTail) {
  const Algorithm a = GetParam();
  if (a == Algorithm::lars) GTEST_SKIP() << "LARS always keeps one scale per tensor";
  const AlgoCase c = a == Algorithm::lamb ? with_arg(eight_bit_case(a), "block_wise", true) : eight_bit_case(a);
  bnb::OptimizerOptions options;
  options.block_size = 1024;
  expect_fused_equals_unfused(c, DType::f32, kTailN, options, bnb::StateFormat::blockwise8);
  options.block_size = 64;
  expect_fused_equals_unfused(c, DType::bf16, kTailN, options, bnb::StateFormat::blockwise8);
}

/// Weight decay on 16-bit parameters: Adam, AdEMAMix and Lion round the parameter twice per
/// element (the decay's rounding and the update's), the CPU driver leaves the last rounding to
/// the store of its staged parameter (StoredLaterStorage, kernels/cpu/vector_storage.hpp).
TEST_P(Fused, WeightDecaySixteenBit) {
  const Algorithm a = GetParam();
  const bool tensorwise = a == Algorithm::lamb || a == Algorithm::lars;
  const AlgoCase c = with_arg(eight_bit_case(a), "weight_decay", 0.1);
  for (DType d : {DType::f16, DType::bf16}) {
    expect_fused_equals_unfused(c, d, kTailN, {}, tensorwise ? bnb::StateFormat::tensorwise8 : bnb::StateFormat::blockwise8);
  }
}

/// Tensor-wise (one max per tensor, SPEC.md §6.2): LAMB's and LARS' default, block_wise = false
/// for the others.
TEST_P(Fused, TensorwiseEveryDType) {
  const Algorithm a = GetParam();
  const bool is_default = a == Algorithm::lamb || a == Algorithm::lars;
  const AlgoCase c = is_default ? eight_bit_case(a) : with_override(eight_bit_case(a), "block_wise", false);
  for (DType d : kDTypes) expect_fused_equals_unfused(c, d, kTailN, {}, bnb::StateFormat::tensorwise8);
}

/// The same with two threads: the result does not depend on the thread count.
TEST_P(Fused, TwoThreads) {
  const Algorithm a = GetParam();
  bnb::OptimizerOptions options;
  options.threads = 2;
  const bool tensorwise = a == Algorithm::lamb || a == Algorithm::lars;
  expect_fused_equals_unfused(eight_bit_case(a), DType::f16, kTailN, options,
                              tensorwise ? bnb::StateFormat::tensorwise8 : bnb::StateFormat::blockwise8);
}

INSTANTIATE_TEST_SUITE_P(Step8, Fused, ::testing::ValuesIn(kAlgorithms),
                         [](const auto& p) { return std::string(algo_label(p.param)); });

}  // namespace
}  // namespace step8
