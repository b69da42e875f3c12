#pragma once
// The CPU step's decode of a run of quantized state: the 8-bit codecs through the prepared SIMD
// decoder, the 4-bit codec through nibble_simd.hpp, fp8 through e4m3_simd.hpp.
#include <algorithm>
#include <cstddef>

#include "bnb/kernels/scale16.hpp"
#include "e4m3_simd.hpp"
#include "nibble_simd.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// Decodes elements [begin, begin + len) of quantized row k (begin even for 4-bit codes), one
/// run per scale: the 8-bit codecs through the prepared decoder, 4-bit ones here.
template <class Codec, int kRows>
void decode_state_run(const StateView& s, const RowCodecs<kRows>& codecs, int k, std::size_t begin, std::size_t len,
                      float* out) {
  if constexpr (Codec::kCodes == CodeKind::e4m3) {
    for (std::size_t i = 0; i < len;) {
      const std::size_t block = Codec::scale_index(begin + i, s.block_size);
      const std::size_t run = std::min(len - i, (block + 1) * Codec::block_of(s.block_size) - (begin + i));
      decode_e4m3_simd(s.codes[k] + begin + i, run, s.absmax[k][block], out + i);
      i += run;
    }
  } else if constexpr (Codec::kElementBits == 4) {
    for (std::size_t i = 0; i < len;) {
      const std::size_t block = Codec::scale_index(begin + i, s.block_size);
      const std::size_t run = std::min(len - i, (block + 1) * Codec::block_of(s.block_size) - (begin + i));
      decode_nibble_run(*s.table[k], s.codes[k] + (begin + i) / 2, run, load_scale16(s.absmax[k], block), out + i);
      i += run;
    }
  } else {
    decode_row<Codec>(s, *codecs.decoders[k], k, begin, len, out);
  }
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
