// drop_momentum_unstall through the CPU step of every variant (the vector rule of
// kernels/cpu/unstall_simd.hpp and the scalar one it falls back to): a tensor whose codes all
// stall, in a signed row (Adam's m) and an unsigned one (v), gives the scalar variant's bits, and
// the codes that move are as many as the rule's probabilities say (a broken or biased unstall
// fails). Blocks of 256, a tail of 77 (not a multiple of 8 or 16) and a shard start whose random
// counters carry into their high word inside the tensor: every path of the vector rule runs.
// Tolerance: 5 standard deviations of the number of moves (a binomial sum, ~4000 elements).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/underflow_guard.hpp"
#include "bnb/quantize.hpp"

namespace {

namespace k = bnb::kernels;
using bnb::Algorithm;
using bnb::StateFormat;

constexpr std::size_t kBlock = 256;
constexpr std::size_t kN = 16 * kBlock + 77;
// Element 0 of a block is its anchor: state codes 255 and gradient 1 keep the block's new
// absmax at ~1 in both rows. The others stall: m's new value lies ~0.3 of a spacing above its
// code and v's too (v moves by (1 - β2)(g² - v), so its code is chosen where that is 0.3 spacing).
constexpr double kFraction = 0.3;
// 3 * kFirst = 2^32 - 300: the counters' low words wrap at element 100 (state_rounding_bits).
constexpr std::uint64_t kFirst = 0x55555555u - 100u;

struct Stall {
  std::uint8_t m_code = 0, v_code = 0;
  float g = 0;
};

const k::QuantTable& map_of(bool is_signed) {
  return bnb::quant_table(is_signed ? bnb::QuantMap::signed_dynamic : bnb::QuantMap::unsigned_dynamic);
}

Stall choose_stall(const bnb::HyperParams& h) {
  const k::QuantTable& m = map_of(true);
  const k::QuantTable& v = map_of(false);
  Stall s;
  s.m_code = k::encode_value(m, 0.5f);
  const double a = m.values[s.m_code], b = m.values[s.m_code + 1];
  s.g = static_cast<float>((a + kFraction * (b - a) - h.beta1 * a) / (1 - h.beta1));
  double best = 1;
  for (int c = 1; c < 254; ++c) {
    const double g2 = double{s.g} * double{s.g};
    const double f = (1 - h.beta2) * (g2 - double{v.values[c]}) / (double{v.values[c + 1]} - double{v.values[c]});
    if (f > 0 && f < 0.45 && std::fabs(f - kFraction) < best) {
      best = std::fabs(f - kFraction);
      s.v_code = static_cast<std::uint8_t>(c);
    }
  }
  return s;
}

struct Result {
  std::vector<float> param;
  std::vector<std::uint8_t> codes[2];
  std::vector<float> absmax[2];
};

Result step(k::CpuVariant variant, StateFormat f, k::UnderflowGuard guard, const Stall& s, const bnb::HyperParams& h) {
  const bnb::FormatCodec& codec = bnb::format_codec(f);
  Result out;
  out.param.assign(kN, 0.0f);
  std::vector<float> grad(kN, s.g);
  bnb::StepRequest r;
  r.algorithm = Algorithm::adam;
  r.dtype = bnb::DType::f32;
  r.n = kN;
  r.param = out.param.data();
  r.grad = grad.data();
  r.state.format = f;
  r.state.rows = 2;
  for (int row = 0; row < 2; ++row) {
    out.codes[row].assign(kN, row == 0 ? s.m_code : s.v_code);
    out.absmax[row].assign(codec.scale_count(kN, kBlock), 1.0f);
    r.state.codes[row] = out.codes[row].data();
    r.state.absmax[row] = out.absmax[row].data();
    r.state.table[row] = &map_of(row == 0);
  }
  for (std::size_t i = 0; i < kN; i += kBlock) {
    grad[i] = 1.0f;
    out.codes[0][i] = out.codes[1][i] = 255;
  }
  r.constants = k::base_step_constants(h, 5);
  r.underflow_guard = guard;
  r.state_rounding_key = k::rounding_key(9, 1, 5);
  r.first_element = kFirst;
  bnb::StepReport report;
  k::force_variant(variant);
  k::cpu_step(r, report);
  k::force_variant(std::nullopt);
  return out;
}

/// Moves of row `row` off the stalled code, and their expected number and variance.
struct Moves {
  double seen = 0, expected = 0, variance = 0;
};

Moves count_moves(const Result& got, int row, const Stall& s, const bnb::HyperParams& h, StateFormat f) {
  const k::QuantTable& t = map_of(row == 0);
  const std::uint8_t code = row == 0 ? s.m_code : s.v_code;
  const double a = t.values[code], b = t.values[code + 1];
  const double beta = row == 0 ? h.beta1 : h.beta2;
  const double x = beta * a + (1 - beta) * (row == 0 ? double{s.g} : double{s.g} * double{s.g});
  Moves m;
  for (std::size_t i = 0; i < kN; ++i) {
    if (i % kBlock == 0) continue;
    const double scale = got.absmax[row][f == StateFormat::blockwise8 ? i / kBlock : 0];
    const double p = std::clamp((x / scale - a) / (b - a), 0.0, 1.0);
    EXPECT_TRUE(got.codes[row][i] == code || got.codes[row][i] == code + 1) << "row " << row << " element " << i;
    m.seen += got.codes[row][i] != code ? 1 : 0;
    m.expected += p;
    m.variance += p * (1 - p);
  }
  return m;
}

TEST(UnstallVariants, StalledCodesOfBothMapsMoveAsTheRuleSaysInEveryVariant) {
  bnb::HyperParams h;
  const Stall s = choose_stall(h);
  ASSERT_NE(s.v_code, 0) << "no v code where the test's gradient stalls";
  for (StateFormat f : {StateFormat::blockwise8, StateFormat::tensorwise8}) {
    const Result plain = step(k::CpuVariant::scalar, f, k::UnderflowGuard::off, s, h);
    for (int row = 0; row < 2; ++row) {
      EXPECT_EQ(count_moves(plain, row, s, h, f).seen, 0) << "row " << row << ": without the guard every code stalls";
    }
    const Result want = step(k::CpuVariant::scalar, f, k::UnderflowGuard::drop_momentum_unstall, s, h);
    for (int row = 0; row < 2; ++row) {
      const Moves m = count_moves(want, row, s, h, f);
      EXPECT_GT(m.expected, 0.2 * (kN - kN / kBlock)) << "row " << row << ": the setup stalls ~0.3 of a spacing away";
      EXPECT_NEAR(m.seen, m.expected, 5 * std::sqrt(m.variance)) << "row " << row << " format " << static_cast<int>(f);
    }
    for (k::CpuVariant v : k::supported_variants()) {
      const Result got = step(v, f, k::UnderflowGuard::drop_momentum_unstall, s, h);
      const std::string what = std::string(k::variant_name(v)) + " format " + std::to_string(static_cast<int>(f));
      EXPECT_EQ(got.param, want.param) << what;
      for (int row = 0; row < 2; ++row) {
        EXPECT_EQ(got.codes[row], want.codes[row]) << what << " row " << row;
        EXPECT_EQ(got.absmax[row], want.absmax[row]) << what << " row " << row;
      }
    }
  }
}

}  // namespace
