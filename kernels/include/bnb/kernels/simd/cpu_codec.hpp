#pragma once
// The 8-bit block codec of the CPU variants (kernels/cpu/simd_codec.hpp), chosen at run time
// like cpu_step. Every variant returns exactly what encode_value()/decode_value() return.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/quant_table.hpp"

namespace bnb::kernels {

/// Codes of x / scale (scale 0: the zero code everywhere) with the active CPU variant.
void cpu_encode_block(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out);
/// values[code] * scale with the active CPU variant.
void cpu_decode_block(const QuantTable& t, const std::uint8_t* codes, std::size_t len, float scale, float* out);

#define BNB_DECLARE_CODEC_VARIANT(ns)                                                                      \
  namespace ns {                                                                                           \
  void encode_block(const QuantTable& t, const float* x, std::size_t len, float scale, std::uint8_t* out); \
  void decode_block(const QuantTable& t, const std::uint8_t* codes, std::size_t len, float scale, float* out); \
  int encoder_comparisons(const QuantTable& t);                                                            \
  }
// encoder_comparisons: threshold comparisons per value of the bucket encoder for t (1 or 2), 0
// when t does not fit the bucket scheme and the encoder falls back to the binary search.
BNB_DECLARE_CODEC_VARIANT(scalar)
BNB_DECLARE_CODEC_VARIANT(avx2)
BNB_DECLARE_CODEC_VARIANT(avx512)
#undef BNB_DECLARE_CODEC_VARIANT

}  // namespace bnb::kernels
