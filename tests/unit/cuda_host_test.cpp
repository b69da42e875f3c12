// The host side of the CUDA backend, checked without a GPU: launch geometry (tails included),
// kernel-argument packing and request validation, and the errors when no device is usable.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>
#include <string>
#include <type_traits>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/qmap4_bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
// The kernels themselves on the CPU emulation of the CUDA execution model.
#include "../support/emulated_kernels.hpp"

namespace bnb::kernels::cuda {
namespace {

// ---------------------------------------------------------------------------------------------
// Launch geometry

TEST(CudaGeometry, ElementwiseFormatsUseOneBlockPer256Elements) {
  for (StateFormat f : {StateFormat::fp32, StateFormat::tensorwise8}) {
    const LaunchGeometry g = step_geometry(f, 2, 1000, 4096);  // block_size is ignored here
    EXPECT_EQ(g.grid, 4u);                                     // ceil(1000 / 256)
    EXPECT_EQ(g.threads, 256u);
    EXPECT_EQ(g.elements_per_block, 256u);
    EXPECT_EQ(g.shared_bytes, 0u);
  }
}

TEST(CudaGeometry, GridIsCeilOfNOverBlockAtTheEdges) {
  struct Case {
    std::size_t n, grid;
  };
  for (const Case c : {Case{0, 0}, Case{1, 1}, Case{255, 1}, Case{256, 1}, Case{257, 2}, Case{512, 2}, Case{4097, 17}}) {
    EXPECT_EQ(step_geometry(StateFormat::fp32, 1, c.n, 256).grid, c.grid) << "n = " << c.n;
    EXPECT_EQ(step_geometry(StateFormat::blockwise8, 1, c.n, 256).grid, c.grid) << "n = " << c.n;
    EXPECT_EQ(prepass_geometry(c.n).grid, c.grid) << "n = " << c.n;
  }
}

TEST(CudaGeometry, TailBlockCoversTheRemainder) {
  const std::size_t n = 1000003;  // a prime: every block size leaves a tail
  for (std::size_t block : {64u, 256u, 4096u}) {
    const LaunchGeometry g = step_geometry(StateFormat::blockwise8, 2, n, block);
    ASSERT_GT(g.grid, 0u);
    const std::size_t tail = n - (g.grid - 1) * g.elements_per_block;
    EXPECT_GE(tail, 1u);
    EXPECT_LE(tail, g.elements_per_block);
    EXPECT_EQ(tail, n % block);
  }
}

TEST(CudaGeometry, BlockwiseThreadsAndStagingFollowTheBlockSize) {
  // Scratch of 9 floats (8 warps + the result) plus the staged rows.
  const LaunchGeometry small = step_geometry(StateFormat::blockwise8, 2, 10000, 64);
  EXPECT_EQ(small.threads, 32u);  // one whole warp, two elements each
  EXPECT_EQ(small.elements_per_block, 64u);
  EXPECT_EQ(small.grid, 157u);  // ceil(10000 / 64)
  EXPECT_EQ(small.shared_bytes, (9u + 2u * 64u) * sizeof(float));

  EXPECT_EQ(step_geometry(StateFormat::blockwise8, 2, 10000, 256).threads, 64u);  // kStepElementsPerThread each
  EXPECT_EQ(step_geometry(StateFormat::blockwise8, 2, 10000, 1024).threads, 256u);

  const LaunchGeometry large = step_geometry(StateFormat::blockwise8, 3, 10000, 4096);
  EXPECT_EQ(large.threads, 256u);  // 16 elements per thread
  EXPECT_EQ(large.grid, 3u);
  EXPECT_EQ(large.shared_bytes, (9u + 3u * 4096u) * sizeof(float));  // above 48 KiB: opt-in launch
}

TEST(CudaGeometry, RejectsBlockSizesTheReductionCannotHandle) {
  for (std::size_t block : {0u, 32u, 100u, 384u, 8192u}) {
    EXPECT_THROW(step_geometry(StateFormat::blockwise8, 1, 1000, block), std::invalid_argument) << block;
  }
}

TEST(CudaGeometry, ReductionChunkIsOneThreadBlock) {
  EXPECT_EQ(kThreadsPerBlock, kReductionBlock);
  const LaunchGeometry g = prepass_geometry(300);
  EXPECT_EQ(g.threads, 256u);
  EXPECT_EQ(g.elements_per_block, kReductionBlock);
  EXPECT_EQ(g.grid, 2u);
}

// ---------------------------------------------------------------------------------------------
// Argument packing

/// Distinct fake device addresses: packing copies pointers, it never dereferences them.
template <class T>
T* fake(std::uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

struct EightBitRequest {
  QuantTable signed_table = make_quant_table(kSignedMapBits, true);
  QuantTable unsigned_table = make_quant_table(kUnsignedMapBits, false);
  StepRequest r;

  EightBitRequest(Algorithm a, StateFormat f) {
    r.algorithm = a;
    r.dtype = DType::bf16;
    r.n = 5000;
    r.param = fake<void>(0x1000);
    r.grad = fake<const void>(0x2000);
    r.state.format = f;
    r.state.rows = state_rows(a);
    r.state.block_size = 128;
    for (int k = 0; k < r.state.rows; ++k) {
      const auto u = static_cast<std::uintptr_t>(k);
      r.state.values[k] = fake<float>(0x3000 + u * 0x100);
      r.state.codes[k] = fake<std::uint8_t>(0x4000 + u * 0x100);
      r.state.absmax[k] = fake<float>(0x5000 + u * 0x100);
      r.state.table[k] = k == r.state.rows - 1 && r.state.rows > 1 && a != Algorithm::ademamix ? &unsigned_table : &signed_table;
    }
    r.constants.lr = 0.25f;
    r.gnorm_scale = 0.5f;
  }
};

ScratchPointers fake_scratch() {
  ScratchPointers s;
  s.tables = fake<const DeviceCodeTable>(0x9000);
  s.scalars = fake<StepScalars>(0xa000);
  s.unorm_part = fake<float>(0xb000);
  s.pnorm_part = fake<float>(0xc000);
  s.max_part = fake<float>(0xd000);
  s.nonfinite = fake<unsigned long long>(0xe000);
  return s;
}

TEST(CudaPacking, KernelArgumentsAreTriviallyCopyable) {
  EXPECT_TRUE(std::is_trivially_copyable_v<KernelArgs>);
  EXPECT_TRUE(std::is_trivially_copyable_v<StepScalars>);
  EXPECT_TRUE(std::is_trivially_copyable_v<StepConstants>);
  // Far below CUDA's 4 KiB kernel-parameter limit: the tables travel by pointer.
  EXPECT_LT(sizeof(KernelArgs), 4096u);
}

TEST(CudaPacking, CopiesTheRequestAndTheScratch) {
  EightBitRequest q(Algorithm::adam, StateFormat::blockwise8);
  const ScratchPointers s = fake_scratch();
  const KernelArgs a = pack_kernel_args(q.r, s);
  EXPECT_EQ(a.algorithm, Algorithm::adam);
  EXPECT_EQ(a.format, StateFormat::blockwise8);
  EXPECT_EQ(a.rows, 2);
  EXPECT_EQ(a.n, 5000u);
  EXPECT_EQ(a.param, q.r.param);
  EXPECT_EQ(a.grad, q.r.grad);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(a.codes[k], q.r.state.codes[k]);
    EXPECT_EQ(a.absmax[k], q.r.state.absmax[k]);
  }
  EXPECT_EQ(a.codes[2], nullptr);  // rows beyond the algorithm's stay empty
  EXPECT_EQ(a.tables, s.tables);   // the device copy, not the host table
  EXPECT_EQ(a.block_size, 128u);
  EXPECT_EQ(a.constants.lr, 0.25f);
  EXPECT_EQ(a.gnorm_scale, 0.5f);
  EXPECT_FALSE(a.clips);
  EXPECT_EQ(a.scalars, nullptr);  // no pre-pass: the step kernel uses scale 1
  EXPECT_EQ(a.unorm_part, nullptr);
  EXPECT_EQ(a.max_part, nullptr);
  EXPECT_EQ(a.nonfinite, s.nonfinite);
}

TEST(CudaPacking, ClippingAndTensorwiseStateUseThePrePass) {
  EightBitRequest lamb(Algorithm::lamb, StateFormat::fp32);
  lamb.r.max_unorm = 1.0f;
  EXPECT_TRUE(needs_prepass(lamb.r));
  const KernelArgs a = pack_kernel_args(lamb.r, fake_scratch());
  EXPECT_TRUE(a.clips);
  EXPECT_NE(a.scalars, nullptr);
  EXPECT_NE(a.unorm_part, nullptr);
  EXPECT_NE(a.pnorm_part, nullptr);
  EXPECT_EQ(a.max_part, nullptr);
  EXPECT_EQ(a.tables, nullptr);  // 32-bit state needs no table
  EXPECT_EQ(a.block_size, kReductionBlock);

  EightBitRequest adam(Algorithm::adam, StateFormat::fp32);
  adam.r.max_unorm = 1.0f;  // adam does not clip its update norm (SPEC.md §4.8)
  EXPECT_FALSE(needs_prepass(adam.r));
  EXPECT_FALSE(pack_kernel_args(adam.r, fake_scratch()).clips);

  EightBitRequest tensorwise(Algorithm::lion, StateFormat::tensorwise8);
  EXPECT_TRUE(needs_prepass(tensorwise.r));
  const KernelArgs t = pack_kernel_args(tensorwise.r, fake_scratch());
  EXPECT_FALSE(t.clips);
  EXPECT_NE(t.scalars, nullptr);
  EXPECT_NE(t.max_part, nullptr);
  EXPECT_EQ(t.unorm_part, nullptr);
}

TEST(CudaPacking, RejectsMalformedRequestsNamingTheField) {
  auto message = [](const StepRequest& r) {
    try {
      pack_kernel_args(r, fake_scratch());
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EightBitRequest rows(Algorithm::ademamix, StateFormat::blockwise8);
  rows.r.state.rows = 2;
  EXPECT_NE(message(rows.r).find("state.rows is 2 but ademamix keeps 3"), std::string::npos) << message(rows.r);

  EightBitRequest codes(Algorithm::adam, StateFormat::tensorwise8);
  codes.r.state.codes[1] = nullptr;
  EXPECT_NE(message(codes.r).find("state row 1: codes is null"), std::string::npos) << message(codes.r);

  EightBitRequest table(Algorithm::momentum, StateFormat::blockwise8);
  table.r.state.table[0] = nullptr;
  EXPECT_NE(message(table.r).find("quantization table is null"), std::string::npos) << message(table.r);

  EightBitRequest values(Algorithm::rmsprop, StateFormat::fp32);
  values.r.state.values[0] = nullptr;
  EXPECT_NE(message(values.r).find("values is null"), std::string::npos) << message(values.r);

  EightBitRequest block(Algorithm::adam, StateFormat::blockwise8);
  block.r.state.block_size = 48;
  EXPECT_NE(message(block.r).find("block_size 48"), std::string::npos) << message(block.r);

  EightBitRequest param(Algorithm::adam, StateFormat::fp32);
  param.r.param = nullptr;
  EXPECT_NE(message(param.r).find("param and grad"), std::string::npos) << message(param.r);
}

// ---------------------------------------------------------------------------------------------
// Discovery and the no-device errors

TEST(CudaDiscovery, VersionStringsReadLikeNvidiaSmi) {
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(12040), "12.4");
}

TEST(CudaDiscovery, UnavailableCudaSaysWhy) {
  std::string why = "unchanged";
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present; the device suite covers it";
  if (built_with_cuda()) {
    EXPECT_EQ(why.rfind("no CUDA device: ", 0), 0u) << why;
    EXPECT_GT(why.size(), std::string("no CUDA device: ").size()) << "the runtime's reason is missing";
  } else {
    EXPECT_EQ(why, "this build has no CUDA");
  }
  EXPECT_FALSE(cuda_available(nullptr));
}

TEST(CudaDiscovery, EveryDeviceEntryPointThrowsWithoutADevice) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present; the device suite covers it";
  const std::string reason = built_with_cuda() ? "no CUDA device: " : "this build has no CUDA";

  EightBitRequest q(Algorithm::adam, StateFormat::fp32);
  StepReport report;
  try {
    cuda_step(q.r, report, nullptr);
    ADD_FAILURE() << "cuda_step did not throw";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("cuda_step"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
  EXPECT_THROW(describe_device(0), CudaError);
  EXPECT_THROW(ManagedBuffer(1024), CudaError);
  EXPECT_THROW(Stream(), CudaError);
  EXPECT_EQ(managed_bytes_in_use(), 0u);
}

TEST(CudaDiscovery, EmptyOwnersAreSafeToMoveAndDestroy) {
  ManagedBuffer a;
  ManagedBuffer b(std::move(a));
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.bytes(), 0u);
  EXPECT_FALSE(b.prefetch(nullptr));  // nothing to prefetch
  DeviceBuffer d;
  d = DeviceBuffer();
  EXPECT_EQ(d.data(), nullptr);
  StepWorkspace w1;
  StepWorkspace w2(std::move(w1));
  static_assert(!std::is_copy_constructible_v<StepWorkspace> && !std::is_copy_constructible_v<Stream> &&
                !std::is_copy_constructible_v<DeviceBuffer> && !std::is_copy_constructible_v<ManagedBuffer>);
}

// ---------------------------------------------------------------------------------------------
// The kernels on the CPU emulation (emulation/cuda_emulation.hpp) against cpu_step: the same
// pass order as cuda_step (pre-pass, finalize, step), host memory standing in for device memory.
// Expected bit-identical: same per-element functions, same reduction order.

template <unsigned kStage>
void emulated_step(const StepRequest& r, StepReport& report) {
  const int rows = state_rows(r.algorithm);
  const std::size_t chunks = block_count(r.n, kReductionBlock);
  std::vector<DeviceCodeTable> tables(static_cast<std::size_t>(rows));
  if (r.state.format != StateFormat::fp32) {
    for (int k = 0; k < rows; ++k) prepare_device_code_table(*r.state.table[k], tables[static_cast<std::size_t>(k)]);
  }
  StepScalars scalars;
  unsigned long long nonfinite = 0;
  unsigned long long underflows[kMaxStateRows] = {};
  std::vector<float> unorm(chunks), pnorm(chunks), maxima(chunks * static_cast<std::size_t>(rows));
  ScratchPointers sp;
  sp.tables = tables.data();
  sp.scalars = &scalars;
  sp.nonfinite = &nonfinite;
  sp.underflows = underflows;
  sp.unorm_part = unorm.data();
  sp.pnorm_part = pnorm.data();
  sp.max_part = maxima.data();
  const KernelArgs args = pack_kernel_args(r, sp);
  run_emulated_kernels(r, args, kStage);
  if (args.clips) {
    report.unorm = scalars.unorm;
    report.pnorm = scalars.pnorm;
  }
  report.update_scale = needs_prepass(r) ? scalars.update_scale : 1.0f;
  report.nonfinite_grads = nonfinite;
  for (int k = 0; k < kMaxStateRows; ++k) report.underflows[k] = underflows[k];
}

/// One tensor in host memory, twice: stepped by cpu_step and by the emulated kernels.
struct TwinTensors {
  std::size_t n, value_bytes;
  std::vector<std::uint8_t> param[2], grad, compensation[2];
  std::vector<float> values[2][kMaxStateRows], absmax[2][kMaxStateRows];
  std::vector<std::uint8_t> codes[2][kMaxStateRows];
  QuantTable tables[kMaxStateRows];
  StepRequest r[2];

  TwinTensors(Algorithm a, DType d, StateFormat f, std::size_t size, std::size_t block,
              ParamRounding rounding = ParamRounding::nearest)
      : n(size) {
    value_bytes = d == DType::f32 ? 4 : 2;
    const int rows = state_rows(a);
    std::mt19937 rng(99u + static_cast<unsigned>(a));
    std::normal_distribution<float> dist(0.0f, 0.1f);
    param[0].resize(n * value_bytes);
    grad.resize(n * value_bytes);
    // Kept as put_value and called after the constructor returns: d is captured by value.
    auto put = [d](std::vector<std::uint8_t>& v, std::size_t i, float x) {
      if (d == DType::f32) {
        std::memcpy(v.data() + 4 * i, &x, 4);
      } else {
        const std::uint16_t bits = d == DType::f16 ? float_to_half(x).bits : float_to_bf16(x).bits;
        std::memcpy(v.data() + 2 * i, &bits, 2);
      }
    };
    for (std::size_t i = 0; i < n; ++i) put(param[0], i, dist(rng));
    param[1] = param[0];
    // A compensation of a few parameter ulps' fractions, as earlier steps would leave it.
    compensation[0].resize(n * value_bytes);
    for (std::size_t i = 0; i < n; ++i) put(compensation[0], i, dist(rng) * 1e-3f);
    compensation[1] = compensation[0];
    HyperParams h;
    h.weight_decay = 0.01;
    h.max_unorm = a == Algorithm::lars ? 0.02 : 0.5;  // small enough that LAMB/LARS/RMSprop clip
    for (int side = 0; side < 2; ++side) {
      StepRequest& q = r[side];
      q.algorithm = a;
      q.dtype = d;
      q.n = n;
      q.param = param[side].data();
      q.grad = grad.data();
      q.state.format = f;
      q.state.rows = rows;
      q.state.block_size = format_codec(f).block_of(block);
      q.max_unorm = static_cast<float>(h.max_unorm);
      q.rounding = rounding;
      if (rounding == ParamRounding::compensated) q.compensation = compensation[side].data();
      for (int k = 0; k < rows; ++k) {
        const bool is_unsigned = rows > 1 && k == rows - 1;
        tables[k] = f == StateFormat::blockwise_fp8 ? make_e4m3_table(!is_unsigned)
                    : f == StateFormat::blockwise4  ? make_quant_table(is_unsigned ? kLinear4MapBits : kNormal4MapBits, false)
                    : is_unsigned                   ? make_quant_table(kUnsignedMapBits, false)
                                                    : make_quant_table(kSignedMapBits, true);
        q.state.table[k] = &tables[k];
        if (f == StateFormat::fp32) {
          values[side][k].assign(n, 0.0f);
          q.state.values[k] = values[side][k].data();
        } else {
          codes[side][k].assign(format_codec(f).row_bytes(n), tables[k].zero_code);
          absmax[side][k].assign(format_codec(f).scale_slots(n, block), 0.0f);  // 4-bit: two bf16 per slot
          q.state.codes[k] = codes[side][k].data();
          q.state.absmax[k] = absmax[side][k].data();
        }
      }
    }
    hyper = h;
    gen = rng;
    format = f;
    dtype = d;
    put_value = put;
  }

  HyperParams hyper;
  std::mt19937 gen;
  StateFormat format;
  DType dtype;
  std::function<void(std::vector<std::uint8_t>&, std::size_t, float)> put_value;

  void new_gradient(std::int64_t t) {
    std::normal_distribution<float> dist(0.0f, 0.01f);
    // i % 53 == 7: squares far below their block's largest, which underflow in 8-bit v.
    for (std::size_t i = 0; i < n; ++i) put_value(grad, i, i % 61 == 0 ? 0.0f : dist(gen) * (i % 53 == 7 ? 1e-5f : 1.0f));
    if (format != StateFormat::fp32) {
      put_value(grad, 3, NAN);
      put_value(grad, n - 2, INFINITY);
    }
    for (StepRequest& q : r) {
      q.constants = with_algorithm(q.algorithm, [&]<class A>() { return A::prepare(hyper, t); });
      q.gnorm_scale = t == 2 ? 0.75f : 1.0f;
      q.rounding_key = rounding_key(7, 42, t);
      q.state_rounding_key = rounding_key(8, 42, t);
    }
  }
};

template <unsigned kStage = 1024>
std::uint64_t expect_emulation_matches_cpu(Algorithm a, DType d, StateFormat f, std::size_t n, std::size_t block,
                                           ParamRounding rounding = ParamRounding::nearest,
                                           UnderflowGuard guard = UnderflowGuard::off) {
  SCOPED_TRACE(std::to_string(static_cast<int>(a)) + "/" + std::to_string(static_cast<int>(d)) + "/" +
               std::to_string(static_cast<int>(f)) + " n=" + std::to_string(n) + " block=" + std::to_string(block) +
               " rounding=" + std::to_string(static_cast<int>(rounding)) + " guard=" + std::to_string(static_cast<int>(guard)));
  TwinTensors x(a, d, f, n, block, rounding);
  x.r[0].underflow_guard = x.r[1].underflow_guard = guard;
  std::uint64_t underflows = 0;
  for (std::int64_t t = 1; t <= 2; ++t) {
    x.new_gradient(t);
    StepReport cpu, emu;
    cpu_step(CpuVariant::scalar, x.r[0], cpu);
    emulated_step<kStage>(x.r[1], emu);
    EXPECT_EQ(emu.unorm, cpu.unorm);
    EXPECT_EQ(emu.pnorm, cpu.pnorm);
    EXPECT_EQ(emu.update_scale, cpu.update_scale);
    EXPECT_EQ(emu.nonfinite_grads, cpu.nonfinite_grads);
    for (int k = 0; k < kMaxStateRows; ++k) {
      EXPECT_EQ(emu.underflows[k], cpu.underflows[k]) << "row " << k << " step " << t;
      underflows += cpu.underflows[k];
    }
  }
  EXPECT_EQ(x.param[1], x.param[0]);
  EXPECT_EQ(x.compensation[1], x.compensation[0]);
  for (int k = 0; k < state_rows(a); ++k) {
    EXPECT_EQ(x.values[1][k], x.values[0][k]) << "row " << k;
    EXPECT_EQ(x.codes[1][k], x.codes[0][k]) << "row " << k;
    EXPECT_EQ(x.absmax[1][k], x.absmax[0][k]) << "row " << k;
  }
  return underflows;
}

constexpr Algorithm kAllAlgorithms[] = {Algorithm::adam,    Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                                        Algorithm::adagrad, Algorithm::lion,     Algorithm::lamb,     Algorithm::lars};

/// The formats with CUDA kernels for every algorithm (4-bit: the moment-state rules, below).
constexpr StateFormat kKernelFormats[] = {StateFormat::fp32, StateFormat::blockwise8, StateFormat::tensorwise8,
                                          StateFormat::blockwise_fp8};

TEST(CudaKernelEmulation, EveryAlgorithmAndFormatMatchesCpuBitForBit) {
  for (Algorithm a : kAllAlgorithms) {
    for (StateFormat f : kKernelFormats) {
      expect_emulation_matches_cpu(a, DType::bf16, f, 700, 256);  // 3 blocks, tail of 188
    }
  }
}

TEST(CudaKernelEmulation, FourBitStateMatchesCpuBitForBit) {
  // The update rules that offer 4-bit state (not Adagrad, LAMB or LARS; RMSprop clips here, so its
  // pre-pass decodes 4-bit state too), every dtype and rounding. 701 elements: eleven 64-element
  // blocks, the last a tail of 61 (an odd count of bf16 scales: the last fp32 slot is half used;
  // an odd tail: the last byte has one code).
  for (Algorithm a : {Algorithm::adam, Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop, Algorithm::lion}) {
    expect_emulation_matches_cpu(a, DType::bf16, StateFormat::blockwise4, 701, 256);
  }
  for (DType d : {DType::f32, DType::f16}) expect_emulation_matches_cpu(Algorithm::adam, d, StateFormat::blockwise4, 701, 256);
  for (ParamRounding rounding : {ParamRounding::stochastic, ParamRounding::compensated}) {
    expect_emulation_matches_cpu(Algorithm::adam, DType::bf16, StateFormat::blockwise4, 700, 256, rounding);
  }
}

TEST(CudaKernelEmulation, FourBitStateOfAClippingRuleHasNoKernels) {
  TwinTensors x(Algorithm::lamb, DType::f32, StateFormat::blockwise4, 300, 256);
  x.new_gradient(1);
  StepReport report;
  EXPECT_THROW(emulated_step<kDefaultFinalizeStage>(x.r[1], report), std::invalid_argument);
}

TEST(CudaKernelEmulation, EveryDtypeMatchesCpuBitForBit) {
  for (DType d : {DType::f32, DType::f16}) {
    for (StateFormat f : kKernelFormats) {
      expect_emulation_matches_cpu(Algorithm::lamb, d, f, 700, 256);
    }
  }
}

TEST(CudaKernelEmulation, EveryParamRoundingMatchesCpuBitForBit) {
  for (ParamRounding rounding : {ParamRounding::stochastic, ParamRounding::compensated}) {
    for (Algorithm a : kAllAlgorithms) {
      for (StateFormat f : {StateFormat::fp32, StateFormat::blockwise8, StateFormat::tensorwise8}) {
        expect_emulation_matches_cpu(a, DType::bf16, f, 700, 256, rounding);
      }
    }
    for (DType d : {DType::f16, DType::f32}) expect_emulation_matches_cpu(Algorithm::lamb, d, StateFormat::tensorwise8, 700, 256, rounding);
  }
}

// The 8-bit underflow counts and every remedy of underflow_guard.hpp (the algorithms with an
// unsigned row): the kernels count and guard as cpu_step, and this data does underflow.
TEST(CudaKernelEmulation, UnderflowCountsAndGuardsMatchCpu) {
  for (Algorithm a : {Algorithm::adam, Algorithm::ademamix, Algorithm::lamb}) {
    for (StateFormat f : {StateFormat::blockwise8, StateFormat::tensorwise8}) {
      for (UnderflowGuard g : {UnderflowGuard::off, UnderflowGuard::smallest_code, UnderflowGuard::drop_momentum,
                               UnderflowGuard::zero_update, UnderflowGuard::smallest_code_drop_momentum,
                               UnderflowGuard::drop_momentum_unstall}) {
        EXPECT_GT(expect_emulation_matches_cpu(a, DType::f32, f, 700, 256, ParamRounding::nearest, g), 0u);
      }
    }
  }
}

TEST(CudaKernelEmulation, BlockSizesAndMultiRoundFinalizeMatchCpu) {
  expect_emulation_matches_cpu(Algorithm::ademamix, DType::f16, StateFormat::blockwise8, 1500, 64);
  expect_emulation_matches_cpu(Algorithm::lars, DType::f32, StateFormat::blockwise8, 1500, 1024);
  // A 4-partial stage makes the finalizer's ordered double sum take several rounds.
  expect_emulation_matches_cpu<4>(Algorithm::lamb, DType::f32, StateFormat::blockwise8, 2900, 128);
  expect_emulation_matches_cpu<4>(Algorithm::adam, DType::bf16, StateFormat::tensorwise8, 2900, 256);
  // fp8 keeps its own 256-element blocks whatever the configured size.
  expect_emulation_matches_cpu(Algorithm::ademamix, DType::f32, StateFormat::blockwise_fp8, 1500, 64);
}

/// Sums in chunk order in double, as cpu_detail::pre_pass adds the partials.
double ordered_double_sum(const std::vector<float>& parts) {
  double s = 0.0;
  for (float x : parts) s += static_cast<double>(x);
  return s;
}

TEST(CudaKernelEmulation, FinalizerSumsInParallelOnlyWhereTheOrderCannotShow) {
  std::mt19937 rng(3);
  std::lognormal_distribution<float> magnitude(-6.0f, 1.0f);
  const std::size_t chunks = 5000;
  std::vector<float> typical_u(chunks), typical_p(chunks);
  for (std::size_t c = 0; c < chunks; ++c) {
    typical_u[c] = magnitude(rng);
    typical_p[c] = magnitude(rng) * 100.0f;
  }
  // 1, then tiny partials that the ordered sum loses one by one and a parallel sum does not.
  std::vector<float> wide_u(chunks, 0x1p-60f), wide_p = typical_p;
  wide_u[0] = 1.0f;
  struct Case {
    const char* name;
    std::vector<float>* u;
    std::vector<float>* p;
    bool parallel;
  };
  for (const Case& c : {Case{"typical", &typical_u, &typical_p, true}, Case{"wide", &wide_u, &wide_p, false}}) {
    StepScalars scalars;
    KernelArgs a{};
    a.clips = true;
    a.clip = ClipRule::param_norm;
    a.max_unorm = 1.0f;
    a.constants.eps = 1e-8f;
    a.scalars = &scalars;
    a.unorm_part = c.u->data();
    a.pnorm_part = c.p->data();
    const double ordered_u = ordered_double_sum(*c.u), ordered_p = ordered_double_sum(*c.p);
    double u = 0.0, q = 0.0;
    EXPECT_EQ(emulated_parallel_sums_are_exact(a, chunks, u, q), c.parallel) << c.name;
    if (c.parallel) {
      EXPECT_EQ(u, ordered_u) << c.name;  // bit for bit: the parallel sum is the ordered one
      EXPECT_EQ(q, ordered_p) << c.name;
    } else {
      EXPECT_NE(u, ordered_u) << c.name;  // the order shows here, so the finalizer must not take u
    }
    for (unsigned stage : {kDefaultFinalizeStage, 4u}) {
      scalars = StepScalars{};
      run_emulated_finalize(a, chunks, stage);
      EXPECT_EQ(scalars.unorm, static_cast<float>(std::sqrt(ordered_u))) << c.name << " stage " << stage;
      EXPECT_EQ(scalars.pnorm, static_cast<float>(std::sqrt(ordered_p))) << c.name << " stage " << stage;
      EXPECT_EQ(scalars.update_scale, clip_scale(a.clip, scalars.unorm, scalars.pnorm, a.max_unorm, a.constants.eps));
    }
  }
}

}  // namespace
}  // namespace bnb::kernels::cuda
