// Block-wise 8-bit quantization (SPEC.md §5.2/§5.3, quantize.hpp): encode_value against a brute
// force nearest-code scan, the round-trip error bounds of SPEC.md §10, block sizes, absmax,
// all-zero and non-finite blocks, and thread-count independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/quantize.hpp"

namespace {

using bnb::DType;
using bnb::QuantMap;
using bnb::kernels::bits_float;
using bnb::kernels::float_bits;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t kDefaultBlock = 256;

// ---------------------------------------------------------------- brute-force reference

/// The map straight from the Appendix A bit patterns (not from the prepared table).
std::array<float, 256> map_values(QuantMap map) {
  const auto& bits = map == QuantMap::signed_dynamic ? bnb::kernels::kSignedMapBits : bnb::kernels::kUnsignedMapBits;
  std::array<float, 256> v{};
  for (std::size_t i = 0; i < 256; ++i) v[i] = bits_float(bits[i]);
  return v;
}

/// Is map value a strictly closer to y than map value b, in exact arithmetic? Computing |y - v|
/// would round when y is tiny; instead use |y-a| < |y-b|  <=>  (a-b)(a+b-2y) < 0. Map values are
/// 0 or have magnitudes in [2^-22, 1] with 24-bit significands, so a-b and a+b are exact in
/// double; 2y is exact; the rounded difference (a+b) - 2y has the exact sign (zero only when
/// equal), and the product of two such nonzero doubles neither underflows to 0 nor overflows.
/// A tie gives 0, which is not "strictly closer".
bool strictly_closer(double y, double a, double b) { return (a - b) * (a + b - 2.0 * y) < 0.0; }

/// Index of the nearest map value by scanning all 256, ties to the lower index, then the signed
/// map's sign correction of SPEC.md §5.3 as quant_table.hpp documents it.
///
/// The scan first takes the rounded distances |y - v_i| in double (one rounding each, relative
/// error <= 2^-53, no dependency between the 256 subtractions), and then decides exactly, with
/// strictly_closer, among every candidate within a relative 2^-50 of the smallest rounded
/// distance; the true nearest value always is such a candidate.
int reference_code(const std::array<float, 256>& v, bool is_signed, float y) {
  const int zero_code = is_signed ? 127 : 0;
  if (std::isnan(y)) return zero_code;
  const double yd = y;
  std::array<double, 256> distance{};
  for (std::size_t i = 0; i < 256; ++i) distance[i] = std::fabs(yd - static_cast<double>(v[i]));
  std::array<double, 4> partial_min{kInf, kInf, kInf, kInf};  // four chains: no serial dependency
  for (std::size_t i = 0; i < 256; i += 4) {
    for (std::size_t k = 0; k < 4; ++k) partial_min[k] = std::min(partial_min[k], distance[i + k]);
  }
  const double smallest = std::min(std::min(partial_min[0], partial_min[1]), std::min(partial_min[2], partial_min[3]));
  const double cutoff = smallest * (1.0 + 0x1p-50);
  int best = -1;
  for (int i = 0; i < 256; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    if (!(distance[ui] <= cutoff)) continue;
    if (best < 0 || strictly_closer(yd, v[ui], v[static_cast<std::size_t>(best)])) best = i;
  }
  if (is_signed) {
    const float chosen = v[static_cast<std::size_t>(best)];
    if (y < 0.0f && chosen >= 0.0f) best -= 1;
    if (y > 0.0f && chosen < 0.0f) best += 1;
  }
  return best;
}

/// Values that probe every decision of the nearest-code search: each map value, each exact
/// midpoint between neighbours (when it is a float) with the floats around it, tiny and huge
/// magnitudes, signed zeros, NaN, and random values.
std::vector<float> encode_inputs() {
  std::vector<float> in;
  auto around = [&in](float x) {
    in.push_back(x);
    in.push_back(std::nextafter(x, -kInf));
    in.push_back(std::nextafter(x, kInf));
  };
  for (QuantMap map : {QuantMap::signed_dynamic, QuantMap::unsigned_dynamic}) {
    const std::array<float, 256> v = map_values(map);
    for (std::size_t i = 0; i < 256; ++i) {
      around(v[i]);
      if (i == 255) continue;
      const double mid = (static_cast<double>(v[i]) + static_cast<double>(v[i + 1])) / 2.0;  // exact
      float below = static_cast<float>(mid);
      if (static_cast<double>(below) > mid) below = std::nextafter(below, -kInf);
      around(below);  // the largest float <= mid (mid itself when it is a float: a tie)
      around(std::nextafter(below, kInf));
    }
  }
  for (float x : {0.0f, std::numeric_limits<float>::denorm_min(), 1e-40f, std::numeric_limits<float>::min(), 1e-30f,
                  1e-10f, 1e-7f, 2e-7f, 1.0f, 1.5f, 2.0f, 1e30f, std::numeric_limits<float>::max(), kInf}) {
    around(x);
  }
  const std::size_t deterministic = in.size();
  for (std::size_t i = 0; i < deterministic; ++i) in.push_back(-in[i]);
  in.push_back(kNaN);
  in.push_back(-kNaN);

  std::mt19937 rng(7u);
  std::uniform_real_distribution<float> symmetric(-1.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_real_distribution<float> decades(-9.0f, 0.0f);
  for (int i = 0; i < 400000; ++i) in.push_back(symmetric(rng));
  for (int i = 0; i < 300000; ++i) in.push_back(unit(rng));
  // Log-uniform magnitudes reach the dense small codes that uniform values almost never hit.
  for (int i = 0; i < 300000; ++i) {
    const float magnitude = std::pow(10.0f, decades(rng));
    in.push_back((rng() & 1u) != 0 ? magnitude : -magnitude);
  }
  return in;
}

void check_encode_against_brute_force(QuantMap map, const std::vector<float>& inputs) {
  const std::array<float, 256> v = map_values(map);
  const bool is_signed = map == QuantMap::signed_dynamic;
  const bnb::kernels::QuantTable& table = bnb::quant_table(map);
  std::size_t mismatches = 0;
  std::ostringstream first;
  for (float y : inputs) {
    const int got = bnb::kernels::encode_value(table, y);
    const int want = reference_code(v, is_signed, y);
    if (got != want && mismatches++ < 8) {
      first << "\n  y=" << y << " (0x" << std::hex << float_bits(y) << std::dec << ") code " << got << ", want " << want;
    }
  }
  EXPECT_EQ(mismatches, 0u) << (is_signed ? "signed" : "unsigned") << " map, " << inputs.size() << " inputs"
                            << first.str();
}

TEST(EncodeValue, SignedMatchesBruteForceNearest) {
  const std::vector<float> inputs = encode_inputs();
  ASSERT_GE(inputs.size(), 1000000u);
  check_encode_against_brute_force(QuantMap::signed_dynamic, inputs);
}

TEST(EncodeValue, UnsignedMatchesBruteForceNearest) {
  const std::vector<float> inputs = encode_inputs();
  check_encode_against_brute_force(QuantMap::unsigned_dynamic, inputs);
}

TEST(EncodeValue, DocumentedSpecialCases) {
  const bnb::kernels::QuantTable& s = bnb::quant_table(QuantMap::signed_dynamic);
  const bnb::kernels::QuantTable& u = bnb::quant_table(QuantMap::unsigned_dynamic);
  EXPECT_EQ(bnb::kernels::encode_value(s, -0.0f), 127);
  EXPECT_EQ(bnb::kernels::encode_value(s, 0.0f), 127);
  EXPECT_EQ(bnb::kernels::encode_value(s, kNaN), 127);
  EXPECT_EQ(bnb::kernels::encode_value(s, -1e-30f), 126) << "a small negative value is stored as 126, not 0.0";
  EXPECT_EQ(bnb::kernels::encode_value(s, 1e-30f), 127);
  EXPECT_EQ(bnb::kernels::encode_value(s, 5.0f), 255) << "values above 1 saturate";
  EXPECT_EQ(bnb::kernels::encode_value(s, -5.0f), 0);
  EXPECT_EQ(bnb::kernels::encode_value(u, -0.0f), 0);
  EXPECT_EQ(bnb::kernels::encode_value(u, kNaN), 0);
  EXPECT_EQ(bnb::kernels::encode_value(u, 5.0f), 255);
}

// ---------------------------------------------------------------- input data in every dtype

/// One input tensor stored in a dtype, plus its values as the quantizer sees them (fp32, after
/// rounding to the dtype).
struct TypedInput {
  DType dtype;
  std::vector<float> f32;
  std::vector<bnb::half_t> f16;
  std::vector<bnb::bf16_t> bf16;
  std::vector<float> rounded;

  [[nodiscard]] const void* data() const {
    switch (dtype) {
      case DType::f16: return f16.data();
      case DType::bf16: return bf16.data();
      case DType::f32: break;
    }
    return f32.data();
  }
  [[nodiscard]] std::size_t size() const { return rounded.size(); }
};

TypedInput make_input(DType dtype, const std::vector<float>& x) {
  TypedInput in{dtype, {}, {}, {}, {}};
  in.rounded.resize(x.size());
  switch (dtype) {
    case DType::f32:
      in.f32 = x;
      in.rounded = x;
      break;
    case DType::f16:
      for (float v : x) in.f16.push_back(bnb::kernels::float_to_half(v));
      for (std::size_t i = 0; i < x.size(); ++i) in.rounded[i] = bnb::kernels::half_to_float(in.f16[i]);
      break;
    case DType::bf16:
      for (float v : x) in.bf16.push_back(bnb::kernels::float_to_bf16(v));
      for (std::size_t i = 0; i < x.size(); ++i) in.rounded[i] = bnb::kernels::bf16_to_float(in.bf16[i]);
      break;
  }
  return in;
}

struct Quantized {
  std::vector<std::uint8_t> codes;
  std::vector<float> absmax;
};

Quantized quantize(const TypedInput& in, QuantMap map, std::size_t block = kDefaultBlock, int threads = 1) {
  Quantized q{std::vector<std::uint8_t>(in.size()), std::vector<float>((in.size() + block - 1) / block)};
  bnb::quantize_blockwise(in.dtype, in.data(), in.size(), map, block, q.codes.data(), q.absmax.data(), threads);
  return q;
}

std::vector<float> dequantize(const Quantized& q, QuantMap map, std::size_t block = kDefaultBlock, int threads = 1) {
  std::vector<float> out(q.codes.size());
  bnb::dequantize_blockwise(q.codes.data(), q.absmax.data(), q.codes.size(), map, block, out.data(), threads);
  return out;
}

std::vector<float> normal_data(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

std::vector<float> uniform_data(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::f32: break;
  }
  return "f32";
}

// ---------------------------------------------------------------- round-trip error (SPEC.md §10)

enum class Distribution { normal, uniform };

struct ErrorBound {
  Distribution distribution;
  QuantMap map;
  double mean_abs;  // SPEC.md §10, bitsandbytes' own thresholds for 1024x1024 data
  double mean_rel;
};

constexpr ErrorBound kBounds[] = {
    {Distribution::normal, QuantMap::signed_dynamic, 0.011, 0.018},
    {Distribution::uniform, QuantMap::signed_dynamic, 0.0036, 0.015},
    {Distribution::uniform, QuantMap::unsigned_dynamic, 0.0023, 0.012},
};

constexpr std::size_t kSquare = 1024 * 1024;
constexpr std::size_t kWithTail = 1024 * 1024 + 77;  // last block holds 77 elements

using RoundTripParam = std::tuple<int, DType, std::size_t>;  // bound index, dtype, n

class RoundTrip : public ::testing::TestWithParam<RoundTripParam> {};

/// Mean |x' - x| over all elements and mean |x' - x| / |x| over the nonzero ones, where x is the
/// dtype-rounded input the quantizer saw. Zeros are left out of the relative mean because the
/// ratio is undefined there (they decode exactly to 0 anyway: 0.0 is a map value).
TEST_P(RoundTrip, MeanErrorsWithinSpecBounds) {
  const auto [bound_index, dtype, n] = GetParam();
  const ErrorBound& bound = kBounds[bound_index];
  // The same data for every dtype and size: the tail case is the square case plus 77 elements.
  static std::map<Distribution, std::vector<float>> cache;
  if (cache.empty()) {
    cache[Distribution::normal] = normal_data(kWithTail, 1u);
    cache[Distribution::uniform] = uniform_data(kWithTail, 2u);
  }
  const std::vector<float>& all = cache[bound.distribution];
  const TypedInput in = make_input(dtype, std::vector<float>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)));

  const Quantized q = quantize(in, bound.map);
  const std::vector<float> out = dequantize(q, bound.map);

  double abs_sum = 0.0;
  double rel_sum = 0.0;
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = in.rounded[i];
    const double err = std::fabs(static_cast<double>(out[i]) - x);
    abs_sum += err;
    if (x != 0.0) {
      rel_sum += err / std::fabs(x);
      ++nonzero;
    }
  }
  const double mean_abs = abs_sum / static_cast<double>(n);
  const double mean_rel = rel_sum / static_cast<double>(nonzero);
  EXPECT_LT(mean_abs, bound.mean_abs);
  EXPECT_LT(mean_rel, bound.mean_rel);
  RecordProperty("mean_abs", std::to_string(mean_abs));
  RecordProperty("mean_rel", std::to_string(mean_rel));

  // A 16-bit input quantizes exactly like its fp32 widening.
  if (dtype != DType::f32) {
    const Quantized q32 = quantize(make_input(DType::f32, in.rounded), bound.map);
    EXPECT_EQ(q.codes, q32.codes);
    EXPECT_EQ(std::memcmp(q.absmax.data(), q32.absmax.data(), q.absmax.size() * sizeof(float)), 0);
  }
}

std::string round_trip_name(const ::testing::TestParamInfo<RoundTripParam>& param) {
  static const char* const names[] = {"normal_signed", "uniform_signed", "uniform_unsigned"};
  const auto [bound_index, dtype, n] = param.param;
  return std::string(names[bound_index]) + "_" + dtype_name(dtype) + (n == kSquare ? "_square" : "_tail");
}

INSTANTIATE_TEST_SUITE_P(Spec10, RoundTrip,
                         ::testing::Combine(::testing::Values(0, 1, 2),
                                            ::testing::Values(DType::f32, DType::f16, DType::bf16),
                                            ::testing::Values(kSquare, kWithTail)),
                         round_trip_name);

// ---------------------------------------------------------------- block sizes and absmax

/// Every block's absmax is the exact max |x| of its elements, every code is the brute-force
/// reference code of x / absmax, and decoding gives map[code] * absmax.
void expect_blocks_exact(const TypedInput& in, QuantMap map, std::size_t block) {
  const Quantized q = quantize(in, map, block);
  const std::vector<float> out = dequantize(q, map, block);
  const std::array<float, 256> v = map_values(map);
  const bool is_signed = map == QuantMap::signed_dynamic;
  std::size_t bad_codes = 0;
  for (std::size_t b = 0; b < q.absmax.size(); ++b) {
    const std::size_t begin = b * block;
    const std::size_t end = std::min(begin + block, in.size());
    float max_abs = 0.0f;
    for (std::size_t i = begin; i < end; ++i) max_abs = std::max(max_abs, std::fabs(in.rounded[i]));
    ASSERT_EQ(float_bits(q.absmax[b]), float_bits(max_abs)) << "block " << b << " of size " << block;
    for (std::size_t i = begin; i < end; ++i) {
      const int want = max_abs == 0.0f ? (is_signed ? 127 : 0) : reference_code(v, is_signed, in.rounded[i] / max_abs);
      bad_codes += q.codes[i] != want ? 1 : 0;
      ASSERT_EQ(float_bits(out[i]), float_bits(v[q.codes[i]] * max_abs)) << "element " << i;
    }
  }
  EXPECT_EQ(bad_codes, 0u) << "block size " << block;
}

TEST(BlockSize, PowersOfTwoFrom64To4096AreAcceptedAndExact) {
  for (std::size_t block = 64; block <= 4096; block *= 2) {
    EXPECT_NO_THROW(bnb::check_block_size(block)) << block;
    const std::size_t n = 3 * block + 17;  // three full blocks and a tail
    std::vector<float> x = normal_data(n, static_cast<unsigned>(block));
    x[5] = 0.0f;
    x[block + 1] = -0.0f;
    expect_blocks_exact(make_input(DType::f32, x), QuantMap::signed_dynamic, block);
    for (float& e : x) e = std::fabs(e);
    expect_blocks_exact(make_input(DType::bf16, x), QuantMap::unsigned_dynamic, block);
  }
}

TEST(BlockSize, EmptyAndSingleElementInputs) {
  expect_blocks_exact(make_input(DType::f32, {}), QuantMap::signed_dynamic, kDefaultBlock);
  for (float x : {-3.0f, 2.5f, 0.0f, 1e-42f}) {
    expect_blocks_exact(make_input(DType::f32, {x}), QuantMap::signed_dynamic, kDefaultBlock);
    expect_blocks_exact(make_input(DType::f16, {x}), QuantMap::unsigned_dynamic, 64);
  }
}

void expect_rejected(const std::string& what, std::size_t block, const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << what << " accepted block size " << block;
  } catch (const bnb::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(block)), std::string::npos)
        << what << ": message does not name " << block << ": " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " threw something other than bnb::ConfigError (std::invalid_argument): " << e.what();
  }
}

TEST(BlockSize, OthersAreRejectedNamingTheValue) {
  const std::vector<float> x(16, 0.5f);
  std::vector<std::uint8_t> codes(x.size());
  std::vector<float> absmax(x.size());
  std::vector<float> out(x.size());
  for (std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{32}, std::size_t{63}, std::size_t{100},
                            std::size_t{4095}, std::size_t{8192}}) {
    expect_rejected("check_block_size", block, [&] { bnb::check_block_size(block); });
    expect_rejected("quantize_blockwise", block, [&] {
      bnb::quantize_blockwise(DType::f32, x.data(), x.size(), QuantMap::signed_dynamic, block, codes.data(),
                              absmax.data());
    });
    expect_rejected("dequantize_blockwise", block, [&] {
      bnb::dequantize_blockwise(codes.data(), absmax.data(), x.size(), QuantMap::signed_dynamic, block, out.data());
    });
  }
}

TEST(Blocks, AllZeroBlockStoresAbsmaxZeroAndZeroCode) {
  std::vector<float> x = normal_data(4 * kDefaultBlock + 10, 3u);
  for (std::size_t i = kDefaultBlock; i < 2 * kDefaultBlock; ++i) x[i] = (i % 3 == 0) ? -0.0f : 0.0f;
  for (std::size_t i = 4 * kDefaultBlock; i < x.size(); ++i) x[i] = 0.0f;  // the tail block too
  for (QuantMap map : {QuantMap::signed_dynamic, QuantMap::unsigned_dynamic}) {
    const std::uint8_t zero_code = map == QuantMap::signed_dynamic ? 127 : 0;
    for (DType dtype : {DType::f32, DType::f16, DType::bf16}) {
      const Quantized q = quantize(make_input(dtype, x), map);
      const std::vector<float> out = dequantize(q, map);
      for (std::size_t b : {std::size_t{1}, std::size_t{4}}) {
        EXPECT_EQ(float_bits(q.absmax[b]), 0u) << "block " << b << " " << dtype_name(dtype);
        for (std::size_t i = b * kDefaultBlock; i < std::min((b + 1) * kDefaultBlock, x.size()); ++i) {
          ASSERT_EQ(q.codes[i], zero_code) << "element " << i << " " << dtype_name(dtype);
          ASSERT_EQ(out[i], 0.0f) << "element " << i;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- non-finite input (quantize.hpp)

TEST(Blocks, NonFiniteInputPoisonsOnlyItsBlockAsDocumented) {
  constexpr std::size_t kBlocks = 8;
  const std::vector<float> clean = normal_data(kBlocks * kDefaultBlock + 77, 4u);
  std::vector<float> dirty = clean;
  dirty[3] = kNaN;                                 // block 0: NaN
  dirty[kDefaultBlock + 10] = kInf;                // block 1: +Inf
  dirty[2 * kDefaultBlock + 255] = -kInf;          // block 2: -Inf (last element of the block)
  dirty[3 * kDefaultBlock] = kInf;                 // block 3: Inf and NaN
  dirty[3 * kDefaultBlock + 100] = -kNaN;
  dirty[kBlocks * kDefaultBlock + 76] = kNaN;      // tail block: NaN as its last element
  const std::size_t tail = kBlocks;
  struct Expect {
    std::size_t block;
    bool nan;  // absmax NaN (a NaN present) or +Inf (only Inf)
  };
  const Expect poisoned[] = {{0, true}, {1, false}, {2, false}, {3, true}, {tail, true}};

  for (QuantMap map : {QuantMap::signed_dynamic, QuantMap::unsigned_dynamic}) {
    const std::uint8_t zero_code = map == QuantMap::signed_dynamic ? 127 : 0;
    for (DType dtype : {DType::f32, DType::f16, DType::bf16}) {
      SCOPED_TRACE(dtype_name(dtype));
      const Quantized good = quantize(make_input(dtype, clean), map);
      const Quantized bad = quantize(make_input(dtype, dirty), map);
      const std::vector<float> out = dequantize(bad, map);
      for (const Expect& p : poisoned) {
        if (p.nan) {
          EXPECT_TRUE(std::isnan(bad.absmax[p.block])) << "block " << p.block;
        } else {
          EXPECT_EQ(bad.absmax[p.block], kInf) << "block " << p.block;
        }
        for (std::size_t i = p.block * kDefaultBlock; i < std::min((p.block + 1) * kDefaultBlock, clean.size()); ++i) {
          ASSERT_EQ(bad.codes[i], zero_code) << "element " << i;
          ASSERT_TRUE(std::isnan(out[i])) << "element " << i << " decodes to " << out[i];
        }
      }
      for (std::size_t b = 4; b < kBlocks; ++b) {  // untouched blocks are unaffected
        EXPECT_EQ(float_bits(bad.absmax[b]), float_bits(good.absmax[b])) << "block " << b;
        for (std::size_t i = b * kDefaultBlock; i < (b + 1) * kDefaultBlock; ++i) {
          ASSERT_EQ(bad.codes[i], good.codes[i]) << "element " << i;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- threads

TEST(Blocks, TwoThreadsGiveIdenticalOutput) {
  const std::vector<float> x = normal_data(kWithTail, 5u);
  for (DType dtype : {DType::f32, DType::bf16}) {
    const TypedInput in = make_input(dtype, x);
    for (QuantMap map : {QuantMap::signed_dynamic, QuantMap::unsigned_dynamic}) {
      const Quantized one = quantize(in, map, kDefaultBlock, 1);
      const Quantized two = quantize(in, map, kDefaultBlock, 2);
      EXPECT_EQ(one.codes, two.codes) << dtype_name(dtype);
      EXPECT_EQ(std::memcmp(one.absmax.data(), two.absmax.data(), one.absmax.size() * sizeof(float)), 0);
      const std::vector<float> out_one = dequantize(one, map, kDefaultBlock, 1);
      const std::vector<float> out_two = dequantize(one, map, kDefaultBlock, 2);
      EXPECT_EQ(std::memcmp(out_one.data(), out_two.data(), out_one.size() * sizeof(float)), 0) << dtype_name(dtype);
    }
  }
}

}  // namespace
