// The 8-bit block codec per CPU variant (encode = x / scale + exact nearest code, decode =
// table value * scale) on cache-resident data, and the stand-alone quantizer on a large fp32
// tensor (bytes/s of fp32 input; target >= 4 GB/s per core). Counters: ns_per_elem, bytes/s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#include "bnb/quantize.hpp"

namespace {

namespace k = bnb::kernels;

std::vector<float> sample(std::size_t n) {
  // Optimizer-state-like values: normal with a spread of magnitudes over several decades.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng) * std::exp(2.0f * normal(rng));
  return x;
}

void set_counters(benchmark::State& state, std::size_t n, double bytes_per_elem) {
  const auto items = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.counters["ns_per_elem"] =
      benchmark::Counter(items * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<std::int64_t>(items * bytes_per_elem));
}

void encode_bench(benchmark::State& state, k::CpuVariant variant, bnb::QuantMap map) {
  constexpr std::size_t kN = 1 << 16, kBlock = 256;
  std::vector<float> x = sample(kN);
  if (map == bnb::QuantMap::unsigned_dynamic) {
    for (float& v : x) v = std::fabs(v);
  }
  std::vector<std::uint8_t> codes(kN);
  const auto codec = k::prepare_cpu_codec(variant, bnb::quant_table(map));
  for (auto _ : state) {
    for (std::size_t b = 0; b < kN; b += kBlock) {
      codec->encode(x.data() + b, kBlock, codec->abs_max(x.data() + b, kBlock), codes.data() + b);
    }
    benchmark::DoNotOptimize(codes.data());
  }
  set_counters(state, kN, 5.0);
}

void decode_bench(benchmark::State& state, k::CpuVariant v) {
  constexpr std::size_t kN = 1 << 16;
  std::vector<std::uint8_t> codes(kN);
  for (std::size_t i = 0; i < kN; ++i) codes[i] = static_cast<std::uint8_t>(i * 131 % 256);
  std::vector<float> out(kN);
  const auto codec = k::prepare_cpu_codec(v, bnb::quant_table(bnb::QuantMap::signed_dynamic));
  for (auto _ : state) {
    codec->decode(codes.data(), kN, 0.5f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, kN, 5.0);
}

void quantize_bench(benchmark::State& state, k::CpuVariant v, int threads) {
  const std::size_t n = std::size_t{1} << 26;
  const std::vector<float> x = sample(n);
  std::vector<std::uint8_t> codes(n);
  std::vector<float> absmax(n / 256);
  k::force_variant(v);
  for (auto _ : state) {
    bnb::quantize_blockwise(bnb::DType::f32, x.data(), n, bnb::QuantMap::signed_dynamic, 256, codes.data(),
                            absmax.data(), threads);
    benchmark::DoNotOptimize(codes.data());
  }
  k::force_variant(std::nullopt);
  set_counters(state, n, 4.0);  // bytes of fp32 input
}

const bool kRegistered = [] {
  for (k::CpuVariant v : k::supported_variants()) {
    const std::string name(k::variant_name(v));
    benchmark::RegisterBenchmark(("encode/signed/" + name).c_str(), encode_bench, v, bnb::QuantMap::signed_dynamic);
    benchmark::RegisterBenchmark(("encode/unsigned/" + name).c_str(), encode_bench, v, bnb::QuantMap::unsigned_dynamic);
    benchmark::RegisterBenchmark(("decode/" + name).c_str(), decode_bench, v);
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(("quantize_blockwise/" + name + "/threads:" + std::to_string(threads)).c_str(),
                                   quantize_bench, v, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
