// The bucket encoder's builder (code_buckets.hpp), compiled once into bnb_kernels in every build:
// the CPU variants' tables (kernels/cpu/bucket_table.hpp) are made from it, the CUDA host code
// uploads its tables and the emulated-device tests read them on the host.
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/code_buckets.hpp"
#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {
namespace {

/// Number of thresholds <= y: encode_value's search without the sign correction.
int threshold_count(const QuantTable& t, float y) {
  int code = 0;
  for (int step = 128; step >= 1; step >>= 1) code += (y >= t.upper[code + step - 1]) ? step : 0;
  return code;
}

/// Number of map values < 0 (values sorted ascending).
int negative_count(const QuantTable& t) {
  int n = 0;
  for (int i = 0; i < 256; ++i) n += t.values[i] < 0.0f ? 1 : 0;
  return n;
}

/// encode_value's sign correction of a threshold count for a nonzero y of the given sign.
int sign_corrected(const QuantTable& t, int negatives, int count, bool negative) {
  if (!t.is_signed) return count;
  return negative ? count - (count >= negatives ? 1 : 0) : count + (count < negatives ? 1 : 0);
}

/// The table with 2^mantissa_bits buckets per binade; usable = false when it does not fit.
CodeBuckets try_code_buckets(const QuantTable& t, int mantissa_bits) {
  CodeBuckets b;
  // Covered binades: one below the smallest nonzero threshold magnitude up to two above the
  // largest, so that the clamped end buckets hold no threshold.
  std::uint32_t min_mag = 0x7f800000u, max_mag = 0;
  for (int j = 0; j < 255; ++j) {
    const std::uint32_t m = float_bits(t.upper[j]) & 0x7fffffffu;
    if (m >= 0x7f800000u) return b;  // a 16-value map's +inf padding, or a non-finite threshold
    if (m != 0 && m < min_mag) min_mag = m;
    if (m > max_mag) max_mag = m;
  }
  if (max_mag == 0) return b;
  const std::int32_t e_top = static_cast<std::int32_t>(max_mag >> 23) + 2;  // first binade not covered
  const std::int32_t e_low = static_cast<std::int32_t>(min_mag >> 23) - 1;
  const std::int32_t per_binade = std::int32_t{1} << mantissa_bits;
  if (e_low < 0 || e_top > 254 || (e_top - e_low) * per_binade > kMaxCodeBuckets) return b;

  b.shift = static_cast<std::uint32_t>(23 - mantissa_bits);
  b.base = (e_low << 23) >> b.shift;
  b.per_sign = (e_top - e_low) * per_binade;
  b.low_mask = (1u << b.shift) - 1u;
  const int negatives = negative_count(t);
  for (std::int32_t i = 0; i < b.per_sign; ++i) {
    // Magnitudes of bucket i as bit patterns [low, high]; the end buckets reach 0 and +inf.
    const bool end_bucket = i == 0 || i == b.per_sign - 1;
    const std::uint32_t low = i == 0 ? 0u : static_cast<std::uint32_t>(b.base + i) << b.shift;
    const std::uint32_t high = i == b.per_sign - 1 ? 0x7f800000u : (static_cast<std::uint32_t>(b.base + i + 1) << b.shift) - 1u;
    for (int negative = 0; negative < 2; ++negative) {
      const float lowest = negative != 0 ? -bits_float(high) : bits_float(low);
      const float highest = negative != 0 ? -bits_float(low) : bits_float(high);
      const int lo = threshold_count(t, lowest);
      const int inside = threshold_count(t, highest) - lo;
      if (inside > 1 || (inside == 1 && end_bucket)) return CodeBuckets{};
      const int code_lo = sign_corrected(t, negatives, lo, negative != 0);
      std::uint32_t carry = 0;
      if (inside == 1 && sign_corrected(t, negatives, lo + 1, negative != 0) != code_lo) {
        // upper[lo] lies in this bucket (same sign and bucket bits) above its lowest value.
        const std::uint32_t th = float_bits(t.upper[lo]);
        const std::uint32_t mag = th & 0x7fffffffu;
        if ((th >> 31) != static_cast<std::uint32_t>(negative) || (mag >> b.shift) != static_cast<std::uint32_t>(b.base + i)) {
          return CodeBuckets{};
        }
        const std::uint32_t sub = negative != 0 ? b.low_mask - (mag & b.low_mask) : mag & b.low_mask;
        if (sub == 0) return CodeBuckets{};
        carry = (1u << 24) - sub;
      }
      b.words[i + negative * b.per_sign] = static_cast<std::uint32_t>(code_lo) << 24 | carry;
    }
  }
  b.zero_code = encode_value(t, 0.0f);
  b.nan_code = t.zero_code;
  b.usable = true;
  return b;
}

}  // namespace

CodeBuckets make_code_buckets(const QuantTable& t) {
  for (int mantissa_bits = 3; mantissa_bits <= 8; ++mantissa_bits) {
    CodeBuckets b = try_code_buckets(t, mantissa_bits);
    if (b.usable) return b;
  }
  return CodeBuckets{};
}

namespace {

/// Runs use(buckets of t) under a lock, the buckets built once per table content: a process sees
/// a handful of maps (the built-in ones, a checkpoint's), and a build takes 0.2-0.3 ms, which
/// cuda_step would otherwise pay for every row of every step.
template <class Use>
auto with_cached_buckets(const QuantTable& t, Use&& use) {
  static std::mutex mutex;
  static std::vector<std::pair<QuantTable, std::unique_ptr<CodeBuckets>>> known;
  const std::lock_guard<std::mutex> lock(mutex);
  for (const auto& [table, buckets] : known) {
    if (same_table(table, t)) return use(*buckets);
  }
  if (known.size() >= 64) known.clear();
  known.emplace_back(t, std::make_unique<CodeBuckets>(make_code_buckets(t)));
  return use(*known.back().second);
}

}  // namespace

BucketShape host_bucket_shape(const QuantTable& t) {
  return with_cached_buckets(t, [](const CodeBuckets& buckets) {
    BucketShape shape = bucket_shape(buckets);
    shape.words = nullptr;
    shape.per_sign = buckets.usable ? shape.per_sign : 0;  // 0: no table
    return shape;
  });
}

void prepare_device_code_table(const QuantTable& t, DeviceCodeTable& out) {
  out.map = t;
  with_cached_buckets(t, [&](const CodeBuckets& buckets) { out.buckets = buckets; });
}

}  // namespace bnb::kernels
