#include "bnb/param_state.hpp"

#include <algorithm>
#include <stdexcept>

#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/nibble_codec.hpp"
#include "bnb/kernels/scale16.hpp"

namespace bnb {

StateView ParamState::view() {
  StateView v;
  v.format = format;
  v.rows = rows;
  v.block_size = block_size;
  const bool quantized = format_codec(format).quantized;
  for (int r = 0; r < rows; ++r) {
    if (!quantized) {
      v.values[r] = row[r].as<float>();
    } else {
      v.codes[r] = row[r].as<std::uint8_t>();
      v.absmax[r] = absmax[r].data();
      v.table[r] = &*table[r];
    }
  }
  return v;
}

std::vector<float> ParamState::dequantized(int r) const {
  std::vector<float> out(numel);
  const FormatCodec& format_traits = format_codec(format);
  if (!format_traits.quantized) {
    std::copy_n(row[r].as<float>(), numel, out.begin());
    return out;
  }
  const std::size_t block = format_traits.elements_per_scale(numel, block_size);
  if (format_traits.codes == CodeKind::e4m3) {
    for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
      kernels::decode_e4m3(row[r].as<std::uint8_t>() + begin, std::min(block, numel - begin),
                           absmax[r][b], out.data() + begin);
    }
    return out;
  }
  if (format_traits.element_bits == 4) {
    for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
      kernels::decode_nibbles(*table[r], row[r].as<std::uint8_t>() + begin / 2, std::min(block, numel - begin),
                              kernels::load_scale16(absmax[r].data(), b), out.data() + begin);
    }
    return out;
  }
  const auto codec = kernels::prepare_cpu_codec(*table[r]);
  for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
    codec->decode(row[r].as<std::uint8_t>() + begin, std::min(block, numel - begin), absmax[r][b], out.data() + begin);
  }
  return out;
}

void ParamState::assign(int r, const float* values) {
  const FormatCodec& format_traits = format_codec(format);
  if (!format_traits.quantized) {
    std::copy_n(values, numel, row[r].as<float>());
    return;
  }
  const std::size_t block = format_traits.elements_per_scale(numel, block_size);
  if (format_traits.codes == CodeKind::e4m3) {
    for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
      const std::size_t len = std::min(block, numel - begin);
      absmax[r][b] = kernels::e4m3_scale(kernels::abs_max(values + begin, len));
      kernels::encode_e4m3(values + begin, len, absmax[r][b], !table[r]->is_signed, row[r].as<std::uint8_t>() + begin);
    }
    return;
  }
  if (format_traits.element_bits == 4) {
    for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
      const std::size_t len = std::min(block, numel - begin);
      const float scale = kernels::bf16_at_least(kernels::abs_max(values + begin, len));
      kernels::store_scale16(absmax[r].data(), b, scale);
      kernels::encode_nibbles(*table[r], values + begin, len, scale, row[r].as<std::uint8_t>() + begin / 2);
    }
    return;
  }
  const auto codec = kernels::prepare_cpu_codec(*table[r]);
  for (std::size_t b = 0, begin = 0; begin < numel; ++b, begin += block) {
    const std::size_t len = std::min(block, numel - begin);
    absmax[r][b] = codec->abs_max(values + begin, len);
    codec->encode(values + begin, len, absmax[r][b], row[r].as<std::uint8_t>() + begin);
  }
}

}  // namespace bnb
