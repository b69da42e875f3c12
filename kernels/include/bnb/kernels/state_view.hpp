#pragma once
// How one tensor's optimizer state is laid out in memory (SPEC.md §5, §6.2), as seen by a
// driver: a non-owning view, the same for the CPU and CUDA backends. The owning buffers live in
// the library's state manager.
#include <cstddef>
#include <cstdint>
#include <algorithm>

#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/state_format.hpp"

namespace bnb {

inline constexpr int kMaxStateRows = 3;

struct StateView {
  StateFormat format = StateFormat::fp32;
  int rows = 0;
  std::size_t block_size = kDefaultBlockSize;    // 8-bit block-wise: elements per absmax
  float* values[kMaxStateRows] = {};             // unquantized codecs: fp32 values
  std::uint8_t* codes[kMaxStateRows] = {};       // quantized codecs: codes
  float* absmax[kMaxStateRows] = {};             // the codec's scales (scale_count per row)
  const kernels::QuantTable* table[kMaxStateRows] = {};
};

/// Decodes elements [begin, begin+len) of quantized row `row` into fp32, one run per scale of
/// the codec; `d` is any decoder with decode(codes, len, scale, out) (CPU SIMD or prepared).
template <class Codec, class Decoder>
void decode_row(const StateView& s, const Decoder& d, int row, std::size_t begin, std::size_t len, float* out) {
  const std::uint8_t* codes = s.codes[row] + begin;
  if constexpr (Codec::kScale == ScaleKind::per_tensor) {
    d.decode(codes, len, s.absmax[row][0], out);
  } else {
    const std::size_t b = s.block_size;
    for (std::size_t i = 0; i < len;) {
      const std::size_t block = Codec::scale_index(begin + i, b);
      const std::size_t run = std::min(len - i, (block + 1) * b - (begin + i));
      d.decode(codes + i, run, s.absmax[row][block], out + i);
      i += run;
    }
  }
}

}  // namespace bnb
