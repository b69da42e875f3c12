// The fp64 reference's own behaviour: storage rounding (checked against the product's converters,
// which are a different implementation), the setters used for re-sync, and percentile history.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "bnb/kernels/dtype.hpp"
#include "bnb_ref/percentile_clip.hpp"
#include "bnb_ref/ref_optimizer.hpp"
#include "bnb_ref/storage_rounding.hpp"

namespace {

TEST(ReferenceRounding, AgreesWithTheProductConvertersOnEveryFloatPattern) {
  // Every 1009th binary32 pattern (4.3 M values over all exponents, both signs, NaN/Inf and
  // subnormals; exact ties are checked in KnownValues).
  for (std::uint64_t u = 0; u <= 0xffffffffu; u += 1009) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(u));
    const auto x = static_cast<double>(f);
    const float half = bnb::kernels::half_to_float(bnb::kernels::float_to_half(f));
    const float bf = bnb::kernels::bf16_to_float(bnb::kernels::float_to_bf16(f));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bnb_ref::round_to_f16(x)));
      ASSERT_TRUE(std::isnan(bnb_ref::round_to_bf16(x)));
      continue;
    }
    ASSERT_EQ(bnb_ref::round_to_f16(x), static_cast<double>(half)) << std::hex << u;
    ASSERT_EQ(bnb_ref::round_to_bf16(x), static_cast<double>(bf)) << std::hex << u;
  }
}

TEST(ReferenceRounding, KnownValues) {
  // 1 + 2^-11 is the fp16 tie between 1 and 1 + 2^-10: to even, 1. 1 + 3·2^-11 rounds up to 1 + 2^-9.
  EXPECT_EQ(bnb_ref::round_to_f16(1.0 + std::ldexp(1.0, -11)), 1.0);
  EXPECT_EQ(bnb_ref::round_to_f16(1.0 + 3 * std::ldexp(1.0, -11)), 1.0 + std::ldexp(1.0, -9));
  EXPECT_EQ(bnb_ref::round_to_f16(65520.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(bnb_ref::round_to_f16(65519.0), 65504.0);
  EXPECT_EQ(bnb_ref::round_to_bf16(1.0 + std::ldexp(1.0, -8)), 1.0);  // tie to even
  EXPECT_EQ(bnb_ref::round_to_bf16(1.0 + 3 * std::ldexp(1.0, -8)), 1.0 + std::ldexp(1.0, -6));
  // Double first goes to binary32, as the product computes: 1 + 2^-30 is 1 in fp32.
  EXPECT_EQ(bnb_ref::round_to_f32(1.0 + std::ldexp(1.0, -30)), 1.0);
  EXPECT_EQ(bnb_ref::round_to_storage(0.1, bnb_ref::StorageKind::f64), 0.1);
}

TEST(ReferenceOptimizer, RoundsTheParameterToItsStorageAfterEveryAssignment) {
  // Adam t=1 with wd: p = 1 − 0.01·g/(|g|+eps), rounded to bf16, then ·(1 − 1e-3), rounded again.
  bnb_ref::RefHyper h;
  h.lr = 0.01;
  h.weight_decay = 0.1;
  bnb_ref::RefOptimizer ref(bnb_ref::Algo::adam, h, 1, bnb_ref::StorageKind::bf16);
  ref.set_param(std::vector<double>{1.0});
  ref.step(std::vector<double>{0.5});
  const double after_step = bnb_ref::round_to_bf16(1.0 - 0.01 * 0.5 / (0.5 + 1e-8));
  EXPECT_EQ(ref.param()[0], bnb_ref::round_to_bf16(after_step * (1.0 - 0.001)));
}

TEST(ReferenceOptimizer, ResyncSettersReplaceParametersStatesAndStep) {
  bnb_ref::RefHyper h;
  h.lr = 0.1;
  h.beta1 = 0.9;
  h.eps = 0;
  bnb_ref::RefOptimizer ref(bnb_ref::Algo::momentum, h, 2);
  ref.set_param(std::vector<float>{1.0f, 2.0f});
  ref.set_state(0, std::vector<double>{0.5, -0.5});
  ref.set_step(3);  // next step is t = 4: no seeding, m = 0.9·m + g
  ref.step(std::vector<double>{1.0, 1.0});
  EXPECT_EQ(ref.step_count(), 4);
  EXPECT_DOUBLE_EQ(ref.state(0)[0], 0.45 + 1.0);
  EXPECT_DOUBLE_EQ(ref.state(0)[1], -0.45 + 1.0);
  EXPECT_DOUBLE_EQ(ref.param()[0], 1.0 - 0.1 * 1.45);
  EXPECT_DOUBLE_EQ(ref.param()[1], 2.0 - 0.1 * 0.55);

  EXPECT_THROW(ref.set_param(std::vector<double>{1.0}), std::invalid_argument);
  EXPECT_THROW(ref.set_state(1, std::vector<double>{1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(ref.step(std::vector<float>{1.0f}), std::invalid_argument);
  EXPECT_EQ(bnb_ref::RefOptimizer(bnb_ref::Algo::ademamix, h, 1).rows(), 3);
  EXPECT_EQ(bnb_ref::RefOptimizer(bnb_ref::Algo::lamb, h, 1).rows(), 2);
}

TEST(ReferencePercentileClip, FillsAtTheFirstStepThenWritesSlotTMod100) {
  bnb_ref::RefPercentileClip clip(10);
  EXPECT_EQ(clip.record(1, 4.0), 1.0);  // all slots 4: clip = 2 = current
  for (double v : clip.history()) EXPECT_EQ(v, 4.0);
  // t = 2..12 write 1.0 into slots 2..12 (11 slots): sorted[10] = 1, clip = 1; current 3.
  double scale = 1;
  for (int t = 2; t <= 12; ++t) scale = clip.record(t, t == 12 ? 9.0 : 1.0);
  // Slot 12 holds 9, slots 2..11 hold 1 (10 values): sorted[10] is the first 4 → clip 2.
  EXPECT_DOUBLE_EQ(scale, 2.0 / 3.0);
  EXPECT_EQ(clip.record(102, 1.0), 1.0);  // t = 102 overwrites slot 2
  EXPECT_EQ(clip.history()[2], 1.0);
  bnb_ref::RefPercentileClip off(100);
  EXPECT_FALSE(off.active());
  EXPECT_EQ(off.record(1, 5.0), 1.0);
}

}  // namespace
