// The 16-lane conversions of the single-pass 8-bit step (kernels/cpu/tensor_lanes.hpp), as the
// AVX-512 variants compile them: every fp16 and bf16 pattern must widen as dtype.hpp does, and
// the store must round as float_to_half / float_to_bf16 do: every 127th float bit pattern (NaN
// payloads, signaling NaNs, subnormals, overflow), and every float within 2 ulps of a 16-bit value
// or of a midpoint between two neighbours (the ties to even). Tolerance: none (bit identity is
// what the variants promise). Skipped on a CPU without AVX-512.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"

#define BNB_CPU_VARIANT tensor_lanes_test
#include "../../kernels/cpu/tensor_lanes.hpp"
#undef BNB_CPU_VARIANT

namespace {

namespace k = bnb::kernels;
namespace cd = bnb::kernels::cpu_detail;

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

template <class T>
std::uint16_t want_bits(float f) {
  if constexpr (std::is_same_v<T, bnb::bf16_t>) {
    return k::float_to_bf16(f).bits;
  } else {
    return k::float_to_half(f).bits;
  }
}

template <class T>
float want_float(std::uint16_t bits) {
  if constexpr (std::is_same_v<T, bnb::bf16_t>) {
    return k::bf16_to_float(bnb::bf16_t{bits});
  } else {
    return k::half_to_float(bnb::half_t{bits});
  }
}

/// Every 16-bit pattern through TensorLanes<T>::load, 16 at a time.
template <class T>
void expect_every_pattern_loads() {
  std::vector<T> in(65536);
  for (std::size_t i = 0; i < in.size(); ++i) in[i].bits = static_cast<std::uint16_t>(i);
  alignas(64) float out[16];
  for (std::size_t i = 0; i < in.size(); i += 16) {
    _mm512_store_ps(out, cd::TensorLanes<T>::load(in.data() + i));
    for (std::size_t j = 0; j < 16; ++j) {
      ASSERT_EQ(k::float_bits(out[j]), k::float_bits(want_float<T>(in[i + j].bits))) << "16-bit pattern " << i + j;
    }
  }
}

/// The store of every float in `floats` (a multiple of 16 of them); the number of mismatches.
template <class T>
std::size_t store_mismatches(const std::vector<float>& floats) {
  std::size_t mismatches = 0;
  T out[16];
  for (std::size_t i = 0; i + 16 <= floats.size(); i += 16) {
    cd::TensorLanes<T>::store(out, _mm512_loadu_ps(floats.data() + i));
    for (std::size_t j = 0; j < 16; ++j) {
      const float f = floats[i + j];
      if (out[j].bits != want_bits<T>(f) && ++mismatches <= 5) {
        ADD_FAILURE() << "float bits " << std::hex << k::float_bits(f) << ": got " << out[j].bits << ", want "
                      << want_bits<T>(f);
      }
    }
  }
  return mismatches;
}

/// Every 127th float bit pattern, and the floats within 2 ulps of each 16-bit value and of each
/// midpoint between neighbouring positive values (both signs), padded to a multiple of 16.
template <class T>
std::vector<float> store_inputs() {
  std::vector<float> in;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 127) in.push_back(k::bits_float(static_cast<std::uint32_t>(u)));
  for (std::uint32_t h = 0; h < 0x8000u; ++h) {
    const float lo = want_float<T>(static_cast<std::uint16_t>(h));
    const float hi = want_float<T>(static_cast<std::uint16_t>(h + 1));
    if (!(lo == lo) || !(hi == hi)) continue;  // NaN patterns: covered by the sweep
    const std::uint32_t mid = k::float_bits(lo + (hi - lo) * 0.5f);
    for (std::uint32_t centre : {k::float_bits(lo), mid}) {
      for (std::uint32_t d = 0; d <= 4; ++d) {
        const std::uint32_t u = centre + d - 2;
        in.push_back(k::bits_float(u));
        in.push_back(k::bits_float(u | 0x80000000u));
      }
    }
  }
  while (in.size() % 16 != 0) in.push_back(0.0f);
  return in;
}

TEST(TensorLanes, EveryHalfAndBf16PatternLoadsAsDtypeDoes) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  expect_every_pattern_loads<bnb::half_t>();
  expect_every_pattern_loads<bnb::bf16_t>();
}

TEST(TensorLanes, FloatsStoreToHalfAsDtypeDoes) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  EXPECT_EQ(store_mismatches<bnb::half_t>(store_inputs<bnb::half_t>()), 0u);
}

TEST(TensorLanes, FloatsStoreToBf16AsDtypeDoes) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  EXPECT_EQ(store_mismatches<bnb::bf16_t>(store_inputs<bnb::bf16_t>()), 0u);
}

}  // namespace
