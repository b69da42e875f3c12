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
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/code_buckets.hpp"
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

/// The bucket table of `t`, or nullptr when the map does not fit (some bucket would hold more
/// than one threshold at every resolution up to 32 KiB of words), with the direct words too when
/// `with_direct` and they take at most 256 KiB (7 mantissa bits or fewer). The buckets come from
/// the one builder, make_code_buckets (code_buckets.hpp, compiled once, not per variant), which
/// the CUDA step's tables use too.
inline std::unique_ptr<BucketTable> make_bucket_table(const QuantTable& t, bool with_direct) {
  constexpr int kMinDirectShift = 16;  // at most 2^16 direct words
  const auto buckets = std::make_unique<CodeBuckets>(make_code_buckets(t));  // 32 KiB: not on the stack
  if (!buckets->usable) return nullptr;
  auto table = std::make_unique<BucketTable>();
  BucketTable& b = *table;
  b.shift = static_cast<int>(buckets->shift);
  b.base = buckets->base;
  b.per_sign = buckets->per_sign;
  b.low_mask = buckets->low_mask;
  b.words.assign(buckets->words, buckets->words + 2 * b.per_sign);
  // +-0 sit in bucket 0 of their sign with key 0 (+0) and low_mask (-0, reversed).
  b.zero_code_value = buckets->zero_code;
  b.zero_fix = bucket_code(b, 0.0f) != b.zero_code_value || bucket_code(b, -0.0f) != b.zero_code_value;
  if (with_direct && b.shift >= kMinDirectShift) b.direct = direct_words(b);
  return table;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
