#pragma once
// The 4-bit block-wise codec (docs/four_bit.md): two codes per byte, element 2i in the low
// nibble. One portable loop for every CPU variant and the library: the code of y is the number
// of the map's 15 midpoint thresholds at or below y (QuantTable's `upper`), a count of exact
// float comparisons, and decoding is values[code] * scale, so every variant gives the scalar
// bits. The functions have internal linkage (static): each translation unit, compiled with its
// variant's flags, keeps its own vectorized copy instead of one linked copy serving all.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

inline constexpr int kNibbleCodes = 16;

/// Nearest code of y among the 16 map values (ties to the lower code); NaN gives the zero code.
[[gnu::always_inline]] static inline std::uint8_t nibble_code(const QuantTable& t, float y) {
  int code = 0;
  for (int j = 0; j < kNibbleCodes - 1; ++j) code += y >= t.upper[j] ? 1 : 0;
  return y != y ? t.zero_code : static_cast<std::uint8_t>(code);
}

/// Decodes len elements whose codes start at the low nibble of bytes[0].
static inline void decode_nibbles(const QuantTable& t, const std::uint8_t* bytes, std::size_t len, float scale, float* out) {
  std::size_t i = 0;
  for (; i + 2 <= len; i += 2) {
    const std::uint8_t b = bytes[i / 2];
    out[i] = t.values[b & 15] * scale;
    out[i + 1] = t.values[b >> 4] * scale;
  }
  if (i < len) out[i] = t.values[bytes[i / 2] & 15] * scale;
}

/// Codes of x[i] / scale into len nibbles from the low nibble of out[0]; a zero scale stores
/// the zero code everywhere (SPEC.md §5.3 step 6). An odd tail leaves the high nibble 0.
static inline void encode_nibbles(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < (len + 1) / 2; ++i) out[i] = static_cast<std::uint8_t>(t.zero_code | t.zero_code << 4);
    if (len % 2 != 0) out[len / 2] = t.zero_code;
    return;
  }
  std::size_t i = 0;
  for (; i + 2 <= len; i += 2) {
    const std::uint8_t lo = nibble_code(t, x[i] / scale);
    const std::uint8_t hi = nibble_code(t, x[i + 1] / scale);
    out[i / 2] = static_cast<std::uint8_t>(lo | hi << 4);
  }
  if (i < len) out[i / 2] = nibble_code(t, x[i] / scale);
}

}  // namespace bnb::kernels
