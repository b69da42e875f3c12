// The CUDA step's bucket encoder (code_buckets.hpp) against encode_value, the reference search:
// both must give the same code for every float, since the device step's codes must equal the
// CPU step's bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "bnb/kernels/code_buckets.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/qmap4_bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {
namespace {

/// Bit patterns [first, last] (inclusive) whose bucket code differs from encode_value's.
std::uint64_t mismatches(const QuantTable& t, const BucketShape& b, std::uint64_t first, std::uint64_t last,
                         std::uint64_t stride) {
  std::uint64_t bad = 0;
#pragma omp parallel for reduction(+ : bad) schedule(static)
  for (std::int64_t s = static_cast<std::int64_t>(first); s <= static_cast<std::int64_t>(last); s += static_cast<std::int64_t>(stride)) {
    const float y = bits_float(static_cast<std::uint32_t>(s));
    bad += bucket_encode(b, y) != encode_value(t, y) ? 1u : 0u;
  }
  return bad;
}

/// The code changes only at the thresholds, so CI checks every float within 2^13 patterns of each
/// threshold and of its negation (the bucket edges next to them included), every 61st pattern of
/// all 2^32 (every bucket, both ends, subnormals, Inf, NaN), and the special values: about 6 s for
/// both maps. BNB_EXHAUSTIVE_CODE_BUCKETS=1 checks all 2^32 patterns instead (about a minute a
/// map; results/gpu/kernel-8bit.md records that run).
void expect_exact(const QuantTable& t, const char* name) {
  const CodeBuckets buckets = make_code_buckets(t);
  ASSERT_TRUE(buckets.usable) << name;
  EXPECT_LE(buckets.per_sign, kMaxCodeBuckets) << name;
  const BucketShape b = bucket_shape(buckets);
  const char* all = std::getenv("BNB_EXHAUSTIVE_CODE_BUCKETS");
  if (all != nullptr && all[0] == '1') {
    EXPECT_EQ(mismatches(t, b, 0, 0xffffffffu, 1), 0u) << name << ": all 2^32 floats";
    return;
  }
  constexpr std::uint64_t kNear = 1u << 13;
  for (int j = 0; j < 255; ++j) {
    for (const float threshold : {t.upper[j], -t.upper[j]}) {
      const std::uint64_t at = float_bits(threshold);
      const std::uint64_t sign = at & 0x80000000u;
      const std::uint64_t mag = at & 0x7fffffffu;
      const std::uint64_t first = sign | (mag > kNear ? mag - kNear : 0);
      const std::uint64_t last = sign | (mag + kNear);
      EXPECT_EQ(mismatches(t, b, first, last, 1), 0u) << name << ": near threshold " << j;
    }
  }
  EXPECT_EQ(mismatches(t, b, 0, 0xffffffffu, 61), 0u) << name << ": every 61st float";
  for (const std::uint32_t special : {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xffffffffu,
                                      0x00000001u, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x0u, 0x80000000u}) {
    const float y = bits_float(special);
    EXPECT_EQ(bucket_encode(b, y), encode_value(t, y)) << name << std::hex << ": 0x" << special;
  }
}

TEST(CodeBuckets, SignedDynamicMapEncodesExactly) {
  expect_exact(make_quant_table(kSignedMapBits, true), "signed dynamic");
}

TEST(CodeBuckets, UnsignedDynamicMapEncodesExactly) {
  expect_exact(make_quant_table(kUnsignedMapBits, false), "unsigned dynamic");
}

TEST(CodeBuckets, SignedMapReadUnsignedEncodesExactly) {  // no sign correction on a signed value set
  expect_exact(make_quant_table(kSignedMapBits, false), "signed values, no correction");
}

/// A map the buckets cannot resolve (thresholds closer than 2^-8 of a binade) gets no table, and
/// encode_with falls back to the search; so does a 16-value map (its +inf padding).
TEST(CodeBuckets, UnfitMapsFallBackToTheSearch) {
  float dense[256];
  for (int i = 0; i < 256; ++i) dense[i] = 0.5f + static_cast<float>(i) * 1e-6f;
  DeviceCodeTable d;
  prepare_device_code_table(make_quant_table(dense, false), d);
  EXPECT_FALSE(d.buckets.usable);
  for (const float y : {0.5f, 0.50001f, 0.5002f, 0.7f, -1.0f}) EXPECT_EQ(encode_with(d, y), encode_value(d.map, y));
  prepare_device_code_table(make_quant_table(kNormal4MapBits, false), d);
  EXPECT_FALSE(d.buckets.usable);
}

}  // namespace
}  // namespace bnb::kernels
