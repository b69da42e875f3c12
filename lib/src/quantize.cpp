#include "bnb/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "bnb/errors.hpp"
#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/qmap4_bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/kernels/state_view.hpp"

namespace bnb {
namespace {

template <class T>
void quantize_typed(const T* in, std::size_t n, const kernels::QuantTable& t, std::size_t block, std::uint8_t* codes,
                    float* absmax, int threads) {
  const std::size_t blocks = block_count(n, block);
  const auto codec = kernels::prepare_cpu_codec(t);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t begin = b * block;
    const std::size_t len = std::min(block, n - begin);
    float x[4096];
    // One vectorizable test for "any non-finite"; which kind only matters in the rare bad block.
    int nonfinite = 0;
    for (std::size_t i = 0; i < len; ++i) {
      x[i] = kernels::Storage<T>::load(in[begin + i]);
      nonfinite |= !(std::fabs(x[i]) <= std::numeric_limits<float>::max());
    }
    if (nonfinite) {
      const bool has_nan = std::any_of(x, x + len, [](float v) { return std::isnan(v); });
      absmax[b] = has_nan ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
      std::fill(codes + begin, codes + begin + len, t.zero_code);
      continue;
    }
    absmax[b] = codec->abs_max(x, len);
    codec->encode(x, len, absmax[b], codes + begin);
  }
}

void require_byte_map(QuantMap map, const char* function) {
  if (map != QuantMap::signed_dynamic && map != QuantMap::unsigned_dynamic) {
    throw std::invalid_argument(std::string(function) + ": only the 8-bit dynamic maps (SPEC.md §5.1) quantize block-wise here");
  }
}

}  // namespace

const kernels::QuantTable& quant_table(QuantMap map) {
  static const kernels::QuantTable signed_table = kernels::make_quant_table(kernels::kSignedMapBits, true);
  static const kernels::QuantTable unsigned_table = kernels::make_quant_table(kernels::kUnsignedMapBits, false);
  // 4-bit maps: nearest code, no sign correction (docs/four_bit.md).
  static const kernels::QuantTable normal4_table = kernels::make_quant_table(kernels::kNormal4MapBits, false);
  static const kernels::QuantTable linear4_table = kernels::make_quant_table(kernels::kLinear4MapBits, false);
  static const kernels::QuantTable signed_e4m3 = kernels::make_e4m3_table(true);
  static const kernels::QuantTable unsigned_e4m3 = kernels::make_e4m3_table(false);
  switch (map) {
    case QuantMap::signed_dynamic: return signed_table;
    case QuantMap::unsigned_dynamic: return unsigned_table;
    case QuantMap::signed_normal4: return normal4_table;
    case QuantMap::unsigned_linear4: return linear4_table;
    case QuantMap::signed_e4m3: return signed_e4m3;
    case QuantMap::unsigned_e4m3: return unsigned_e4m3;
  }
  return signed_table;
}

QuantMap state_map(StateFormat format, bool is_signed) {
  const FormatCodec& codec = format_codec(format);
  if (codec.codes == CodeKind::e4m3) return is_signed ? QuantMap::signed_e4m3 : QuantMap::unsigned_e4m3;
  if (codec.element_bits == 4) return is_signed ? QuantMap::signed_normal4 : QuantMap::unsigned_linear4;
  return is_signed ? QuantMap::signed_dynamic : QuantMap::unsigned_dynamic;
}

void check_block_size(std::size_t block_size) {
  const bool power_of_two = block_size != 0 && (block_size & (block_size - 1)) == 0;
  if (!power_of_two || block_size < 64 || block_size > 4096) {
    throw ConfigError("block size " + std::to_string(block_size) +
                      " is not supported: expected a power of two from 64 to 4096 (default 256)");
  }
}

void quantize_blockwise(DType dtype, const void* input, std::size_t n, QuantMap map, std::size_t block_size,
                        std::uint8_t* codes, float* absmax, int threads) {
  check_block_size(block_size);
  require_byte_map(map, "quantize_blockwise");
  const kernels::QuantTable& t = quant_table(map);
  switch (dtype) {
    case DType::f32:
      return quantize_typed(static_cast<const float*>(input), n, t, block_size, codes, absmax, threads);
    case DType::f16:
      return quantize_typed(static_cast<const half_t*>(input), n, t, block_size, codes, absmax, threads);
    case DType::bf16:
      return quantize_typed(static_cast<const bf16_t*>(input), n, t, block_size, codes, absmax, threads);
  }
}

void dequantize_blockwise(const std::uint8_t* codes, const float* absmax, std::size_t n, QuantMap map,
                          std::size_t block_size, float* output, int threads) {
  check_block_size(block_size);
  require_byte_map(map, "dequantize_blockwise");
  const kernels::QuantTable& t = quant_table(map);
  const std::size_t blocks = block_count(n, block_size);
  const auto codec = kernels::prepare_cpu_codec(t);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t begin = b * block_size;
    codec->decode(codes + begin, std::min(block_size, n - begin), absmax[b], output + begin);
  }
}

}  // namespace bnb
