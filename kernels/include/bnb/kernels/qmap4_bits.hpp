#pragma once
// The two 16-entry maps of the 4-bit block-wise format (docs/four_bit.md), as IEEE-754 binary32
// bit patterns, code 0..15, ascending. docs/maps/{normal4,linear4}.txt hold the same data (a
// test checks they agree); scripts/four_bit_emulation.py constructs them.
#include <array>
#include <cstdint>

namespace bnb::kernels {

/// First-moment rows: normal quantiles (8 positive, 7 negative levels and 0) scaled to [-1, 1].
inline constexpr std::array<std::uint32_t, 16> kNormal4MapBits = {
    0xbf800000, 0xbf3b64ea, 0xbf0f5067, 0xbed9007f, 0xbe9cdf0b, 0xbe4c3d96, 0xbdc982ef, 0x00000000,
    0x3db0243d, 0x3e31f319, 0x3e87dc22, 0x3eba112f, 0x3ef1ae09, 0x3f192eee, 0x3f420929, 0x3f800000};

/// Second-moment rows: j/16 for j = 1..16, no zero (a zero code would silence small elements'
/// denominators; v = 0 only occurs with an all-zero block, stored with scale 0).
inline constexpr std::array<std::uint32_t, 16> kLinear4MapBits = {
    0x3d800000, 0x3e000000, 0x3e400000, 0x3e800000, 0x3ea00000, 0x3ec00000, 0x3ee00000, 0x3f000000,
    0x3f100000, 0x3f200000, 0x3f300000, 0x3f400000, 0x3f500000, 0x3f600000, 0x3f700000, 0x3f800000};

inline constexpr int kNormal4ZeroCode = 7;

}  // namespace bnb::kernels
