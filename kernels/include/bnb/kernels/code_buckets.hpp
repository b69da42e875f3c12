#pragma once
// The quantization table as the CUDA step reads it: the map (QuantTable) and, when the map fits,
// an exact one-look-up encoder in place of encode_value's 8-step dependent binary search. The
// scheme is the CPU's bucket table (kernels/cpu/bucket_table.hpp, docs/performance.md "The exact
// 8-bit codec"): a float's sign, exponent and top mantissa bits pick a word, the remaining
// mantissa bits ("key") decide whether the bucket's one threshold is passed, and
//     code(y) = (word + key(y)) >> 24,   word = code_lo << 24 | (2^24 - sub),
// with the signed map's sign correction baked into code_lo. The words here are a fixed-size array
// so that the whole table is one trivially copyable block uploaded beside the map. The builder is
// compiled once (kernels/cuda/code_buckets.cpp); the CPU variants copy its buckets into their
// own tables (kernels/cpu/bucket_table.hpp), the CUDA host code uploads them.
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/hd.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

/// Buckets per sign at most: 32 KiB of words, room for the built-in dynamic maps (signed: 1536
/// per sign, unsigned: 3200 per sign, at 7 and 8 mantissa bits).
inline constexpr int kMaxCodeBuckets = 4096;

struct CodeBuckets {
  bool usable = false;         // false: the map does not fit, encode with encode_value
  std::uint8_t zero_code = 0;  // encode_value(t, +-0)
  std::uint8_t nan_code = 0;   // encode_value(t, NaN): the map's zero code
  std::uint32_t shift = 0;     // 23 - mantissa bits per binade
  std::int32_t base = 0;       // (bits(|y|) >> shift) of bucket 0
  std::int32_t per_sign = 0;
  std::uint32_t low_mask = 0;  // (1 << shift) - 1
  std::uint32_t words[2 * kMaxCodeBuckets] = {};  // [negative * per_sign + bucket]
};

/// One row's table on the device: the map (decode, the underflow guard, 4-bit and e4m3 codes)
/// and its bucket encoder.
struct DeviceCodeTable {
  QuantTable map{};
  CodeBuckets buckets{};
};

/// The bucket encoder of `t`, or one with usable = false when some bucket would hold more than
/// one threshold at every resolution up to kMaxCodeBuckets (host only; kernels/cuda/code_buckets.cpp).
CodeBuckets make_code_buckets(const QuantTable& t);

/// The map with its bucket encoder (host only; the encoder built once per table content).
void prepare_device_code_table(const QuantTable& t, DeviceCodeTable& out);

/// What bucket_encode reads besides the words, separate from the table so that a kernel reads it
/// from its arguments (the constant bank: no load and no register per element). words ==
/// nullptr: no table.
struct BucketShape {
  const std::uint32_t* words = nullptr;
  std::uint32_t shift = 0;
  std::int32_t base = 0;
  std::int32_t per_sign = 0;
  std::uint32_t low_mask = 0;
  std::uint8_t zero_code = 0;
  std::uint8_t nan_code = 0;
};

BNB_HD BucketShape bucket_shape(const CodeBuckets& b) {
  BucketShape s;
  s.words = b.usable ? b.words : nullptr;
  s.shift = b.shift;
  s.base = b.base;
  s.per_sign = b.per_sign;
  s.low_mask = b.low_mask;
  s.zero_code = b.zero_code;
  s.nan_code = b.nan_code;
  return s;
}

/// encode_value(t, y) for every float y, from a usable table of t: one look-up. Bucket of y:
/// clamp(bits(|y|) >> shift) to the covered binades, plus per_sign for a set sign bit; the clamped
/// end buckets (zero and subnormals below, |y| > 1, infinity and NaN above) hold no threshold.
/// What the words cannot express is selected afterwards: +-0 (the signed correction would move
/// -0) and NaN.
BNB_HD std::uint8_t bucket_encode(const BucketShape& b, float y) {
  const std::uint32_t bits = float_bits(y);
  const std::uint32_t mag = bits & 0x7fffffffu;
  const std::uint32_t negative = bits >> 31;
  std::int32_t i = static_cast<std::int32_t>(mag >> b.shift) - b.base;
  i = i < 0 ? 0 : i;
  i = i > b.per_sign - 1 ? b.per_sign - 1 : i;
  const std::uint32_t word = b.words[i + (negative != 0 ? b.per_sign : 0)];
  const std::uint32_t key = (mag & b.low_mask) ^ (b.low_mask & (0u - negative));  // reversed below 0
  const std::uint32_t code = (word + key) >> 24;
  if (mag > 0x7f800000u) return b.nan_code;
  return mag == 0 ? b.zero_code : static_cast<std::uint8_t>(code);
}

/// The nearest code of y: the bucket encoder where the map has one, else the binary search.
BNB_HD std::uint8_t encode_with(const BucketShape& b, const QuantTable& map, float y) {
  return b.words != nullptr ? bucket_encode(b, y) : encode_value(map, y);
}

BNB_HD std::uint8_t encode_with(const DeviceCodeTable& t, float y) { return encode_with(bucket_shape(t.buckets), t.map, y); }

/// The shape of `t`'s bucket encoder with words == nullptr (host only; remembered per map, so a
/// step's argument packing does not rebuild the table): the kernel arguments point it at the
/// device copy of the words (prepare_device_code_table builds the same table from the same map).
BucketShape host_bucket_shape(const QuantTable& t);

}  // namespace bnb::kernels
