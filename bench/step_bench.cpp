// One optimizer step of one tensor per iteration, for every CPU variant, next to the memory
// floor of the same access pattern (DESIGN.md §5). Counters: `ns_per_elem` (time per parameter)
// and bytes_per_second from the bytes-moved model. Run e.g.
//   step_bench --benchmark_filter='n:67108864' --benchmark_repetitions=5
//              --benchmark_report_aggregates_only=true
// The floor loops stream the step's arrays (read-only gradient, read-modify-write parameter and
// state rows of the same widths) with trivial arithmetic, OpenMP over the same static partition.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bnb/array_memory.hpp"
#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/underflow_guard.hpp"
#include "bnb/quantize.hpp"

namespace {

using bnb::Algorithm;
using bnb::DType;
using bnb::StateFormat;
namespace k = bnb::kernels;

constexpr std::size_t kN64M = std::size_t{1} << 26;

/// Bytes moved per element by the model of DESIGN.md §5: g read, p read+written, each state row
/// read+written (4 B fp32, 1 B or half a byte of code), scales ignored.
double model_bytes(DType d, StateFormat f, int rows) {
  const double pg = 3.0 * static_cast<double>(bnb::dtype_size(d));
  const double state = 2.0 * static_cast<double>(bnb::format_codec(f).element_bits) / 8.0;
  return pg + state * rows;
}

/// An array allocated as the tool's tensors and the library's state buffers are (array_memory.hpp).
template <class T>
using Aligned = std::vector<T, bnb::ArrayAllocator<T>>;

struct Tensor {
  Aligned<std::uint16_t> g16, p16;
  Aligned<float> g32, p32;
  Aligned<float> values[bnb::kMaxStateRows];
  Aligned<std::uint8_t> codes[bnb::kMaxStateRows];
  Aligned<float> absmax[bnb::kMaxStateRows];
};

void fill(Tensor& t, DType d, StateFormat f, int rows, std::size_t n, std::size_t block) {
  // Gradients and parameters of ordinary magnitude; every element is touched so pages are real.
  if (d == DType::f32) {
    t.g32.resize(n);
    t.p32.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      t.g32[i] = static_cast<float>(static_cast<int>(i % 2001) - 1000) * 1e-5f;
      t.p32[i] = static_cast<float>(static_cast<int>(i % 997) - 498) * 1e-3f;
    }
  } else {
    t.g16.assign(n, d == DType::bf16 ? 0x3a83 : 0x1419);  // ~1e-3
    t.p16.assign(n, d == DType::bf16 ? 0x3dcc : 0x2e66);  // ~0.1
  }
  const bnb::FormatCodec& codec = bnb::format_codec(f);
  for (int r = 0; r < rows; ++r) {
    if (!codec.quantized) {
      t.values[r].assign(n, 1e-4f);
    } else {
      t.codes[r].assign(codec.row_bytes(n), 140);
      // 16-bit scales: two bf16 0.01 (0x3c24) per fp32 slot (bnb/kernels/scale16.hpp).
      const float scale = codec.scale_bits == 16 ? std::bit_cast<float>(0x3c243c24u) : 1e-2f;
      t.absmax[r].assign(codec.scale_slots(n, block), scale);
    }
  }
}

/// A standard normal value for index i of stream `seed` (counter-based, so the fill runs in
/// parallel and every run sees the same values): splitmix64, then Box-Muller.
float normal_at(std::uint64_t seed, std::uint64_t i) {
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  const std::uint64_t a = mix(seed * 0x9e3779b97f4a7c15ull + 2 * i), b = mix(seed * 0x9e3779b97f4a7c15ull + 2 * i + 1);
  const double u1 = (static_cast<double>(a >> 11) + 1.0) * 0x1p-53;  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) * 0x1p-53;          // [0, 1)
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.141592653589793 * u2));
}

/// What `bnb-bench run configs/perf.json` steps: gradients 0.01 N(0, 1), parameters 0.05 N(0, 1),
/// stored as d (fp32 in that config); states from zero (as a new optimizer's), settled later by a
/// few steps.
void fill_normal(Tensor& t, DType d, StateFormat f, int rows, std::size_t n, std::size_t block) {
  const auto count = static_cast<std::int64_t>(n);
  if (d == DType::f32) {
    t.g32.resize(n);
    t.p32.resize(n);
  } else {
    t.g16.resize(n);
    t.p16.resize(n);
  }
  const auto store16 = [d](float v) -> std::uint16_t {
    return d == DType::bf16 ? k::float_to_bf16(v).bits : k::float_to_half(v).bits;
  };
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const auto u = static_cast<std::size_t>(i);
    const float g = 0.01f * normal_at(1, u), p = 0.05f * normal_at(2, u);
    if (d == DType::f32) {
      t.g32[u] = g;
      t.p32[u] = p;
    } else {
      t.g16[u] = store16(g);
      t.p16[u] = store16(p);
    }
  }
  const bnb::FormatCodec& codec = bnb::format_codec(f);
  for (int r = 0; r < rows; ++r) {
    if (!codec.quantized) {
      t.values[r].assign(n, 0.0f);
    } else {
      t.codes[r].assign(codec.row_bytes(n), 0);  // set to the row's zero code in step_bench
      t.absmax[r].assign(codec.scale_slots(n, block), 0.0f);
    }
  }
}

bnb::StepRequest make_request(Tensor& t, Algorithm a, DType d, StateFormat f, std::size_t n, int threads) {
  bnb::StepRequest r;
  r.algorithm = a;
  r.dtype = d;
  r.n = n;
  r.param = d == DType::f32 ? static_cast<void*>(t.p32.data()) : static_cast<void*>(t.p16.data());
  r.grad = d == DType::f32 ? static_cast<const void*>(t.g32.data()) : static_cast<const void*>(t.g16.data());
  const int rows = k::state_rows(a);
  r.state.format = f;
  r.state.rows = rows;
  for (int row = 0; row < rows; ++row) {
    r.state.values[row] = t.values[row].data();
    r.state.codes[row] = t.codes[row].data();
    r.state.absmax[row] = t.absmax[row].data();
    const bool is_signed = k::row_is_signed(a, row);
    r.state.table[row] = &bnb::quant_table(bnb::state_map(f, is_signed));
  }
  bnb::HyperParams h;
  h.weight_decay = 1e-2;
  if (a == Algorithm::lamb || a == Algorithm::lars) h.max_unorm = 1.0;
  r.constants = k::base_step_constants(h, 10);
  r.max_unorm = static_cast<float>(h.max_unorm);
  r.threads = threads;
  return r;
}

void set_counters(benchmark::State& state, std::size_t n, double bytes_per_elem) {
  const auto items = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.counters["ns_per_elem"] =
      benchmark::Counter(items * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<std::int64_t>(items * bytes_per_elem));
}

/// The data a step runs on: step_bench's ramp (every code 140 at scale 0.01 to start, periodic
/// gradients (i % 2001 - 1000) 1e-5, weight decay 1e-2: the figures of rounds 4-12), or what a
/// run steps (fill_normal, the optimizer's default hyperparameters, no weight decay for Adam).
enum class Data { ramp, normal };

/// Steps that settle the normal data's states from zero before the timing (a run's accuracy
/// and warm-up steps: configs/perf.json has 2 + 2).
constexpr int kSettleSteps = 4;

void step_bench(benchmark::State& state, Algorithm a, DType d, StateFormat f, k::CpuVariant v, std::size_t n,
                int threads, k::UnderflowGuard guard, Data data) {
  Tensor t;
  const int rows = k::state_rows(a);
  if (data == Data::normal) {
    fill_normal(t, d, f, rows, n, bnb::kDefaultBlockSize);
  } else {
    fill(t, d, f, rows, n, bnb::kDefaultBlockSize);
  }
  bnb::StepRequest r = make_request(t, a, d, f, n, threads);
  if (data == Data::normal) {
    for (int row = 0; row < rows; ++row) {
      if (!t.codes[row].empty()) std::fill(t.codes[row].begin(), t.codes[row].end(), r.state.table[row]->zero_code);
    }
    r.constants = k::base_step_constants(bnb::HyperParams{}, 1);
  }
  bnb::StepReport report;
  r.underflow_guard = guard;
  std::int64_t step = 1;
  r.state_rounding_key = k::rounding_key(1, 2, step);
  k::cpu_step(v, r, report);  // warm-up: page in, settle the states
  if (data == Data::normal) {
    while (step < kSettleSteps) {
      r.constants = k::base_step_constants(bnb::HyperParams{}, ++step);
      r.state_rounding_key = k::rounding_key(1, 2, step);
      k::cpu_step(v, r, report);
    }
  }
  for (auto _ : state) {
    r.state_rounding_key = k::rounding_key(1, 2, ++step);  // a stream per step, as in a run
    k::cpu_step(v, r, report);
    benchmark::ClobberMemory();
  }
  set_counters(state, n, model_bytes(d, f, rows));
}

// ---- memory floors: same streams, trivial arithmetic --------------------------------------------

template <class P, class S, int Rows>
[[gnu::noinline]] void floor_loop(const P* g, P* p, S* const* s, std::size_t n, int threads) {
  constexpr std::size_t kChunk = 4096;
  const std::size_t chunks = bnb::block_count(n, kChunk);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = c * kChunk;
    const std::size_t len = std::min(n, begin + kChunk) - begin;
    // Local restrict pointers: uint8 stores could otherwise alias everything and stop the
    // vectorizer.
    const P* __restrict gc = g + begin;
    P* __restrict pc = p + begin;
    S* __restrict s0 = s[0] + begin;
    S* __restrict s1 = s[Rows - 1] + begin;
    for (std::size_t i = 0; i < len; ++i) {
      const P gi = gc[i];
      pc[i] = static_cast<P>(pc[i] ^ gi);
      s0[i] = static_cast<S>(s0[i] + static_cast<S>(gi));
      if constexpr (Rows == 2) s1[i] = static_cast<S>(s1[i] + static_cast<S>(gi));
    }
  }
}

template <class P, class S>
void floor_bench(benchmark::State& state, int rows, std::size_t n, int threads) {
  Aligned<P> g(n, P{1}), p(n, P{2});
  std::vector<Aligned<S>> s(static_cast<std::size_t>(rows), Aligned<S>(n, S{3}));
  S* sp[bnb::kMaxStateRows] = {};
  for (int r = 0; r < rows; ++r) sp[r] = s[static_cast<std::size_t>(r)].data();
  const auto run = rows == 1 ? floor_loop<P, S, 1> : floor_loop<P, S, 2>;
  run(g.data(), p.data(), sp, n, threads);
  for (auto _ : state) {
    run(g.data(), p.data(), sp, n, threads);
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 3.0 * sizeof(P) + 2.0 * sizeof(S) * rows);
}

std::string algo_name(Algorithm a) { return std::string(bnb::algorithm_name(a)); }
std::string dtype_name(DType d) { return d == DType::f32 ? "fp32" : d == DType::f16 ? "fp16" : "bf16"; }
/// The format's name; unquantized fp32 state is "state32" (the name results/perf/ has used).
std::string format_name(StateFormat f) {
  return f == StateFormat::fp32 ? "state32" : std::string(bnb::state_format_name(f));
}

/// guard: underflow_guard's remedy (bnb/kernels/underflow_guard.hpp), named "/guard:unstall" when on.
/// data: the ramp (no suffix: the name every round since 4 used) or "/data:normal".
void add_step(Algorithm a, DType d, StateFormat f, k::CpuVariant v, std::size_t n, int threads,
              k::UnderflowGuard guard = k::UnderflowGuard::off, Data data = Data::ramp) {
  const std::string name = "step/" + algo_name(a) + "/" + dtype_name(d) + "/" + format_name(f) + "/" +
                           std::string(k::variant_name(v)) + "/n:" + std::to_string(n) +
                           "/threads:" + std::to_string(threads) +
                           (guard == k::UnderflowGuard::drop_momentum_unstall ? "/guard:unstall" : "") +
                           (data == Data::normal ? "/data:normal" : "");
  benchmark::RegisterBenchmark(name.c_str(), step_bench, a, d, f, v, n, threads, guard, data)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond)
      ->MinTime(0.3);
}

template <class P, class S>
void add_floor(const char* what, int rows, std::size_t n, int threads) {
  const std::string name = std::string("floor/") + what + "/rows:" + std::to_string(rows) +
                           "/n:" + std::to_string(n) + "/threads:" + std::to_string(threads);
  benchmark::RegisterBenchmark(name.c_str(), floor_bench<P, S>, rows, n, threads)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond)
      ->MinTime(0.3);
}

const bool kRegistered = [] {
  const auto variants = k::supported_variants();
  // Floors: fp32 p/g with fp32 states (uint32 arithmetic streams the same bytes), 8-bit codes,
  // and 16-bit p/g.
  for (int threads : {1, 2}) {
    for (int rows : {1, 2}) {
      add_floor<std::uint32_t, std::uint32_t>("p32_s32", rows, kN64M, threads);
      add_floor<std::uint32_t, std::uint8_t>("p32_s8", rows, kN64M, threads);
      add_floor<std::uint16_t, std::uint32_t>("p16_s32", rows, kN64M, threads);
      add_floor<std::uint16_t, std::uint8_t>("p16_s8", rows, kN64M, threads);
    }
  }
  // The Adam sweeps: 32-bit and the 8-bit block-wise default.
  const StateFormat block8 = *bnb::find_state_format(8, bnb::ScaleKind::per_block);
  for (k::CpuVariant v : variants) {
    for (StateFormat f : {StateFormat::fp32, block8}) {
      for (int threads : {1, 2}) add_step(Algorithm::adam, DType::f32, f, v, kN64M, threads);
    }
  }
  const k::CpuVariant best = variants.back();
  // Adam on what a run steps (normal gradients, settled states): the goal is read here.
  // 16-bit parameters on the same data: the bf16/fp16 goal without the ramp's weight decay (a
  // second rounding per element that a run's default Adam does not do).
  for (StateFormat f : {StateFormat::fp32, block8}) {
    for (DType d : {DType::f32, DType::f16, DType::bf16}) {
      for (int threads : {1, 2}) add_step(Algorithm::adam, d, f, best, kN64M, threads, k::UnderflowGuard::off, Data::normal);
    }
  }
  // 8-bit Adam under underflow_guard (drop momentum + unstall) with every variant's vector rule.
  for (k::CpuVariant v : variants) {
    for (int threads : {1, 2}) add_step(Algorithm::adam, DType::f32, block8, v, kN64M, threads, k::UnderflowGuard::drop_momentum_unstall);
  }
  // Every algorithm and 16-bit Adam at 1 and 2 threads (fp32 Adam in fp32 and 8-bit block-wise
  // state is in the sweep above).
  for (int fi = 0; fi < bnb::kStateFormatCount; ++fi) {
    const auto f = static_cast<StateFormat>(fi);
    for (int threads : {1, 2}) {
      for (Algorithm a : bnb::kAllAlgorithms) {
        if (a != Algorithm::adam || (f != StateFormat::fp32 && f != block8)) add_step(a, DType::f32, f, best, kN64M, threads);
      }
      for (DType d : {DType::f16, DType::bf16}) add_step(Algorithm::adam, d, f, best, kN64M, threads);
    }
  }
  for (StateFormat f : {StateFormat::fp32, block8}) {
    for (std::size_t n : {std::size_t{1} << 20, std::size_t{1} << 24, std::size_t{1} << 28}) {
      add_step(Algorithm::adam, DType::f32, f, best, n, 2);
    }
  }
  return true;
}();

}  // namespace
