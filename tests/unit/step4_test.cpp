// The 4-bit block-wise state format (docs/four_bit.md): the fused CPU step of AdamW4bit against
// an unfused composition (decode by the documented layout, the shared per-element update,
// nearest-code encode by QuantTable's search), bit for bit; and its accuracy against the fp64
// reference on a gradient stream whose per-row scales span decades.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bnb/kernels/qmap4_bits.hpp"
#include "row_scaled_stream.hpp"
#include "step8_harness.hpp"

namespace {

using step8::Normal;
using step8::Run8;

constexpr std::size_t kCols = 256;
constexpr std::size_t kRows = 24;  // 6144 elements: above min_8bit_size, 96 blocks of 64
constexpr std::size_t kBlock = 64;

/// Codes and absmax of every row, read through the documented layout: element 2i in the low
/// nibble of byte i, one bf16 absmax per 64 elements (the scale array read as bf16 values).
struct Packed {
  std::vector<float> param;
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<std::vector<float>> absmax;
};

Packed packed_snapshot(Run8& run) {
  run.optimizer().initialize_state(0);
  bnb::ParamState& st = run.state();
  Packed p;
  p.param = run.param();
  for (int r = 0; r < st.rows; ++r) {
    const auto* b = st.row[r].as<std::uint8_t>();
    p.bytes.emplace_back(b, b + (st.numel + 1) / 2);
    const auto* scale_bytes = reinterpret_cast<const std::uint8_t*>(st.absmax[r].data());
    std::vector<float> scales(bnb::block_count(st.numel, kBlock));
    for (std::size_t j = 0; j < scales.size(); ++j) {
      const std::uint32_t bf16 = scale_bytes[2 * j] | scale_bytes[2 * j + 1] << 8;  // little-endian
      scales[j] = std::bit_cast<float>(bf16 << 16);
    }
    p.absmax.push_back(scales);
  }
  return p;
}

/// The smallest bf16 value >= x >= 0: x truncated to bf16, or the next bf16 up when that lost bits.
float bf16_at_least(float x) {
  const float truncated = std::bit_cast<float>(std::bit_cast<std::uint32_t>(x) & 0xffff0000u);
  return truncated == x ? x : std::bit_cast<float>(std::bit_cast<std::uint32_t>(truncated) + 0x10000u);
}

/// One AdamW step composed from unfused parts (fp32 parameters, finite gradients).
Packed unfused_step(const bnb::EffectiveConfig& cfg, const Packed& before, const std::vector<float>& grad,
                    std::int64_t t) {
  const std::size_t n = grad.size();
  const bnb::kernels::QuantTable* tables[2] = {&bnb::quant_table(bnb::QuantMap::signed_normal4),
                                               &bnb::quant_table(bnb::QuantMap::unsigned_linear4)};
  std::vector<float> s[2];
  for (int r = 0; r < 2; ++r) {
    s[r].resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t byte = before.bytes[r][i / 2];
      const int code = i % 2 == 0 ? byte & 15 : byte >> 4;
      s[r][i] = tables[r]->values[code] * before.absmax[r][i / kBlock];
    }
  }
  Packed after = before;
  const bnb::StepConstants c = bnb::kernels::Adam::prepare(cfg.hyper, t);
  for (std::size_t i = 0; i < n; ++i) {
    float v[2] = {s[0][i], s[1][i]};
    bnb::kernels::Adam::update<bnb::kernels::Storage<float>>(c, grad[i], after.param[i], v, 1.0f);
    s[0][i] = v[0];
    s[1][i] = v[1];
  }
  for (int r = 0; r < 2; ++r) {
    std::fill(after.bytes[r].begin(), after.bytes[r].end(), 0);
    for (std::size_t b = 0; b * kBlock < n; ++b) {
      float m = 0.0f;
      for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) m = std::max(m, std::fabs(s[r][i]));
      m = bf16_at_least(m);
      after.absmax[r][b] = m;
      for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
        const int code = m == 0.0f ? tables[r]->zero_code : bnb::kernels::encode_value(*tables[r], s[r][i] / m);
        after.bytes[r][i / 2] = static_cast<std::uint8_t>(after.bytes[r][i / 2] | code << (i % 2 == 0 ? 0 : 4));
      }
    }
  }
  return after;
}

TEST(Step4, FusedStepMatchesUnfusedComposition) {
  Run8 run({bnb::Algorithm::adam, "AdamW4bit", {}, {}}, bnb::DType::f32, kRows * kCols + 77);  // a tail block
  ASSERT_EQ(run.config().optim_bits, 4);
  Normal normal(11);
  run.set_param(normal.draw(run.size(), 0.1));
  Packed state = packed_snapshot(run);
  ASSERT_EQ(run.state().format, bnb::StateFormat::blockwise4);
  ASSERT_EQ(run.state().absmax[0].size(), (bnb::block_count(run.size(), kBlock) + 1) / 2);  // two bf16 per slot
  for (std::int64_t t = 1; t <= 5; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    const std::vector<float> g = normal.draw(run.size(), 0.01 * static_cast<double>(t));
    run.step(g);
    const Packed want = unfused_step(run.config(), state, run.grad(), t);
    state = packed_snapshot(run);
    EXPECT_EQ(step8::bit_mismatches(state.param, want.param), 0u);
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(state.bytes[r], want.bytes[r]) << "row " << r;
      EXPECT_EQ(step8::bit_mismatches(state.absmax[r], want.absmax[r]), 0u) << "row " << r;
    }
  }
}

TEST(Step4, AccuracyAgainstTheReferenceOnRowScaledGradients) {
  // docs/four_bit.md: 60 steps, row scales over 4 decades. Measured rel_travel: 4-bit 0.1166
  // (0.1215 with fp32 scales per 128 elements), 8-bit 0.0141 (x86-64, this trace). The bound
  // leaves 1.29x margin over the 4-bit value (the trajectory is deterministic; the margin covers
  // compilers and libm) and stays under torchao's format on such a trace (0.19,
  // scripts/four_bit_emulation.py): a map or codec bug that costs a third more error fails it.
  constexpr double kFourBitRelTravelBound = 0.15;
  const double four = step8::rel_travel("AdamW4bit", 60, kRows, kCols);
  const double eight = step8::rel_travel("AdamW8bit", 60, kRows, kCols);
  RecordProperty("rel_travel_4bit", std::to_string(four));
  RecordProperty("rel_travel_8bit", std::to_string(eight));
  EXPECT_LE(four, kFourBitRelTravelBound);
  EXPECT_LT(eight, four);  // the narrower format is the less accurate one
}

TEST(Step4, MapDataFilesMatchTheCode) {
  // docs/maps/*.txt are the format's definition for readers; the code's bit patterns must agree.
  const std::pair<const char*, const std::array<std::uint32_t, 16>*> maps[] = {
      {"normal4", &bnb::kernels::kNormal4MapBits}, {"linear4", &bnb::kernels::kLinear4MapBits}};
  for (const auto& [name, bits] : maps) {
    std::string path = BNB_TEST_DATA_DIR;  // appended in place: see qmap_test.cpp's read_hex_map
    path.append("/../../docs/maps/").append(name).append(".txt");
    std::ifstream in(path);
    ASSERT_TRUE(in) << name;
    std::string line;
    int code = 0;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      int index = -1;
      std::string hex;
      fields >> index >> hex;
      ASSERT_LT(code, 16) << name;
      EXPECT_EQ(index, code) << name;
      EXPECT_EQ(std::stoul(hex, nullptr, 16), (*bits)[static_cast<std::size_t>(code)]) << name << " code " << code;
      ++code;
    }
    EXPECT_EQ(code, 16) << name;
  }
}

}  // namespace
