#pragma once
// Stand-alone block-wise 8-bit quantization with the maps of SPEC.md §5.1 — the codec every
// 8-bit optimizer state uses, exposed for tests, benchmarks and users.
//
// Non-finite input: a block that holds a NaN gets absmax NaN, a block that holds an Inf (and no
// NaN) gets absmax +Inf; every code of such a block is the zero code, so the whole block
// dequantizes to NaN (0 * Inf and 0 * NaN). The damage is visible and confined to that block.
#include <cstddef>
#include <cstdint>
#include <span>

#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/state_format.hpp"

namespace bnb {

/// The 8-bit maps of SPEC.md §5.1, the 16-entry maps of the 4-bit format (docs/four_bit.md) and
/// the e4m3 values of the fp8 format (docs/fp8.md: values[code] is the code's value; the signed
/// and unsigned tables differ only in is_signed, which selects the underflow rule).
enum class QuantMap { signed_dynamic, unsigned_dynamic, signed_normal4, unsigned_linear4, signed_e4m3, unsigned_e4m3 };

/// The map of a state row stored in `format`'s codes (a quantized format).
QuantMap state_map(StateFormat format, bool is_signed);

/// The prepared table of one of the fixed maps.
const kernels::QuantTable& quant_table(QuantMap map);

/// Throws std::invalid_argument unless block_size is a power of two in [64, 4096].
void check_block_size(std::size_t block_size);

/// Quantizes n values (a map of 256 codes: signed_dynamic or unsigned_dynamic; others throw
/// std::invalid_argument) of `dtype` at `input` into n codes and ceil(n / block_size) absmax values.
void quantize_blockwise(DType dtype, const void* input, std::size_t n, QuantMap map, std::size_t block_size,
                        std::uint8_t* codes, float* absmax, int threads = 1);

/// Decodes n codes with their block absmax into fp32.
void dequantize_blockwise(const std::uint8_t* codes, const float* absmax, std::size_t n, QuantMap map,
                          std::size_t block_size, float* output, int threads = 1);

}  // namespace bnb
