// The fp16 staging of the CPU driver (kernels/cpu/half_staging.hpp) with F16C, as the AVX2 and
// AVX-512 variants compile it: vcvtph2ps / vcvtps2ph must return exactly what Storage<half_t>
// (dtype.hpp) returns — every one of the 65536 halves, and every 127th float bit pattern (NaN
// payloads, subnormals, overflow and every rounding boundary class included), plus lengths
// that leave a scalar tail. Tolerance: none (bit identity is what the variants promise).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"

#define BNB_CPU_VARIANT half_staging_test
#include "../../kernels/cpu/half_staging.hpp"
#undef BNB_CPU_VARIANT

namespace {

namespace k = bnb::kernels;
namespace cd = bnb::kernels::cpu_detail;

bool cpu_has_f16c() { return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx"); }

TEST(HalfStaging, EveryHalfLoadsAsDtypeDoes) {
  if (!cpu_has_f16c()) GTEST_SKIP() << "this CPU has no F16C";
  std::vector<bnb::half_t> halves(65536 + 5);  // + 5: a scalar tail
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i].bits = static_cast<std::uint16_t>(i);
  std::vector<float> out(halves.size());
  cd::halves_to_floats(halves.data(), out.data(), halves.size(), 1.0f);
  for (std::size_t i = 0; i < halves.size(); ++i) {
    ASSERT_EQ(k::float_bits(out[i]), k::float_bits(k::half_to_float(halves[i]))) << "half bits " << i;
  }
  // The gradient scale is applied after the exact conversion, as the direct path does.
  cd::halves_to_floats(halves.data(), out.data(), halves.size(), 0.75f);
  for (std::size_t i = 0; i < halves.size(); ++i) {
    ASSERT_EQ(k::float_bits(out[i]), k::float_bits(k::half_to_float(halves[i]) * 0.75f)) << "half bits " << i;
  }
}

TEST(HalfStaging, FloatsRoundToHalfAsDtypeDoes) {
  if (!cpu_has_f16c()) GTEST_SKIP() << "this CPU has no F16C";
  constexpr std::size_t kChunk = (std::size_t{1} << 16) + 3;
  std::vector<float> in;
  std::vector<bnb::half_t> out(kChunk);
  std::size_t mismatches = 0;
  std::uint64_t u = 0;
  while (u < (std::uint64_t{1} << 32)) {
    in.clear();
    for (; in.size() < kChunk && u < (std::uint64_t{1} << 32); u += 127) in.push_back(k::bits_float(static_cast<std::uint32_t>(u)));
    cd::floats_to_halves(in.data(), out.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (out[i].bits != k::float_to_half(in[i]).bits && ++mismatches <= 5) {
        ADD_FAILURE() << "float bits " << std::hex << k::float_bits(in[i]) << ": got " << out[i].bits << ", want "
                      << k::float_to_half(in[i]).bits;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
