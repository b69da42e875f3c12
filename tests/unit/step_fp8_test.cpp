// The fp8 block-wise state format (docs/fp8.md): the e4m3 code of floats across the range
// against the reference rounding (lib/reference, arithmetic on the e4m3 grid), every code's value, the special cases; the fused CPU step of
// AdamWFp8 against an unfused composition (decode by the documented layout, the shared
// per-element update, encode by the documented rule), bit for bit; and its accuracy against
// the fp64 reference on row-scaled gradient streams.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb_ref/e4m3_rounding.hpp"
#include "row_scaled_stream.hpp"
#include "step8_harness.hpp"

namespace {

namespace k = bnb::kernels;
using step8::Normal;
using step8::Run8;

/// docs/fp8.md's value of a code, from its fields in double.
double documented_value(unsigned code) {
  const unsigned exponent = (code >> 3) & 15u;
  const unsigned mantissa = code & 7u;
  const double magnitude = exponent == 0 ? mantissa * std::ldexp(1.0, -9)
                                         : (1.0 + mantissa / 8.0) * std::ldexp(1.0, static_cast<int>(exponent) - 7);
  return (code & 0x80u) != 0 ? -magnitude : magnitude;
}

/// The code docs/fp8.md gives y: the code whose value is the reference rounding of y (the
/// sign bit only on nonzero values).
unsigned expected_code(float y, bool keep_positive) {
  const double want = bnb_ref::round_to_e4m3(static_cast<double>(y), keep_positive);
  for (unsigned c = 0; c < 256; ++c) {
    if ((c & 0x7Fu) != 0x7Fu && c != 0x80u && documented_value(c) == want) return c;
  }
  ADD_FAILURE() << "the reference rounding of " << y << " is no e4m3 value: " << want;
  return 0;
}

TEST(E4m3, EveryCodeDecodesToItsDocumentedValueAndEncodesBack) {
  for (unsigned c = 0; c < 256; ++c) {
    SCOPED_TRACE("code " + std::to_string(c));
    const float v = k::e4m3_value(static_cast<std::uint8_t>(c));
    if ((c & 0x7Fu) == 0x7Fu) {
      EXPECT_TRUE(std::isnan(v)) << "0x7F and 0xFF are NaN (no infinities)";
      continue;
    }
    EXPECT_EQ(static_cast<double>(v), documented_value(c));
    if (c == 0x80) continue;  // -0 encodes as code 0
    EXPECT_EQ(k::e4m3_code(v, false), c);
  }
  EXPECT_EQ(k::e4m3_value(0x7E), 448.0f);
  EXPECT_EQ(k::e4m3_value(0x38), 1.0f);
  EXPECT_EQ(k::e4m3_value(0x08), 0x1p-6f);
  EXPECT_EQ(k::e4m3_value(0x01), 0x1p-9f);
}

TEST(E4m3, EncodeIsTheNearestCodeTiesToEven) {
  std::vector<float> ys;
  // Every midpoint between neighbouring codes and the floats on either side of it.
  for (unsigned c = 0; c < k::kE4m3MaxCode; ++c) {
    const float mid = static_cast<float>((documented_value(c) + documented_value(c + 1)) / 2.0);  // exact in float
    ys.insert(ys.end(), {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f), -mid});
  }
  // Random magnitudes over e4m3's range and beyond (saturation), and a few specials.
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> exponent(-14.0f, 9.5f);
  for (int i = 0; i < 20000; ++i) ys.push_back((i % 2 == 0 ? 1.0f : -1.0f) * std::exp2(exponent(rng)));
  ys.insert(ys.end(), {0.0f, -0.0f, 464.0f, 465.0f, 1e30f, std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min()});
  for (const float y : ys) {
    for (const bool keep : {false, true}) {
      ASSERT_EQ(k::e4m3_code(y, keep), expected_code(y, keep)) << "y = " << y << " keep_positive " << keep;
    }
  }
  EXPECT_EQ(k::e4m3_code(std::numeric_limits<float>::quiet_NaN(), true), 0u);
  EXPECT_EQ(k::e4m3_code(464.0f, false), k::kE4m3MaxCode) << "the tie above 448 saturates (480 does not exist)";
  EXPECT_EQ(k::e4m3_code(0x1p-11f, true), k::kE4m3SmallestCode) << "non-negative rows keep positives";
  EXPECT_EQ(k::e4m3_code(0x1p-11f, false), 0u);
  EXPECT_EQ(k::e4m3_code(-0x1p-11f, true), 0u) << "no negative zero code";
}

// A dense sweep of fp32 (every 1021st bit pattern: every exponent, NaNs, infinities and
// subnormals, mantissas at every offset from the rounding points) against the reference.
TEST(E4m3, EncodeMatchesTheReferenceOnADenseSweepOfFloats) {
  std::size_t mismatches = 0;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 1021) {
    const float y = k::bits_float(static_cast<std::uint32_t>(u));
    for (const bool keep : {false, true}) {
      const std::uint8_t code = k::e4m3_code(y, keep);
      const double want = bnb_ref::round_to_e4m3(static_cast<double>(y), keep);
      const bool ok = code != 0x80 && (code & 0x7Fu) != 0x7Fu && documented_value(code) == want;
      if (!ok && ++mismatches <= 5) ADD_FAILURE() << "bits " << std::hex << u << std::dec << " keep " << keep;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

constexpr std::size_t kBlock = 256;

struct Fp8State {
  std::vector<float> param;
  std::vector<std::vector<std::uint8_t>> codes;
  std::vector<std::vector<float>> scale;
};

Fp8State fp8_snapshot(Run8& run) {
  run.optimizer().initialize_state(0);
  bnb::ParamState& st = run.state();
  Fp8State s;
  s.param = run.param();
  for (int r = 0; r < st.rows; ++r) {
    const auto* b = st.row[r].as<std::uint8_t>();
    s.codes.emplace_back(b, b + st.numel);
    s.scale.push_back(st.absmax[r]);
  }
  return s;
}

/// One AdamW step composed from unfused parts (fp32 parameters, finite gradients): decode
/// value(code) * scale, update, scale = max|x| / 448 per 256 elements, code of x / scale (m's
/// row signed, v's row keeps positives).
Fp8State unfused_step(const bnb::EffectiveConfig& cfg, const Fp8State& before, const std::vector<float>& grad,
                      std::int64_t t) {
  const std::size_t n = grad.size();
  std::vector<float> s[2];
  for (int r = 0; r < 2; ++r) {
    for (std::size_t i = 0; i < n; ++i) s[r].push_back(k::e4m3_value(before.codes[r][i]) * before.scale[r][i / kBlock]);
  }
  Fp8State after = before;
  const bnb::StepConstants c = k::Adam::prepare(cfg.hyper, t);
  for (std::size_t i = 0; i < n; ++i) {
    float v[2] = {s[0][i], s[1][i]};
    k::Adam::update<k::Storage<float>>(c, grad[i], after.param[i], v, 1.0f);
    s[0][i] = v[0];
    s[1][i] = v[1];
  }
  for (int r = 0; r < 2; ++r) {
    for (std::size_t b = 0; b * kBlock < n; ++b) {
      const std::size_t end = std::min(n, (b + 1) * kBlock);
      float m = 0.0f;
      for (std::size_t i = b * kBlock; i < end; ++i) m = std::max(m, std::fabs(s[r][i]));
      const float scale = m / 448.0f;
      after.scale[r][b] = scale;
      for (std::size_t i = b * kBlock; i < end; ++i) {
        after.codes[r][i] = scale == 0.0f ? 0 : static_cast<std::uint8_t>(expected_code(s[r][i] / scale, r == 1));
      }
    }
  }
  return after;
}

TEST(StepFp8, FusedStepMatchesUnfusedComposition) {
  Run8 run({bnb::Algorithm::adam, "AdamWFp8", {}, {}}, bnb::DType::f32, 24 * kBlock + 77);  // a tail block
  ASSERT_TRUE(run.config().fp8);
  Normal normal(11);
  run.set_param(normal.draw(run.size(), 0.1));
  Fp8State state = fp8_snapshot(run);
  ASSERT_EQ(run.state().format, bnb::StateFormat::blockwise_fp8);
  ASSERT_EQ(state.scale[0].size(), bnb::block_count(run.size(), kBlock));
  for (std::int64_t t = 1; t <= 4; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    std::vector<float> g = normal.draw(run.size(), 0.01 * static_cast<double>(t));
    for (std::size_t i = 0; i < 300; ++i) g[i] *= 1e-4f;  // a block whose small v values underflow
    run.step(g);
    const Fp8State want = unfused_step(run.config(), state, run.grad(), t);
    state = fp8_snapshot(run);
    EXPECT_EQ(step8::bit_mismatches(state.param, want.param), 0u);
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(state.codes[r], want.codes[r]) << "row " << r;
      EXPECT_EQ(step8::bit_mismatches(state.scale[r], want.scale[r]), 0u) << "row " << r;
    }
  }
}

TEST(StepFp8, AccuracyAgainstTheReferenceOnRowScaledGradients) {
  // docs/fp8.md, results/formats/: AdamW, 60 steps, rows with gradient scales over 4 decades.
  // 24 x 256 (blocks = rows): measured rel_travel 0.0384 (AdamW8bit 0.0141); torchao's fp8
  // format emulated on such a trace: the same as ours (scripts/fp8_emulation.py). 48 x 100
  // (blocks straddle rows whose scales differ by decades): measured 0.2773, where v rounding to 0
  // gives ~18 in the emulation (torchao's rule) and AdamW8bit measures 11.5. The bounds leave
  // 1.3x over the measured values (the trajectory is deterministic; the margin covers compilers
  // and libm): losing the non-negative rows' rule, or a codec bug costing a third more error,
  // fails them.
  constexpr double kAlignedBound = 0.05;
  constexpr double kStraddlingBound = 0.36;
  const double aligned = step8::rel_travel("AdamWFp8", 60, 24, 256);
  const double straddling = step8::rel_travel("AdamWFp8", 60, 48, 100);
  RecordProperty("rel_travel_fp8_24x256", std::to_string(aligned));
  RecordProperty("rel_travel_fp8_48x100", std::to_string(straddling));
  EXPECT_LE(aligned, kAlignedBound);
  EXPECT_LE(straddling, kStraddlingBound);
}

TEST(ExtensionFormats, RmspropAccumulatorNeverDecodesAsZero) {
  // docs/fp8.md, docs/four_bit.md: RMSprop's accumulator is non-negative; in the extension formats
  // it takes the non-negative map, so an element whose squared gradient is many decades below
  // its block's largest keeps a positive accumulator (fp8: at least 2^-9 scale; 4-bit linear4:
  // at least absmax/16). With the signed map it decoded as 0 and the next step divided by
  // sqrt((1 - alpha) g^2) + eps: a step about 10x too large.
  for (const char* bits : {"fp8", "4"}) {
    SCOPED_TRACE(bits);
    bnb::ArgMap args;
    if (std::string(bits) == "fp8") {
      args["optim_bits"] = std::string("fp8");
    } else {
      args["optim_bits"] = 4.0;
    }
    Run8 run({bnb::Algorithm::rmsprop, "RMSprop", args, {}}, bnb::DType::f32, 8192);
    std::vector<float> g(run.size(), 1e-5f);
    for (std::size_t i = 0; i < g.size(); i += 64) g[i] = 1.0f;  // every block's largest: g^2 ratio 1e10
    run.step(g);
    ASSERT_NE(run.state().format, bnb::StateFormat::fp32);
    EXPECT_FALSE(run.state().table[0]->is_signed);
    const std::vector<float> acc = run.state().dequantized(0);
    std::size_t zeros = 0;
    for (float a : acc) zeros += a > 0.0f ? 0 : 1;
    EXPECT_EQ(zeros, 0u) << "accumulator elements that decode as 0 (or below)";
  }
}

}  // namespace
