// drop_momentum_unstall's per-element rule (kernels/include/bnb/kernels/underflow_guard.hpp): a
// stalled code rounds stochastically, unbiased, never onto or across 0; a code that moved, a zero
// scale or a value on its code stays; an element whose v still decodes to 0 loses its momentum.
#include <gtest/gtest.h>

#include <cstdint>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/underflow_guard.hpp"
#include "bnb/quantize.hpp"

namespace {

namespace k = bnb::kernels;
using bnb::QuantMap;

const k::QuantTable& signed_map() { return bnb::quant_table(QuantMap::signed_dynamic); }
const k::QuantTable& unsigned_map() { return bnb::quant_table(QuantMap::unsigned_dynamic); }

/// Random bits whose top 24 are j << 10: an even sweep of the 2^24 thresholds.
std::uint32_t sweep_bits(std::uint32_t j) { return j << 18; }
constexpr std::uint32_t kSweep = 1u << 14;

/// The fraction of the sweep in which the stalled code moves.
double moved_fraction(const k::QuantTable& t, std::uint8_t code, float y) {
  std::uint32_t moved = 0;
  for (std::uint32_t j = 0; j < kSweep; ++j) moved += k::unstalled_code(t, code, code, y, 1.0f, sweep_bits(j)) != code ? 1u : 0u;
  return static_cast<double>(moved) / kSweep;
}

TEST(Unstall, StalledCodeMovesWithTheProbabilityOfItsDistance) {
  for (const k::QuantTable* t : {&signed_map(), &unsigned_map()}) {
    for (int code : {140, 200, 254}) {
      const auto c = static_cast<std::uint8_t>(code);
      for (int side : {-1, 1}) {
        const float a = t->values[c], b = t->values[c + side];
        const float y = a + 0.3f * (b - a);  // nearer a: its nearest code is c
        ASSERT_EQ(k::encode_value(*t, y), c);
        // E[decoded] = a + P(move) (b - a) = y, to the sweep's resolution (1/16384 of the spacing).
        EXPECT_NEAR(moved_fraction(*t, c, y), static_cast<double>((y - a) / (b - a)), 1.0 / kSweep) << code << " " << side;
        const std::uint8_t got = k::unstalled_code(*t, c, c, y, 1.0f, 0u);  // the smallest threshold: moves
        EXPECT_EQ(got, code + side);
      }
    }
  }
}

TEST(Unstall, OnlyStalledCodesOffTheirValueMove) {
  const k::QuantTable& t = signed_map();
  const float y = t.values[200] + 0.3f * (t.values[201] - t.values[200]);
  EXPECT_EQ(k::unstalled_code(t, 200, 199, y, 1.0f, 0u), 200) << "the code moved: nearest stays";
  EXPECT_EQ(k::unstalled_code(t, 200, 200, t.values[200], 1.0f, 0u), 200) << "on its value";
  EXPECT_EQ(k::unstalled_code(t, 255, 255, 1.0f, 1.0f, 0u), 255) << "the block's largest";
  EXPECT_EQ(k::unstalled_code(t, t.zero_code, t.zero_code, 0.0f, 0.0f, 0u), t.zero_code) << "zero scale";
  EXPECT_EQ(k::unstalled_code(t, t.zero_code, t.zero_code, NAN, 1.0f, 0u), t.zero_code) << "NaN";
  // The scale divides x as the encoder does: the same y from x = 2y, scale 2.
  EXPECT_EQ(k::unstalled_code(t, 200, 200, 2.0f * y, 2.0f, 0u), 201);
}

TEST(Unstall, NeverOntoOrAcrossZero) {
  const k::QuantTable& s = signed_map();
  const std::uint8_t smallest_negative = s.zero_code - 1;
  const float above = 0.5f * s.values[smallest_negative];  // sign-corrected down to the smallest negative
  ASSERT_EQ(k::encode_value(s, above), smallest_negative);
  EXPECT_EQ(moved_fraction(s, smallest_negative, above), 0.0) << "a negative momentum keeps its sign";
  // A tiny positive m rounds to 0 (no sign correction upwards) and leaves it with probability y / values[128].
  const float tiny_m = 0.25f * s.values[s.zero_code + 1];
  ASSERT_EQ(k::encode_value(s, tiny_m), s.zero_code);
  EXPECT_NEAR(moved_fraction(s, s.zero_code, tiny_m), 0.25, 1.0 / kSweep);
  const k::QuantTable& u = unsigned_map();
  EXPECT_EQ(moved_fraction(u, 1, 0.9f * u.values[1]), 0.0) << "v is not rounded onto 0";
  // A v stored as 0 that is not 0 may leave it: its underflow is rounded up with probability y / values[1].
  const float tiny = 0.25f * u.values[1];
  ASSERT_EQ(k::encode_value(u, tiny), u.zero_code);
  EXPECT_NEAR(moved_fraction(u, u.zero_code, tiny), 0.25, 1.0 / kSweep);
}

TEST(Unstall, SettleDropsTheMomentumOfAnElementWhoseVStaysZero) {
  using A = k::Adam;  // row 0: m (signed), row 1: v (unsigned)
  const k::QuantTable* tables[2] = {&signed_map(), &unsigned_map()};
  const float x[2] = {0.5f, 0.25f * unsigned_map().values[1]};  // v's nearest code is 0
  const float scales[2] = {1.0f, 1.0f};
  const std::uint8_t m_code = k::encode_value(signed_map(), x[0]);
  const std::uint8_t old[2] = {static_cast<std::uint8_t>(m_code - 3), unsigned_map().zero_code};
  const bnb::RoundingKey key = k::rounding_key(1, 2, 3);
  int left_zero = 0, stayed = 0;
  for (std::uint64_t e = 0; e < 64; ++e) {
    std::uint8_t codes[2] = {m_code, unsigned_map().zero_code};
    const unsigned under = k::settle_element<A>(k::UnderflowGuard::drop_momentum_unstall, tables, x, codes,
                                                k::StallContext{old, scales, key, e});
    EXPECT_EQ(under, 2u) << "v's underflow is counted before the guard acts";
    const bool v_left = k::unstalled_code(unsigned_map(), 0, 0, x[1], 1.0f, k::state_rounding_bits(key, e, 1)) != 0;
    EXPECT_EQ(codes[1], v_left ? 1 : 0) << e;
    EXPECT_EQ(codes[0], v_left ? m_code : signed_map().zero_code) << e << ": m dropped while v decodes to 0";
    (v_left ? left_zero : stayed) += 1;
  }
  EXPECT_GT(left_zero, 0);
  EXPECT_GT(stayed, 0);
}

}  // namespace
