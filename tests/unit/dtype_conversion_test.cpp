// fp16 / bf16 <-> fp32 conversions of dtype.hpp against an independent reference: decoding is
// sign * mantissa * 2^exponent evaluated with ldexp in double; encoding picks the nearer of the
// two neighbouring 16-bit values by exact comparison in double (ties to the even mantissa,
// overflow to Inf as IEEE says, NaN stays NaN with its sign).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"

namespace {

using bnb::kernels::bits_float;
using bnb::kernels::float_bits;

constexpr float kInf = std::numeric_limits<float>::infinity();

/// A binary 16-bit floating-point format described only by its field widths.
struct Format {
  const char* name;
  int exponent_bits;
  int mantissa_bits;

  [[nodiscard]] int bias() const { return (1 << (exponent_bits - 1)) - 1; }
  [[nodiscard]] std::uint32_t exponent_all_ones() const { return (1u << exponent_bits) - 1u; }
  [[nodiscard]] std::uint16_t inf_bits() const {
    return static_cast<std::uint16_t>(exponent_all_ones() << mantissa_bits);
  }
  [[nodiscard]] std::uint16_t max_finite_bits() const { return static_cast<std::uint16_t>(inf_bits() - 1u); }
};

constexpr Format kHalf{"fp16", 5, 10};
constexpr Format kBf16{"bf16", 8, 7};

enum class Kind { finite, infinite, nan };

Kind classify(const Format& f, std::uint16_t bits) {
  const std::uint32_t exponent = (bits >> f.mantissa_bits) & f.exponent_all_ones();
  const std::uint32_t mantissa = bits & ((1u << f.mantissa_bits) - 1u);
  if (exponent != f.exponent_all_ones()) return Kind::finite;
  return mantissa == 0 ? Kind::infinite : Kind::nan;
}

/// Value of a finite 16-bit pattern: (implicit bit + mantissa) * 2^(exponent - bias - mantissa_bits),
/// with the subnormal exponent 1 - bias and no implicit bit. Every such value is exact in double.
double reference_decode(const Format& f, std::uint16_t bits) {
  const bool negative = (bits & 0x8000u) != 0;
  const int exponent = static_cast<int>((bits >> f.mantissa_bits) & f.exponent_all_ones());
  const int mantissa = static_cast<int>(bits & ((1u << f.mantissa_bits) - 1u));
  const double magnitude = exponent == 0
                               ? std::ldexp(mantissa, 1 - f.bias() - f.mantissa_bits)
                               : std::ldexp((1 << f.mantissa_bits) + mantissa, exponent - f.bias() - f.mantissa_bits);
  return negative ? -magnitude : magnitude;
}

/// Value of a non-NaN 16-bit pattern as fp32 (exact), Inf included.
float reference_value(const Format& f, std::uint16_t bits) {
  if (classify(f, bits) == Kind::infinite) return (bits & 0x8000u) != 0 ? -kInf : kInf;
  return static_cast<float>(reference_decode(f, bits));
}

/// All non-negative finite values of a format, ascending; index == bit pattern.
std::vector<double> positive_values(const Format& f) {
  std::vector<double> values;
  for (std::uint32_t b = 0; b <= f.max_finite_bits(); ++b) values.push_back(reference_decode(f, static_cast<std::uint16_t>(b)));
  return values;
}

/// Reference fp32 -> 16-bit rounding for a non-NaN input.
class ReferenceEncoder {
 public:
  explicit ReferenceEncoder(const Format& f) : format_(f), values_(positive_values(f)) {
    const double max = values_.back();
    // Round-to-nearest with unbounded exponent gives 2^(emax+1) from max + ulp/2 upwards (the tie
    // goes to the even mantissa, which is the next binade), and that overflows to Inf.
    overflow_threshold_ = max + (max - values_[values_.size() - 2]) / 2.0;
  }

  [[nodiscard]] double overflow_threshold() const { return overflow_threshold_; }
  [[nodiscard]] const std::vector<double>& values() const { return values_; }

  [[nodiscard]] std::uint16_t encode(float x) const {
    const std::uint16_t sign = std::signbit(x) ? 0x8000u : 0u;
    const double a = std::fabs(static_cast<double>(x));
    if (a >= overflow_threshold_) return static_cast<std::uint16_t>(sign | format_.inf_bits());
    const std::size_t above = static_cast<std::size_t>(std::upper_bound(values_.begin(), values_.end(), a) - values_.begin());
    const std::size_t lo = above - 1;  // values_[lo] <= a; values_[0] == 0 <= a always
    std::size_t chosen = lo;
    if (values_[lo] != a && lo + 1 < values_.size()) {
      const std::size_t hi = lo + 1;
      // |a - lo| vs |hi - a| as 2a vs lo + hi: both sides are exact in double (neighbouring
      // 16-bit values have few significant bits, 2a is a scaled float).
      const double twice = 2.0 * a;
      const double sum = values_[lo] + values_[hi];
      if (twice > sum) {
        chosen = hi;
      } else if (twice == sum) {
        chosen = (lo % 2 == 0) ? lo : hi;  // index == bit pattern, so even index == even mantissa
      }
    }
    return static_cast<std::uint16_t>(sign | chosen);
  }

 private:
  Format format_;
  std::vector<double> values_;
  double overflow_threshold_ = 0.0;
};

/// Counts failures and keeps the first few for the message.
class Mismatches {
 public:
  void add(const std::string& what) {
    if (count_ < 8) text_ << "\n  " << what;
    ++count_;
  }
  [[nodiscard]] std::size_t count() const { return count_; }
  [[nodiscard]] std::string text() const { return text_.str(); }

 private:
  std::size_t count_ = 0;
  std::ostringstream text_;
};

std::string hex(std::uint32_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// ---------------------------------------------------------------- 16-bit -> fp32, exhaustive

template <class Decode>
void check_decode_exhaustive(const Format& f, Decode decode) {
  Mismatches bad;
  for (std::uint32_t b = 0; b <= 0xffffu; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float got = decode(bits);
    const bool negative = (bits & 0x8000u) != 0;
    switch (classify(f, bits)) {
      case Kind::finite: {
        // Every finite 16-bit value is exactly representable in fp32.
        const float want = static_cast<float>(reference_decode(f, bits));
        if (float_bits(got) != float_bits(want)) bad.add(hex(b) + " -> " + hex(float_bits(got)) + ", want " + hex(float_bits(want)));
        break;
      }
      case Kind::infinite:
        if (got != (negative ? -kInf : kInf)) bad.add(hex(b) + " (Inf) -> " + hex(float_bits(got)));
        break;
      case Kind::nan:
        if (!std::isnan(got) || std::signbit(got) != negative) bad.add(hex(b) + " (NaN) -> " + hex(float_bits(got)));
        break;
    }
  }
  EXPECT_EQ(bad.count(), 0u) << f.name << " decode mismatches:" << bad.text();
}

TEST(DtypeConversion, HalfToFloatAllPatterns) {
  check_decode_exhaustive(kHalf, [](std::uint16_t b) { return bnb::kernels::half_to_float(bnb::half_t{b}); });
}

TEST(DtypeConversion, Bf16ToFloatAllPatterns) {
  check_decode_exhaustive(kBf16, [](std::uint16_t b) { return bnb::kernels::bf16_to_float(bnb::bf16_t{b}); });
}

// ---------------------------------------------------------------- fp32 -> 16-bit

/// fp32 inputs that probe every rounding decision of a format: every 16-bit value, every midpoint
/// between neighbours and the float on either side of it, the overflow threshold and its
/// neighbours, and special values; both signs.
std::vector<float> boundary_inputs(const ReferenceEncoder& ref) {
  std::vector<float> inputs;
  const std::vector<double>& v = ref.values();
  auto push_with_neighbours = [&inputs](float x) {
    inputs.push_back(x);
    inputs.push_back(std::nextafter(x, -kInf));
    inputs.push_back(std::nextafter(x, kInf));
  };
  for (std::size_t i = 0; i < v.size(); ++i) {
    push_with_neighbours(static_cast<float>(v[i]));
    if (i + 1 < v.size()) {
      const double mid = (v[i] + v[i + 1]) / 2.0;
      const auto mid_f = static_cast<float>(mid);
      EXPECT_EQ(static_cast<double>(mid_f), mid) << "midpoint " << i << " is not a float";
      push_with_neighbours(mid_f);
    }
  }
  push_with_neighbours(static_cast<float>(ref.overflow_threshold()));
  for (float x : {0.0f, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::max(), kInf, 1.0f, 65504.0f, 65520.0f, 65536.0f}) {
    push_with_neighbours(x);
  }
  const std::size_t positive = inputs.size();
  for (std::size_t i = 0; i < positive; ++i) inputs.push_back(-inputs[i]);
  return inputs;
}

/// Random fp32 bit patterns: fully random (every exponent, including NaN and Inf) and random
/// mantissas below `subnormal_limit` (the 16-bit subnormal range, where rounding is special).
std::vector<float> random_inputs(float subnormal_limit, std::size_t count) {
  std::mt19937 rng(20240613u);
  std::vector<float> inputs;
  inputs.reserve(count + count / 4);
  for (std::size_t i = 0; i < count; ++i) inputs.push_back(bits_float(static_cast<std::uint32_t>(rng())));
  const std::uint32_t limit = float_bits(subnormal_limit);
  std::uniform_int_distribution<std::uint32_t> below(0, limit);
  for (std::size_t i = 0; i < count / 4; ++i) {
    inputs.push_back(bits_float(below(rng) | (static_cast<std::uint32_t>(rng()) & 0x80000000u)));
  }
  return inputs;
}

template <class Encode, class Decode>
void check_encode(const Format& f, const ReferenceEncoder& ref, const std::vector<float>& inputs, Encode encode,
                  Decode decode, const char* what) {
  Mismatches bad;
  for (float x : inputs) {
    const std::uint16_t got = encode(x);
    if (std::isnan(x)) {
      // NaN stays NaN (any payload, quiet) and keeps its sign.
      if (classify(f, got) != Kind::nan || ((got & 0x8000u) != 0) != std::signbit(x)) {
        bad.add("NaN " + hex(float_bits(x)) + " -> " + hex(got));
      }
      continue;
    }
    const std::uint16_t want = ref.encode(x);
    if (got != want) bad.add(hex(float_bits(x)) + " -> " + hex(got) + ", want " + hex(want));
    // Storage<T>::round is encode followed by decode; decode is exact for non-NaN patterns.
    if (float_bits(decode(x)) != float_bits(reference_value(f, want))) bad.add("round(" + hex(float_bits(x)) + ")");
  }
  EXPECT_EQ(bad.count(), 0u) << f.name << " encode mismatches (" << what << ", " << inputs.size()
                             << " inputs):" << bad.text();
}

auto half_encode = [](float x) { return bnb::kernels::float_to_half(x).bits; };
auto half_round = [](float x) { return bnb::kernels::Storage<bnb::half_t>::round(x); };
auto bf16_encode = [](float x) { return bnb::kernels::float_to_bf16(x).bits; };
auto bf16_round = [](float x) { return bnb::kernels::Storage<bnb::bf16_t>::round(x); };

constexpr std::size_t kRandomCount = std::size_t{1} << 22;

TEST(DtypeConversion, FloatToHalfBoundaries) {
  const ReferenceEncoder ref(kHalf);
  EXPECT_EQ(ref.overflow_threshold(), 65520.0);
  std::vector<float> inputs = boundary_inputs(ref);
  // Every float from the largest half (65504) through the overflow threshold (65520) to 2^16.
  for (float x = 65504.0f; x <= 65536.0f; x = std::nextafter(x, kInf)) {
    inputs.push_back(x);
    inputs.push_back(-x);
  }
  check_encode(kHalf, ref, inputs, half_encode, half_round, "boundaries");
}

TEST(DtypeConversion, FloatToHalfRandom) {
  const ReferenceEncoder ref(kHalf);
  check_encode(kHalf, ref, random_inputs(0x1p-14f, kRandomCount), half_encode, half_round, "random");
}

TEST(DtypeConversion, FloatToBf16Boundaries) {
  const ReferenceEncoder ref(kBf16);
  check_encode(kBf16, ref, boundary_inputs(ref), bf16_encode, bf16_round, "boundaries");
}

TEST(DtypeConversion, FloatToBf16Random) {
  const ReferenceEncoder ref(kBf16);
  check_encode(kBf16, ref, random_inputs(0x1p-126f, kRandomCount), bf16_encode, bf16_round, "random");
}

TEST(DtypeConversion, NaNPayloadsStayNaNWithSign) {
  const ReferenceEncoder half_ref(kHalf);
  const ReferenceEncoder bf16_ref(kBf16);
  std::vector<float> nans;
  // Quiet and signalling NaNs whose payload lives only in the bits that the conversion drops.
  for (std::uint32_t payload : {0x1u, 0x1fffu, 0xffffu, 0x400000u, 0x7fffffu, 0x000200u, 0x2000u, 0x10000u}) {
    nans.push_back(bits_float(0x7f800000u | payload));
    nans.push_back(bits_float(0xff800000u | payload));
  }
  check_encode(kHalf, half_ref, nans, half_encode, half_round, "NaN payloads");
  check_encode(kBf16, bf16_ref, nans, bf16_encode, bf16_round, "NaN payloads");
}

TEST(DtypeConversion, SixteenBitRoundTripIsIdentity) {
  for (std::uint32_t b = 0; b <= 0xffffu; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const std::uint16_t half_back = bnb::kernels::float_to_half(bnb::kernels::half_to_float(bnb::half_t{bits})).bits;
    const std::uint16_t bf16_back = bnb::kernels::float_to_bf16(bnb::kernels::bf16_to_float(bnb::bf16_t{bits})).bits;
    if (classify(kHalf, bits) != Kind::nan) {
      ASSERT_EQ(half_back, bits) << "fp16 " << hex(b);
    } else {
      ASSERT_EQ(classify(kHalf, half_back), Kind::nan) << "fp16 " << hex(b);
      ASSERT_EQ(half_back & 0x8000u, bits & 0x8000u) << "fp16 " << hex(b);
    }
    if (classify(kBf16, bits) != Kind::nan) {
      ASSERT_EQ(bf16_back, bits) << "bf16 " << hex(b);
    } else {
      ASSERT_EQ(classify(kBf16, bf16_back), Kind::nan) << "bf16 " << hex(b);
      ASSERT_EQ(bf16_back & 0x8000u, bits & 0x8000u) << "bf16 " << hex(b);
    }
  }
}

}  // namespace
