// Throughput of the stand-alone block-wise 8-bit codec (quantize.hpp) for 1M and 16M elements.
// Bytes processed = bytes of input (the fp32/bf16 tensor for quantize; codes + absmax for
// dequantize), so Google Benchmark reports input GB/s. Arguments: element count, threads.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "bnb/kernels/dtype.hpp"
#include "bnb/quantize.hpp"

namespace {

constexpr std::size_t kBlock = 256;  // SPEC.md §5.2 default

std::vector<float> normal_values(std::size_t n) {
  std::mt19937 rng(42u);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

template <class T>
std::vector<T> stored_as(const std::vector<float>& x) {
  std::vector<T> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = bnb::kernels::Storage<T>::store(x[i]);
  return out;
}

template <class T>
void BM_Quantize(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<int>(state.range(1));
  const std::vector<T> input = stored_as<T>(normal_values(n));
  std::vector<std::uint8_t> codes(n);
  std::vector<float> absmax((n + kBlock - 1) / kBlock);
  for (auto _ : state) {
    bnb::quantize_blockwise(bnb::kernels::Storage<T>::dtype, input.data(), n, bnb::QuantMap::signed_dynamic, kBlock,
                            codes.data(), absmax.data(), threads);
    benchmark::DoNotOptimize(codes.data());
    benchmark::DoNotOptimize(absmax.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(T)));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_Dequantize(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<int>(state.range(1));
  const std::vector<float> input = normal_values(n);
  std::vector<std::uint8_t> codes(n);
  std::vector<float> absmax((n + kBlock - 1) / kBlock);
  bnb::quantize_blockwise(bnb::DType::f32, input.data(), n, bnb::QuantMap::signed_dynamic, kBlock, codes.data(),
                          absmax.data(), threads);
  std::vector<float> output(n);
  for (auto _ : state) {
    bnb::dequantize_blockwise(codes.data(), absmax.data(), n, bnb::QuantMap::signed_dynamic, kBlock, output.data(),
                              threads);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(codes.size() + absmax.size() * sizeof(float)));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void sizes_and_threads(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "threads"});
  for (std::int64_t n : {std::int64_t{1} << 20, std::int64_t{1} << 24}) {
    for (std::int64_t threads : {1, 2}) b->Args({n, threads});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Quantize<float>)->Name("quantize_blockwise/f32")->Apply(sizes_and_threads);
BENCHMARK(BM_Quantize<bnb::bf16_t>)->Name("quantize_blockwise/bf16")->Apply(sizes_and_threads);
BENCHMARK(BM_Dequantize)->Name("dequantize_blockwise")->Apply(sizes_and_threads);

}  // namespace
