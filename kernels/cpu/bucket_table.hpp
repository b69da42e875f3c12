#pragma once
// Exact 8-bit encoder with one table look-up per value: a table indexed by the float's sign,
// exponent and top mantissa bits ("bucket") gives, for every bucket, the code of the bucket's
// lowest value and where the bucket's one threshold, if any, sits inside the bucket.
//
// count(y) = the number of thresholds upper[j] <= y, which encode_value() finds by binary
// search. count is monotone in y, so for y in a bucket it lies between count(lowest) and
// count(highest) of the bucket. The table is only accepted when that difference is at most 1
// for every bucket (checked when the table is built, so any sorted map works, including maps
// loaded from checkpoints; a map that does not fit gets no table and keeps the binary search).
// Then count(y) = lo + (y >= upper[lo]), and since y and upper[lo] share sign, exponent and the
// bucket's mantissa bits, the comparison only needs the remaining low mantissa bits ("key"):
//     key(y) = low bits of |y|, reversed (mask - low) for negative y (y >= t <=> |y| <= |t|)
//     count(y) = lo + (key(y) >= sub),   sub = key(upper[lo]) >= 1.
// The table word makes that one integer addition: word = code_lo << 24 | (2^24 - sub), so that
// key + (2^24 - sub) carries into bit 24 exactly when key >= sub (keys are below 2^23), and
//     code(y) = (word + key(y)) >> 24.
// A bucket without threshold stores 0 below bit 24. The signed map's sign correction (a negative
// y never takes the code of 0.0 or above, SPEC.md §5.3) depends only on the sign and count, so
// it is applied to code_lo and code_lo + 1 when the table is built (a threshold whose two sides
// correct to the same code disappears). What the table cannot express is the value 0 itself:
// -0 shares the bucket of the smallest negative magnitudes but takes no correction; `zero_fix`
// says when y == 0 needs its own code (`zero_code_value`), and NaN takes the map's zero code.
//
// Bucket of y: clamp(bits(|y|) >> shift, base, base + per_sign - 1) - base, plus per_sign for a
// set sign bit. The clamps make bucket 0 of each sign hold everything below the covered binades
// (zero, subnormals) and the last bucket everything above (|y| > 1, infinity, NaN); both must
// hold no threshold.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/quant_table.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

struct BucketTable {
  int shift = 0;           // 23 - mantissa bits per binade
  std::int32_t base = 0;   // (bits(|y|) >> shift) of bucket 0
  std::int32_t per_sign = 0;
  std::uint32_t low_mask = 0;        // (1 << shift) - 1
  bool zero_fix = false;             // y == +-0 takes zero_code_value instead of its bucket's code
  std::uint8_t zero_code_value = 0;  // encode_value(t, 0)
  std::vector<std::uint32_t> words;  // 2 * per_sign: code_lo << 24 | (2^24 - sub), or code_lo << 24
  std::vector<std::uint32_t> direct;  // indexed by bits(y) >> shift (direct_words), or empty
};

/// The words indexed by bits(y) >> shift itself, sign bit included: every index below the
/// covered binades holds its sign's bucket 0, every one above its last bucket, so the clamps and
/// the sign's offset of bucket_code() become the shift alone. 2^(32 - shift) entries (128 KiB for
/// the signed dynamic map, 256 KiB for the unsigned one); a step touches only the lines of the
/// binades its values occupy, about as many as the clamped table's.
inline std::vector<std::uint32_t> direct_words(const BucketTable& b) {
  const std::int32_t half = std::int32_t{1} << (31 - b.shift);  // indices per sign
  std::vector<std::uint32_t> direct(static_cast<std::size_t>(2 * half));
  for (std::int32_t negative = 0; negative < 2; ++negative) {
    for (std::int32_t i = 0; i < half; ++i) {
      const std::int32_t bucket = std::min(std::max(i, b.base), b.base + b.per_sign - 1) - b.base;
      direct[static_cast<std::size_t>(negative * half + i)] = b.words[static_cast<std::size_t>(bucket + negative * b.per_sign)];
    }
  }
  return direct;
}

/// Number of map values < 0 (values sorted ascending): codes below it decode to negatives.
inline int negative_count(const QuantTable& t) {
  int n = 0;
  for (int step = 128; step >= 1; step >>= 1) n += (t.values[n + step - 1] < 0.0f) ? step : 0;
  return n + (t.values[n] < 0.0f ? 1 : 0);
}

/// encode_value()'s sign correction of a count for a nonzero y of the given sign.
inline int sign_corrected(const QuantTable& t, int negatives, int count, bool negative) {
  if (!t.is_signed) return count;
  return negative ? count - (count >= negatives ? 1 : 0) : count + (count < negatives ? 1 : 0);
}

/// Number of thresholds <= y: encode_value()'s search without the sign correction.
inline int threshold_count(const QuantTable& t, float y) {
  int code = 0;
  for (int step = 128; step >= 1; step >>= 1) code += (y >= t.upper[code + step - 1]) ? step : 0;
  return code;
}

/// The code of any y that is not NaN or zero, from the table (NaN and zero give some code in
/// 0..255; encode() replaces them).
inline int bucket_code(const BucketTable& b, float y) {
  const std::uint32_t bits = float_bits(y);
  const std::uint32_t mag = bits & 0x7fffffffu;
  const bool negative = (bits >> 31) != 0;
  std::int32_t i = static_cast<std::int32_t>(mag >> b.shift);
  i = i < b.base ? b.base : i;
  i = i > b.base + b.per_sign - 1 ? b.base + b.per_sign - 1 : i;
  const std::uint32_t word = b.words[static_cast<std::size_t>(i - b.base + (negative ? b.per_sign : 0))];
  const std::uint32_t key = (mag & b.low_mask) ^ (negative ? b.low_mask : 0u);
  return static_cast<int>((word + key) >> 24);
}

/// Bit patterns of the smallest nonzero and the largest threshold magnitude: the binades a
/// bucket scheme must resolve. Empty when a threshold is not finite or all are zero (no bucket
/// scheme applies then).
struct ThresholdMagnitudes {
  std::uint32_t min = 0, max = 0;
};

inline std::optional<ThresholdMagnitudes> threshold_magnitudes(const QuantTable& t) {
  ThresholdMagnitudes r{0x7f800000u, 0};
  for (int j = 0; j < 255; ++j) {
    const std::uint32_t m = float_bits(t.upper[j]) & 0x7fffffffu;
    if (m >= 0x7f800000u) return std::nullopt;
    if (m != 0 && m < r.min) r.min = m;
    if (m > r.max) r.max = m;
  }
  if (r.max == 0) return std::nullopt;
  return r;
}

/// The bucket table with 2^mantissa_bits buckets per binade, or nullptr when some bucket holds
/// more than one threshold (or an end bucket holds any) or the table would exceed max_per_sign.
inline std::unique_ptr<BucketTable> try_bucket_table(const QuantTable& t, int mantissa_bits, std::int32_t max_per_sign) {
  // Covered binades: one below that of the smallest nonzero threshold magnitude up to two above
  // the largest finite one, so that the clamped end buckets hold no threshold.
  const std::optional<ThresholdMagnitudes> mags = threshold_magnitudes(t);
  if (!mags) return nullptr;
  const std::int32_t e_top = static_cast<std::int32_t>(mags->max >> 23) + 2;  // first binade not covered
  const std::int32_t e_low = static_cast<std::int32_t>(mags->min >> 23) - 1;
  const std::int32_t per_binade = std::int32_t{1} << mantissa_bits;
  if (e_low < 0 || e_top > 254 || (e_top - e_low) * per_binade > max_per_sign) return nullptr;

  auto table = std::make_unique<BucketTable>();
  BucketTable& b = *table;
  b.shift = 23 - mantissa_bits;
  b.base = (e_low << 23) >> b.shift;
  b.per_sign = (e_top - e_low) * per_binade;
  b.low_mask = (1u << b.shift) - 1u;
  b.words.assign(static_cast<std::size_t>(2 * b.per_sign), 0);
  const int negatives = negative_count(t);

  for (std::int32_t i = 0; i < b.per_sign; ++i) {
    // Magnitude range of bucket i: [low, high] as bit patterns (end buckets reach 0 and +inf).
    const bool end_bucket = i == 0 || i == b.per_sign - 1;
    const std::uint32_t low = i == 0 ? 0u : static_cast<std::uint32_t>(b.base + i) << b.shift;
    const std::uint32_t high =
        i == b.per_sign - 1 ? 0x7f800000u : (static_cast<std::uint32_t>(b.base + i + 1) << b.shift) - 1u;
    for (int negative = 0; negative < 2; ++negative) {
      const float lowest = negative ? -bits_float(high) : bits_float(low);
      const float highest = negative ? -bits_float(low) : bits_float(high);
      const int lo = threshold_count(t, lowest);
      const int inside = threshold_count(t, highest) - lo;
      if (inside > 1 || (inside == 1 && end_bucket)) return nullptr;
      const int code_lo = sign_corrected(t, negatives, lo, negative != 0);
      std::uint32_t carry = 0;
      if (inside == 1 && sign_corrected(t, negatives, lo + 1, negative != 0) != code_lo) {
        // upper[lo] lies in this bucket: same sign, same bucket bits; keep its low bits. It is
        // above the bucket's lowest value, so sub >= 1.
        const std::uint32_t th = float_bits(t.upper[lo]);
        const std::uint32_t mag = th & 0x7fffffffu;
        if ((th >> 31) != static_cast<std::uint32_t>(negative) || (mag >> b.shift) != static_cast<std::uint32_t>(b.base + i)) {
          return nullptr;
        }
        const std::uint32_t sub = negative ? b.low_mask - (mag & b.low_mask) : mag & b.low_mask;
        if (sub == 0) return nullptr;
        carry = (1u << 24) - sub;
      }
      b.words[static_cast<std::size_t>(i + negative * b.per_sign)] = static_cast<std::uint32_t>(code_lo) << 24 | carry;
    }
  }
  // +-0 sit in bucket 0 of their sign with key 0 (+0) and low_mask (-0, reversed).
  b.zero_code_value = encode_value(t, 0.0f);
  b.zero_fix = bucket_code(b, 0.0f) != b.zero_code_value || bucket_code(b, -0.0f) != b.zero_code_value;
  return table;
}

/// The smallest table that fits (fewest buckets per binade), with the direct words too when
/// `with_direct` and they take at most 256 KiB (7 mantissa bits or fewer).
inline std::unique_ptr<BucketTable> make_bucket_table(const QuantTable& t, bool with_direct) {
  constexpr std::int32_t kMaxPerSign = 4096;  // at most 32 KiB of table
  constexpr int kMinDirectShift = 16;         // at most 2^16 direct words
  for (int mantissa_bits = 3; mantissa_bits <= 8; ++mantissa_bits) {
    if (auto table = try_bucket_table(t, mantissa_bits, kMaxPerSign)) {
      if (with_direct && table->shift >= kMinDirectShift) table->direct = direct_words(*table);
      return table;
    }
  }
  return nullptr;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
