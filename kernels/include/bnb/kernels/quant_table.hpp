#pragma once
// A 256-entry quantization map prepared for exact nearest-code search (SPEC.md §5.3).
//
// The code of y is the index of the nearest map value, ties to the lower index. With the map
// sorted, that is the number of midpoints m_j = (v_j + v_{j+1}) / 2 that lie strictly below y.
// The midpoints are exact in double; `upper[j]` is the smallest float strictly greater than m_j,
// so for any float y:  y > m_j  <=>  y >= upper[j]. Searching the float thresholds therefore gives
// the exact-arithmetic nearest code with no rounding question left open.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/hd.hpp"

namespace bnb::kernels {

struct QuantTable {
  float values[256];
  float upper[256];  // 255 thresholds; upper[255] = +inf pads the table for branch-free search
  bool is_signed;    // apply the sign correction of SPEC.md §5.3
  std::uint8_t zero_code;
};

/// Builds a table from `count` ascending map values, count = 16 (4-bit codes) or 256 (host
/// only). A shorter map pads `values` with its last value and `upper` with +inf, so the search
/// never passes its last code. Precondition: sorted ascending and finite; the library validates
/// maps loaded from checkpoints before calling this.
inline QuantTable make_quant_table(const float* values, int count, bool is_signed) {
  QuantTable t{};
  for (int i = 0; i < 256; ++i) t.values[i] = values[i < count ? i : count - 1];
  for (int j = 0; j < 255; ++j) {
    if (j >= count - 1) {
      t.upper[j] = INFINITY;
      continue;
    }
    const double mid = (static_cast<double>(values[j]) + static_cast<double>(values[j + 1])) / 2.0;
    float f = static_cast<float>(mid);
    if (static_cast<double>(f) <= mid) f = std::nextafter(f, INFINITY);
    t.upper[j] = f;
  }
  t.upper[255] = INFINITY;
  t.is_signed = is_signed;
  int zero = 0;
  for (int i = 0; i < count; ++i) {
    if (values[i] == 0.0f) zero = i;
  }
  t.zero_code = static_cast<std::uint8_t>(zero);
  return t;
}

inline QuantTable make_quant_table(const float (&values)[256], bool is_signed) {
  return make_quant_table(values, 256, is_signed);
}

/// From a map's IEEE-754 bit patterns (qmap_bits.hpp: 256 values; qmap4_bits.hpp: 16).
template <std::size_t kCount>
inline QuantTable make_quant_table(const std::array<std::uint32_t, kCount>& bits, bool is_signed) {
  float values[kCount];
  for (std::size_t i = 0; i < kCount; ++i) values[i] = bits_float(bits[i]);
  return make_quant_table(values, static_cast<int>(kCount), is_signed);
}

/// Whether two tables code alike (host only): the caches of prepared encoder tables and the
/// built-in maps' decade tables key on this.
inline bool same_table(const QuantTable& a, const QuantTable& b) {
  return a.is_signed == b.is_signed && a.zero_code == b.zero_code &&
         std::memcmp(a.values, b.values, sizeof a.values) == 0 && std::memcmp(a.upper, b.upper, sizeof a.upper) == 0;
}

/// Nearest code of a normalized value y (|y| <= 1 in normal use). Branch-free binary search over
/// the 255 thresholds, then the signed map's sign correction: a negative y that rounded to the
/// code of 0.0 (or above) moves one code down, a positive y that rounded below 0.0 one code up.
/// Negative zero is zero and encodes as the zero code. NaN encodes as the zero code.
BNB_HD std::uint8_t encode_value(const QuantTable& t, float y) {
  if (y != y) return t.zero_code;
  int code = 0;
  for (int step = 128; step >= 1; step >>= 1) {
    code += (y >= t.upper[code + step - 1]) ? step : 0;
  }
  if (t.is_signed) {
    const float chosen = t.values[code];
    if (y < 0.0f && chosen >= 0.0f) code -= 1;
    if (y > 0.0f && chosen < 0.0f) code += 1;
  }
  return static_cast<std::uint8_t>(code);
}

BNB_HD float decode_value(const QuantTable& t, std::uint8_t code, float scale) {
  return t.values[code] * scale;
}

}  // namespace bnb::kernels
