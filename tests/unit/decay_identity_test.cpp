// decay_keeps_every_value (decay_identity.hpp): where it holds, round_T(p * decay) == p for every
// value p of T, checked on all 65536 bit patterns of bf16 and fp16 at the bound, inside it and at
// 1; and at four times the bound some values do change, so it is not loose by more than that.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/decay_identity.hpp"
#include "bnb/kernels/dtype.hpp"

namespace {

namespace k = bnb::kernels;

/// How many values of T round_T(p * decay) changes (NaN stays NaN: not a change).
template <class T>
int changed_values(float decay) {
  int changed = 0;
  for (std::uint32_t pattern = 0; pattern <= 0xffffu; ++pattern) {
    const float p = k::Storage<T>::load(T{static_cast<std::uint16_t>(pattern)});
    const float decayed = k::Storage<T>::round(p * decay);
    if (std::isnan(p) ? !std::isnan(decayed) : k::float_bits(decayed) != k::float_bits(p)) ++changed;
  }
  return changed;
}

template <class T>
void expect_bound_holds() {
  const float gap = std::ldexp(1.0f, -(k::kSignificandBits<T> + 2));
  const float at_bound = 1.0f - gap;
  ASSERT_TRUE(k::decay_keeps_every_value<T>(at_bound));
  ASSERT_TRUE(k::decay_keeps_every_value<T>(1.0f));
  // The bound, points inside it (down to 1 - lr * wd for lr 1e-3, wd 1e-2), and 1.
  for (float decay = at_bound; decay < 1.0f; decay = 1.0f - (1.0f - decay) / 3.0f) {
    ASSERT_TRUE(k::decay_keeps_every_value<T>(decay));
    EXPECT_EQ(changed_values<T>(decay), 0) << "decay " << decay;
    if (1.0f - decay < 1e-7f) break;
  }
  EXPECT_EQ(changed_values<T>(1.0f), 0);
  // Four times the bound's gap is outside it, and there the decay does move some values.
  const float outside = 1.0f - 4.0f * gap;
  EXPECT_FALSE(k::decay_keeps_every_value<T>(outside));
  EXPECT_GT(changed_values<T>(outside), 0);
}

TEST(DecayIdentity, Bf16EveryValueKeptInsideTheBound) { expect_bound_holds<bnb::bf16_t>(); }
TEST(DecayIdentity, Fp16EveryValueKeptInsideTheBound) { expect_bound_holds<bnb::half_t>(); }

}  // namespace
