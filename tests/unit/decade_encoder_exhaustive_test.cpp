// The gather-free decade encoder (kernels/cpu/decade_codec.hpp: AVX-512 variants, the two
// built-in maps) on every float bit pattern, both maps: [-1, 1] (zeros, subnormals, every
// threshold and its neighbours) where it codes by itself, |y| > 1, infinities, NaNs and the
// unsigned map's negatives where it must hand the vector to the bucket table; and the step's
// encode_by_absmax on every float it admits. Tolerance: none
// (bitwise equality is the contract).
//  - In CI: against the bucket-table encoder of the same variant (an independent algorithm that
//    cpu_variants_test checks against encode_value()), SIMD on both sides.
//  - Outside CI (DISABLED_, --gtest_also_run_disabled_tests; minutes): against encode_value().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#include "bnb/quantize.hpp"

namespace {

namespace k = bnb::kernels;

constexpr std::uint64_t kPatterns = std::uint64_t{1} << 32;
constexpr std::size_t kChunk = std::size_t{1} << 18;

using Reference = std::function<void(const float*, std::size_t, std::uint8_t*)>;

/// Whether the float with these bits has |x| in (1, Inf] (encode_by_absmax with scale 1 admits NaN
/// and |x| <= 1).
bool beyond_one(std::uint64_t bits) {
  const std::uint64_t magnitude = bits & 0x7fffffffu;
  return magnitude > 0x3f800000u && magnitude <= 0x7f800000u;
}

/// Encodes every float with `decade` and `reference` (scale 1: y == x exactly); returns the
/// mismatches, reporting the first few. by_absmax: decade's encode_by_absmax, on the floats its
/// precondition admits with scale 1 (NaN and |x| <= 1; the others replaced by 0).
std::uint64_t compare_every_float(const k::PreparedCodec& decade, const Reference& reference, const char* map,
                                  bool by_absmax = false) {
  std::uint64_t mismatches = 0, inputs = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : mismatches, inputs)
  for (std::uint64_t first = 0; first < kPatterns; first += kChunk) {
    if (by_absmax && beyond_one(first) && beyond_one(first + kChunk - 1)) continue;  // nothing admitted
    inputs += kChunk;
    std::vector<float> x(kChunk);
    std::vector<std::uint8_t> got(kChunk), want(kChunk);
    for (std::size_t i = 0; i < kChunk; ++i) {
      x[i] = k::bits_float(static_cast<std::uint32_t>(first + i));
      if (by_absmax && beyond_one(first + i)) x[i] = 0.0f;
    }
    if (by_absmax) {
      decade.encode_by_absmax(x.data(), kChunk, 1.0f, got.data());
    } else {
      decade.encode(x.data(), kChunk, 1.0f, got.data());
    }
    reference(x.data(), kChunk, want.data());
    for (std::size_t i = 0; i < kChunk; ++i) {
      if (got[i] == want[i]) continue;
      if (++mismatches <= 5) {
#pragma omp critical
        std::printf("%s: bits %08x: code %d, want %d\n", map, static_cast<unsigned>(k::float_bits(x[i])), int{got[i]},
                    int{want[i]});
      }
    }
  }
  std::printf("%s: %llu inputs, %llu mismatches\n", map, static_cast<unsigned long long>(inputs),
              static_cast<unsigned long long>(mismatches));
  return mismatches;
}

/// The widest AVX-512 variant this CPU runs, if any.
std::optional<k::CpuVariant> avx512_variant() {
  const auto all = k::supported_variants();
  for (const auto v : {k::CpuVariant::avx512vbmi, k::CpuVariant::avx512}) {
    if (std::find(all.begin(), all.end(), v) != all.end()) return v;
  }
  return std::nullopt;
}

/// The codec of v for t prepared with the given encoder forced.
std::unique_ptr<const k::PreparedCodec> prepared(k::CpuVariant v, const k::QuantTable& t, k::EncoderKind encoder) {
  k::force_encoder(encoder);
  auto codec = k::prepare_cpu_codec(v, t);
  k::force_encoder(std::nullopt);
  return codec;
}

constexpr std::pair<bnb::QuantMap, const char*> kMaps[] = {{bnb::QuantMap::signed_dynamic, "signed"},
                                                           {bnb::QuantMap::unsigned_dynamic, "unsigned"}};

/// Both maps, the decade encoder against the bucket encoder of the same variant (by_absmax: see
/// compare_every_float).
void expect_decades_match_buckets(bool by_absmax) {
  const auto v = avx512_variant();
  if (!v) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (const auto& [map, name] : kMaps) {
    const k::QuantTable& t = bnb::quant_table(map);
    const auto decade = prepared(*v, t, k::EncoderKind::decades);
    ASSERT_EQ(decade->encoder_kind(), k::EncoderKind::decades) << name;
    const auto buckets = prepared(*v, t, k::EncoderKind::buckets);
    ASSERT_EQ(buckets->encoder_kind(), k::EncoderKind::buckets) << name;
    const Reference reference = [&](const float* x, std::size_t n, std::uint8_t* out) {
      buckets->encode(x, n, 1.0f, out);
    };
    EXPECT_EQ(compare_every_float(*decade, reference, name, by_absmax), 0u);
  }
}

TEST(DecadeEncoder, MatchesTheBucketEncoderOnEveryFloat) { expect_decades_match_buckets(false); }

// The step's path: quotients of a block by its own absmax, within [-1, 1] or NaN, where the
// unsigned map leaves out its clamp to 1.
TEST(DecadeEncoder, ByAbsmaxMatchesTheBucketEncoderOnEveryFloatWithinOne) { expect_decades_match_buckets(true); }

TEST(DecadeEncoder, DISABLED_MatchesEncodeValueOnEveryFloat) {
  const auto v = avx512_variant();
  if (!v) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (const auto& [map, name] : kMaps) {
    const k::QuantTable& t = bnb::quant_table(map);
    const auto decade = prepared(*v, t, k::EncoderKind::decades);
    const Reference reference = [&](const float* x, std::size_t n, std::uint8_t* out) {
      for (std::size_t i = 0; i < n; ++i) out[i] = k::encode_value(t, x[i]);
    };
    EXPECT_EQ(compare_every_float(*decade, reference, name), 0u);
  }
}

}  // namespace
