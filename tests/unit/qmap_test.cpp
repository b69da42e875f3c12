// The two 8-bit maps (SPEC.md §5.1, Appendix A): the hard-coded bit patterns, the prepared tables
// and their structure, checked against the Appendix A data files read at test time.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/quantize.hpp"

namespace {

using bnb::QuantMap;
using bnb::kernels::bits_float;
using bnb::kernels::float_bits;

/// Reads one Appendix A data file: 256 lines of 8 hex digits, index 0..255.
std::vector<std::uint32_t> read_hex_map(const std::string& name) {
  // Appended in place: GCC 12 reports a + chain of literals here as an out-of-bounds memcpy
  // (-Warray-bounds, a known false positive) when gtest comes from the precompiled header.
  std::string path = BNB_TEST_DATA_DIR;
  path.append("/").append(name);
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<std::uint32_t> bits;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    bits.push_back(static_cast<std::uint32_t>(std::stoul(line, nullptr, 16)));
  }
  return bits;
}

void expect_map_matches_file(const std::array<std::uint32_t, 256>& header_bits, QuantMap map,
                             const std::string& file) {
  const std::vector<std::uint32_t> file_bits = read_hex_map(file);
  ASSERT_EQ(file_bits.size(), 256u) << file;
  const bnb::kernels::QuantTable& table = bnb::quant_table(map);
  for (std::size_t i = 0; i < 256; ++i) {
    EXPECT_EQ(header_bits[i], file_bits[i]) << file << " index " << i;
    EXPECT_EQ(float_bits(table.values[i]), file_bits[i]) << file << " table value, index " << i;
  }
}

void expect_strictly_ascending(const bnb::kernels::QuantTable& table) {
  for (int i = 1; i < 256; ++i) {
    EXPECT_LT(table.values[i - 1], table.values[i]) << "index " << i;
  }
}

TEST(QuantMap, SignedBitsEqualAppendixA) {
  expect_map_matches_file(bnb::kernels::kSignedMapBits, QuantMap::signed_dynamic, "qmap_signed.hex");
}

TEST(QuantMap, UnsignedBitsEqualAppendixA) {
  expect_map_matches_file(bnb::kernels::kUnsignedMapBits, QuantMap::unsigned_dynamic, "qmap_unsigned.hex");
}

TEST(QuantMap, SignedStructure) {
  const bnb::kernels::QuantTable& t = bnb::quant_table(QuantMap::signed_dynamic);
  expect_strictly_ascending(t);
  EXPECT_EQ(float_bits(t.values[127]), 0u) << "index 127 must be +0.0";
  EXPECT_EQ(t.values[255], 1.0f);
  EXPECT_EQ(t.values[0], -0.99296874f);
  // The data says: the 127 negative values are the exact negations of indices 128..254; index
  // 255 (1.0) has no negative partner, so the most negative value is -values[254], not -1.
  for (int i = 0; i < 127; ++i) {
    EXPECT_EQ(float_bits(t.values[i]), float_bits(t.values[254 - i]) ^ 0x80000000u) << "index " << i;
  }
  EXPECT_TRUE(t.is_signed);
  EXPECT_EQ(t.zero_code, 127);
}

TEST(QuantMap, UnsignedStructure) {
  const bnb::kernels::QuantTable& t = bnb::quant_table(QuantMap::unsigned_dynamic);
  expect_strictly_ascending(t);
  EXPECT_EQ(float_bits(t.values[0]), 0u) << "index 0 must be +0.0";
  EXPECT_EQ(t.values[255], 1.0f);
  EXPECT_FALSE(t.is_signed);
  EXPECT_EQ(t.zero_code, 0);
}

// upper[j] must be the smallest float strictly above the exact midpoint of values j and j+1;
// that is what makes the threshold search exact (quant_table.hpp).
TEST(QuantMap, ThresholdsAreSmallestFloatAboveExactMidpoint) {
  for (QuantMap map : {QuantMap::signed_dynamic, QuantMap::unsigned_dynamic}) {
    const bnb::kernels::QuantTable& t = bnb::quant_table(map);
    for (int j = 0; j < 255; ++j) {
      // Two floats within 2^-22..1 of each other: their sum is exact in double.
      const double mid = (static_cast<double>(t.values[j]) + static_cast<double>(t.values[j + 1])) / 2.0;
      const float below = std::nextafter(t.upper[j], -std::numeric_limits<float>::infinity());
      EXPECT_GT(static_cast<double>(t.upper[j]), mid) << "threshold " << j;
      EXPECT_LE(static_cast<double>(below), mid) << "threshold " << j;
    }
    EXPECT_EQ(t.upper[255], std::numeric_limits<float>::infinity());
  }
}

}  // namespace
