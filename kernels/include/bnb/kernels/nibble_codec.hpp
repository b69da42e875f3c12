#pragma once
// The 4-bit block-wise codec (docs/four_bit.md): two codes per byte, element 2i in the low
// nibble. One portable loop for every CPU variant and the library: the code of y is the number
// of the map's 15 midpoint thresholds at or below y (QuantTable's `upper`), a count of exact
// float comparisons, and decoding is values[code] * scale, so every variant gives the scalar
// bits. The functions have internal linkage (static): each translation unit, compiled with its
// variant's flags, keeps its own vectorized copy instead of one linked copy serving all.
// nibble_code and nibble_at are the per-element rules the CUDA kernels share (step_kernels.cuh).
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

inline constexpr int kNibbleCodes = 16;

#if defined(__CUDACC__)
#define BNB_NIBBLE_HD __host__ __device__ __forceinline__
#else
#define BNB_NIBBLE_HD inline __attribute__((always_inline))
#endif

/// Nearest code of y among the 16 map values (ties to the lower code); NaN gives the zero code.
/// `upper`: the map's 15 thresholds (QuantTable::upper or a local copy of them).
static BNB_NIBBLE_HD std::uint8_t nibble_code(const float* upper, std::uint8_t zero, float y) {
  int code = 0;
  for (int j = 0; j < kNibbleCodes - 1; ++j) code += y >= upper[j] ? 1 : 0;
  return y != y ? zero : static_cast<std::uint8_t>(code);
}

/// The 4-bit code of element e of a row whose codes start at the low nibble of bytes[0].
static BNB_NIBBLE_HD std::uint8_t nibble_at(const std::uint8_t* bytes, std::size_t e) {
  const std::uint8_t b = bytes[e / 2];
  return e % 2 == 0 ? static_cast<std::uint8_t>(b & 15) : static_cast<std::uint8_t>(b >> 4);
}

/// One byte of a row: the codes of x_lo / scale (low nibble) and x_hi / scale (high nibble;
/// `has_hi` false for an odd tail, which leaves it 0); a zero scale stores the zero code.
static BNB_NIBBLE_HD std::uint8_t nibble_pair(const float* upper, std::uint8_t zero, float x_lo, float x_hi, bool has_hi,
                                              float scale) {
  const std::uint8_t lo = scale == 0.0f ? zero : nibble_code(upper, zero, x_lo / scale);
  const std::uint8_t hi = !has_hi ? std::uint8_t{0} : scale == 0.0f ? zero : nibble_code(upper, zero, x_hi / scale);
  return static_cast<std::uint8_t>(lo | hi << 4);
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
