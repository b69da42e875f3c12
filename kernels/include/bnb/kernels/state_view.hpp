#pragma once
// How one tensor's optimizer state is laid out in memory (SPEC.md §5, §6.2), as seen by a
// driver: a non-owning view, the same for the CPU and CUDA backends. The owning buffers live in
// the library's state manager.
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/quant_table.hpp"

namespace bnb {

enum class StateFormat : std::uint8_t {
  fp32,         // one fp32 value per element and row
  blockwise8,   // uint8 codes + one fp32 absmax per block of `block_size` elements and row
  tensorwise8,  // uint8 codes + one fp32 max per row (block_wise = false)
};

inline constexpr int kMaxStateRows = 3;
inline constexpr std::size_t kDefaultBlockSize = 256;

struct StateView {
  StateFormat format = StateFormat::fp32;
  int rows = 0;
  std::size_t block_size = kDefaultBlockSize;    // 8-bit block-wise: elements per absmax
  float* values[kMaxStateRows] = {};             // fp32
  std::uint8_t* codes[kMaxStateRows] = {};       // 8-bit
  float* absmax[kMaxStateRows] = {};             // block-wise: one per block; tensor-wise: [0] = max
  const kernels::QuantTable* table[kMaxStateRows] = {};
};

/// Number of blocks of `block` elements covering n elements (the last one may be a tail).
constexpr std::size_t block_count(std::size_t n, std::size_t block) { return (n + block - 1) / block; }

}  // namespace bnb
