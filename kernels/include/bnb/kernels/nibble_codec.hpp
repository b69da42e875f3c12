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
[[gnu::always_inline]] static inline std::uint8_t nibble_code(const float (&upper)[kNibbleCodes - 1], std::uint8_t zero,
                                                              float y) {
  int code = 0;
  for (int j = 0; j < kNibbleCodes - 1; ++j) code += y >= upper[j] ? 1 : 0;
  return y != y ? zero : static_cast<std::uint8_t>(code);
}

/// Runs are at most this long (the CPU step's blocks); longer ones go in pieces.
inline constexpr std::size_t kNibbleRun = 4096;

/// Decodes len elements whose codes start at the low nibble of bytes[0]. Unpacks into a code
/// buffer first, then looks the codes up in a local copy of the map: two loops GCC vectorizes.
static inline void decode_nibbles(const QuantTable& t, const std::uint8_t* bytes, std::size_t len, float scale, float* out) {
  float values[kNibbleCodes];
  for (int j = 0; j < kNibbleCodes; ++j) values[j] = t.values[j];
  for (std::size_t begin = 0; begin < len; begin += kNibbleRun) {
    const std::size_t run = len - begin < kNibbleRun ? len - begin : kNibbleRun;
    std::uint8_t codes[kNibbleRun];
    const std::uint8_t* b = bytes + begin / 2;
    for (std::size_t i = 0; i < run / 2; ++i) {
      codes[2 * i] = b[i] & 15;
      codes[2 * i + 1] = static_cast<std::uint8_t>(b[i] >> 4);
    }
    if (run % 2 != 0) codes[run - 1] = b[run / 2] & 15;
    for (std::size_t i = 0; i < run; ++i) out[begin + i] = values[codes[i]] * scale;
  }
}

/// Codes of x[i] / scale into len nibbles from the low nibble of out[0]; a zero scale stores
/// the zero code everywhere (SPEC.md §5.3 step 6). An odd tail leaves the high nibble 0.
/// Codes go to a buffer first (a vectorized count of thresholds), then are packed.
static inline void encode_nibbles(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  float upper[kNibbleCodes - 1];
  for (int j = 0; j < kNibbleCodes - 1; ++j) upper[j] = t.upper[j];
  const std::uint8_t zero = t.zero_code;
  for (std::size_t begin = 0; begin < len; begin += kNibbleRun) {
    const std::size_t run = len - begin < kNibbleRun ? len - begin : kNibbleRun;
    std::uint8_t codes[kNibbleRun];
    if (scale == 0.0f) {
      for (std::size_t i = 0; i < run; ++i) codes[i] = zero;
    } else {
      for (std::size_t i = 0; i < run; ++i) codes[i] = nibble_code(upper, zero, x[begin + i] / scale);
    }
    std::uint8_t* o = out + begin / 2;
    for (std::size_t i = 0; i < run / 2; ++i) o[i] = static_cast<std::uint8_t>(codes[2 * i] | codes[2 * i + 1] << 4);
    if (run % 2 != 0) o[run / 2] = codes[run - 1];
  }
}

}  // namespace bnb::kernels
