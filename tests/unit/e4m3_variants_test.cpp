// Every CPU variant's fp8 (e4m3) encode and decode inside the fused step (kernels/cpu/
// e4m3_simd.hpp: AVX-512 intrinsics, the portable loops elsewhere) give the portable rule's
// codes and values (bnb/kernels/e4m3_codec.hpp, itself checked against docs/fp8.md's rounding
// in step_fp8_test) on a dense set of fp32 inputs: every 509th bit pattern up to 448, every
// midpoint between e4m3 neighbours and its nearest floats, e4m3's subnormal range densely.
// Adam with beta1 = beta2 = 0 makes the states the step's inputs: m = g and v = g * g; each
// 256-element block holds 448, so m's scale is 1 (y = g) and v's is 448. A second step with
// beta1 = beta2 = 1/2 and zero gradients halves the decoded states and halves the scales: the
// codes come back unchanged exactly when every code decoded to its value. Tolerance: none.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/quantize.hpp"

namespace {

namespace k = bnb::kernels;
constexpr std::size_t kBlock = 256;

/// The dense inputs, both signs, |g| <= 448.
std::vector<float> dense_inputs() {
  std::vector<float> in;
  for (std::uint32_t u = 0; u <= 0x43E00000u; u += 509) in.push_back(k::bits_float(u));
  for (unsigned c = 0; c < k::kE4m3MaxCode; ++c) {
    const float below = k::e4m3_value(static_cast<std::uint8_t>(c));
    const float mid = (below + k::e4m3_value(static_cast<std::uint8_t>(c + 1))) / 2;
    const std::uint32_t b = k::float_bits(mid);  // exact: a midpoint has 5 significant bits
    for (std::uint32_t d = 0; d <= 4; ++d) in.insert(in.end(), {k::bits_float(b - d), k::bits_float(b + d)});
  }
  for (std::uint32_t u = 0; u < 0x3C800000u; u += 4093) in.push_back(k::bits_float(u));  // below 2^-6
  for (std::size_t i = 1; i < in.size(); i += 2) in[i] = -in[i];
  return in;
}

/// Gradients: each block's element 0 is 448, the other 255 are inputs; n is not a multiple of 16.
std::vector<float> gradients(const std::vector<float>& in) {
  std::vector<float> g;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (g.size() % kBlock == 0) g.push_back(448.0f);
    g.push_back(in[i]);
  }
  if (g.size() % 16 == 0) g.push_back(448.0f);
  return g;
}

class E4m3VariantTest : public ::testing::TestWithParam<k::CpuVariant> {
 protected:
  void SetUp() override {
    const auto supported = k::supported_variants();
    if (std::find(supported.begin(), supported.end(), GetParam()) == supported.end()) {
      GTEST_SKIP() << "this CPU does not support the " << k::variant_name(GetParam()) << " variant";
    }
  }
};

TEST_P(E4m3VariantTest, StepCodesAreThePortableRuleAndDecodeBack) {
  const std::vector<float> g = gradients(dense_inputs());
  const std::size_t n = g.size();
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<float> param(n, 0.0f);
  std::vector<std::uint8_t> codes[2] = {std::vector<std::uint8_t>(n, 0), std::vector<std::uint8_t>(n, 0)};
  std::vector<float> scale[2] = {std::vector<float>(blocks, 0.0f), std::vector<float>(blocks, 0.0f)};
  bnb::StepRequest r;
  r.algorithm = bnb::Algorithm::adam;
  r.dtype = bnb::DType::f32;
  r.n = n;
  r.param = param.data();
  r.grad = g.data();
  r.state.format = bnb::StateFormat::blockwise_fp8;
  r.state.rows = 2;
  for (int row = 0; row < 2; ++row) {
    r.state.codes[row] = codes[row].data();
    r.state.absmax[row] = scale[row].data();
    r.state.table[row] = &bnb::quant_table(bnb::state_map(bnb::StateFormat::blockwise_fp8, row == 0));
  }
  r.threads = 2;
  bnb::HyperParams h;
  h.beta1 = 0.0;
  h.beta2 = 0.0;
  r.constants = k::base_step_constants(h, 1);
  bnb::StepReport report;
  k::cpu_step(GetParam(), r, report);

  std::size_t mismatches = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    ASSERT_EQ(scale[0][b], 1.0f) << "block " << b;
    ASSERT_EQ(scale[1][b], 448.0f) << "block " << b;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t want_m = k::e4m3_code(g[i], false);
    const std::uint8_t want_v = k::e4m3_code(g[i] * g[i] / 448.0f, true);
    if ((codes[0][i] != want_m || codes[1][i] != want_v) && ++mismatches <= 5) {
      ADD_FAILURE() << "g = " << g[i] << " (bits " << std::hex << k::float_bits(g[i]) << "): codes "
                    << int{codes[0][i]} << ", " << int{codes[1][i]} << ", want " << int{want_m} << ", "
                    << int{want_v} << std::dec;
    }
  }
  ASSERT_EQ(mismatches, 0u);

  const std::vector<std::uint8_t> first[2] = {codes[0], codes[1]};
  const std::vector<float> zero(n, 0.0f);
  r.grad = zero.data();
  h.beta1 = 0.5;
  h.beta2 = 0.5;
  r.constants = k::base_step_constants(h, 2);
  k::cpu_step(GetParam(), r, report);
  for (int row = 0; row < 2; ++row) {
    EXPECT_EQ(scale[row][0], row == 0 ? 0.5f : 224.0f);
    EXPECT_TRUE(codes[row] == first[row]) << "row " << row << ": a code did not decode to its value";
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, E4m3VariantTest, ::testing::ValuesIn(k::kAllCpuVariants),
                         [](const ::testing::TestParamInfo<k::CpuVariant>& param) {
                           return std::string(k::variant_name(param.param));
                         });

}  // namespace
