// The 16-lane conversions of the single-pass 8-bit step (kernels/cpu/tensor_lanes.hpp), as the
// AVX-512 variants compile them: every fp16 and bf16 pattern must widen as dtype.hpp does, and
// the store must round as float_to_half / float_to_bf16 do: every 127th float bit pattern (NaN
// payloads, signaling NaNs, subnormals, overflow), and every float within 2 ulps of a 16-bit value
// or of a midpoint between two neighbours (the ties to even). Tolerance: none (bit identity is
// what the variants promise). round() must equal the store then the load. Bf16InstructionLanes
// (AVX512_BF16) must give TensorLanes<bf16_t>'s bits for every float. Skipped on a CPU without
// AVX-512 (or AVX512_BF16).
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

/// round() of every float in `floats` (a multiple of 16 of them) against the store then the load
/// of dtype.hpp; the number of mismatches.
template <class T>
std::size_t round_mismatches(const std::vector<float>& floats) {
  std::size_t mismatches = 0;
  alignas(64) float out[16];
  for (std::size_t i = 0; i + 16 <= floats.size(); i += 16) {
    _mm512_store_ps(out, cd::TensorLanes<T>::round(_mm512_loadu_ps(floats.data() + i)));
    for (std::size_t j = 0; j < 16; ++j) {
      const float f = floats[i + j];
      const std::uint32_t want = k::float_bits(want_float<T>(want_bits<T>(f)));
      if (k::float_bits(out[j]) != want && ++mismatches <= 5) {
        ADD_FAILURE() << "float bits " << std::hex << k::float_bits(f) << ": got " << k::float_bits(out[j]) << ", want "
                      << want;
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

TEST(TensorLanes, FloatsRoundAsTheStoreThenTheLoad) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  EXPECT_EQ(round_mismatches<bnb::half_t>(store_inputs<bnb::half_t>()), 0u);
  EXPECT_EQ(round_mismatches<bnb::bf16_t>(store_inputs<bnb::bf16_t>()), 0u);
}

#if defined(__AVX512BF16__)

// Every float bit pattern, 16 at a time: vcvtneps2bf16 with its subnormal fallback against the
// integer rounding (store and round); ~3 s.
TEST(TensorLanes, Bf16InstructionsStoreAndRoundEveryFloatAsTheIntegerConversion) {
  if (!cpu_has_avx512() || !__builtin_cpu_supports("avx512bf16")) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  std::uint64_t store_mismatches = 0, round_mismatches = 0;
  alignas(32) bnb::bf16_t got[16], want[16];
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 16) {
    const __m512 v = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(u)), lane));
    cd::Bf16InstructionLanes::store(got, v);
    cd::TensorLanes<bnb::bf16_t>::store(want, v);
    const __m256i g = _mm256_load_si256(reinterpret_cast<const __m256i*>(got));
    const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(want));
    store_mismatches += static_cast<std::uint64_t>(__builtin_popcount(_mm256_cmpneq_epi16_mask(g, w)));
    const __m512i rounded = _mm512_castps_si512(cd::Bf16InstructionLanes::round(v));
    const __m512i rounded_want = _mm512_castps_si512(cd::TensorLanes<bnb::bf16_t>::round(v));
    round_mismatches += static_cast<std::uint64_t>(__builtin_popcount(_mm512_cmpneq_epi32_mask(rounded, rounded_want)));
  }
  EXPECT_EQ(store_mismatches, 0u);
  EXPECT_EQ(round_mismatches, 0u);
}

#endif

}  // namespace
