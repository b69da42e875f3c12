#pragma once
// 16-bit block scales (the 4-bit codec, docs/four_bit.md): a bf16 absmax rounded up, so no
// element of the block exceeds it and the block's largest one codes within [-1, 1]. They are
// kept in the state's fp32 scale array two per slot: scale b is the bf16 at bytes [2b, 2b + 2)
// of the array, i.e. the array read as bf16 values (little-endian: block 2j in the low half of
// slot j). Halving the scale's bytes pays for blocks of 64 instead of 128 at the same memory.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bnb/kernels/bits.hpp"

namespace bnb::kernels {

/// The smallest bf16 value >= absmax (absmax >= 0 or +Inf; above the largest finite bf16 it is
/// +Inf, and a block scaled by +Inf stores zero codes, as an fp32 absmax of +Inf does).
BNB_HD float bf16_at_least(float absmax) {
  std::uint32_t u = float_bits(absmax);
  if ((u & 0xffffu) != 0) u += 0x10000u;
  return bits_float(u & 0xffff0000u);
}

/// Scale b of a 16-bit scale array (its value as fp32).
BNB_HD float load_scale16(const float* slots, std::size_t b) {
  std::uint16_t h;
  std::memcpy(&h, reinterpret_cast<const unsigned char*>(slots) + 2 * b, sizeof h);
  return bits_float(std::uint32_t{h} << 16);
}

/// Stores scale b (a bf16 value, e.g. from bf16_at_least) into a 16-bit scale array.
BNB_HD void store_scale16(float* slots, std::size_t b, float scale) {
  const auto h = static_cast<std::uint16_t>(float_bits(scale) >> 16);
  std::memcpy(reinterpret_cast<unsigned char*>(slots) + 2 * b, &h, sizeof h);
}

}  // namespace bnb::kernels
