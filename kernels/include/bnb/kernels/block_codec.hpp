#pragma once
// Encoding and decoding of one block of values with one scale (SPEC.md §5.3 steps 4-6), shared
// by the stand-alone quantizer and the fused optimizer step on the CPU. encode_block and
// decode_block run the SIMD codec of the active CPU variant (bit-identical to the per-element
// rule); the *_reference functions are that rule, element by element, for tests.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"

namespace bnb::kernels {

/// max |x| over the block; NaN values do not take part (std::max keeps the left operand). The
/// maximum of non-NaN values does not depend on the order, so 16 independent lanes give exactly
/// the sequential result. This is the definition; GCC keeps it scalar, so the hot paths use the
/// variants' vectorized copy (PreparedCodec::abs_max, kernels/cpu/block_abs_max.hpp).
inline float abs_max(const float* x, std::size_t len) {
  constexpr std::size_t kLanes = 16;
  float lane[kLanes] = {};
  const std::size_t full = len / kLanes * kLanes;
  for (std::size_t i = 0; i < full; i += kLanes) {
    for (std::size_t l = 0; l < kLanes; ++l) lane[l] = std::max(lane[l], std::fabs(x[i + l]));
  }
  float m = 0.0f;
  for (std::size_t i = full; i < len; ++i) m = std::max(m, std::fabs(x[i]));
  for (std::size_t l = 0; l < kLanes; ++l) m = std::max(m, lane[l]);
  return m;
}

/// Codes of x / scale; a zero scale stores the zero code everywhere. Prepares a codec per call:
/// code many blocks through one prepare_cpu_codec() instead.
inline void encode_block(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out) {
  prepare_cpu_codec(t)->encode(x, len, scale, out);
}

inline void decode_block(const QuantTable& t, const std::uint8_t* codes, std::size_t len, float scale, float* out) {
  prepare_cpu_codec(t)->decode(codes, len, scale, out);
}

/// encode_block element by element with encode_value (the definition the fast paths must match).
inline void encode_block_reference(const QuantTable& t, const float* x, std::size_t len, float scale,
                                   std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < len; ++i) out[i] = t.zero_code;
    return;
  }
  for (std::size_t i = 0; i < len; ++i) out[i] = encode_value(t, x[i] / scale);
}

inline void decode_block_reference(const QuantTable& t, const std::uint8_t* codes, std::size_t len, float scale,
                                   float* out) {
  for (std::size_t i = 0; i < len; ++i) out[i] = decode_value(t, codes[i], scale);
}

}  // namespace bnb::kernels
