// The CUDA driver against the CPU driver (label gpu). Every algorithm x state format x dtype runs
// three steps from the same start on both backends and the results are compared; paged (managed)
// state must equal device state; block sizes and tensor sizes that exercise the tails, the
// shared-memory opt-in and the multi-round finalizer are covered too. Without a usable device
// every test reports itself skipped.
//
// Both backends run the same per-element functions with IEEE arithmetic, no FMA contraction and
// the same reduction order, so the expected result is bit-identical. The assertions still use the
// SPEC.md §10 tolerances for the 32-bit comparison (as the issue asks) and, for 8-bit state, allow
// kMaxCodeTies codes per row to differ by one index: a value landing exactly on a rounding
// threshold is the only place where a one-ulp difference upstream could flip a code. Any
// difference is also printed so a GPU run shows how far from bit-identical it is.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/qmap4_bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"

namespace bnb::kernels {
namespace {

namespace gpu = cuda;

constexpr int kSteps = 3;
constexpr std::size_t kDefaultN = 3 * 4096 + 77;  // tails in every block size
constexpr std::size_t kMaxCodeTies = 4;           // per state row and tensor (see the top)
constexpr std::size_t kMaxParamMismatches = 15;   // SPEC.md §10 (Lion sign flips)

/// Every test of the suite: skipped (not failed) without a usable CUDA device.
class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!gpu::cuda_available(&why)) GTEST_SKIP() << "CUDA suite skipped: " << why;
  }
};

const char* dtype_name(DType d) {
  static const char* names[] = {"fp32", "fp16", "bf16"};
  return names[static_cast<int>(d)];
}
std::string format_name(StateFormat f) { return std::string(state_format_name(f)); }
std::size_t dtype_bytes(DType d) { return d == DType::f32 ? 4 : 2; }

HyperParams hyper_params(Algorithm a) {
  HyperParams h;
  h.weight_decay = 0.01;
  switch (a) {
    case Algorithm::lion: h.lr = 1e-4; h.beta2 = 0.99; break;
    case Algorithm::lamb: h.max_unorm = 1.0; break;
    case Algorithm::lars: h.lr = 0.01; h.max_unorm = 0.02; break;
    case Algorithm::rmsprop: h.lr = 0.01; h.beta1 = 0.99; h.max_unorm = 0.5; break;  // clipped by override
    case Algorithm::momentum: h.lr = 0.01; break;
    case Algorithm::adagrad: h.lr = 0.01; break;
    case Algorithm::ademamix: h.t_alpha = 10; h.t_beta3 = 10; break;
    case Algorithm::adam: break;
  }
  return h;
}

StepConstants constants_for(Algorithm a, const HyperParams& h, std::int64_t t) {
  return with_algorithm(a, [&]<class A>() { return A::prepare(h, t); });
}

/// Converts fp32 values to the storage type's bytes.
std::vector<std::uint8_t> to_storage(DType d, const std::vector<float>& x) {
  std::vector<std::uint8_t> out(x.size() * dtype_bytes(d));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (d == DType::f32) {
      std::memcpy(out.data() + 4 * i, &x[i], 4);
    } else {
      const std::uint16_t bits = d == DType::f16 ? float_to_half(x[i]).bits : float_to_bf16(x[i]).bits;
      std::memcpy(out.data() + 2 * i, &bits, 2);
    }
  }
  return out;
}

float load(DType d, const std::vector<std::uint8_t>& bytes, std::size_t i) {
  if (d == DType::f32) {
    float f;
    std::memcpy(&f, bytes.data() + 4 * i, 4);
    return f;
  }
  std::uint16_t bits;
  std::memcpy(&bits, bytes.data() + 2 * i, 2);
  return d == DType::f16 ? half_to_float(half_t{bits}) : bf16_to_float(bf16_t{bits});
}

/// One tensor's host-side data: parameter, state, and the gradients of every step.
struct HostTensor {
  Algorithm algorithm;
  DType dtype;
  StateFormat format;
  std::size_t n;
  std::size_t block_size;
  int rows;
  std::vector<std::uint8_t> param;
  std::vector<std::vector<std::uint8_t>> grads;  // one per step
  std::vector<float> values[kMaxStateRows];
  std::vector<std::uint8_t> codes[kMaxStateRows];
  std::vector<float> absmax[kMaxStateRows];
  QuantTable tables[kMaxStateRows];
  ParamRounding rounding = ParamRounding::nearest;  // 16-bit parameters (param_rounding.hpp)
  std::vector<std::uint8_t> compensation;           // compensated: n values of dtype

  HostTensor(Algorithm a, DType d, StateFormat f, std::size_t size, std::size_t block)
      : algorithm(a), dtype(d), format(f), n(size), block_size(block), rows(state_rows(a)) {
    std::mt19937 rng(1234u + static_cast<unsigned>(a) * 31u + static_cast<unsigned>(d) * 7u + static_cast<unsigned>(f));
    std::normal_distribution<float> p_dist(0.0f, 0.1f), g_dist(0.0f, 0.01f);
    std::vector<float> x(n);
    for (float& v : x) v = p_dist(rng);
    param = to_storage(d, x);
    for (int s = 0; s < kSteps; ++s) {
      for (float& v : x) v = g_dist(rng);
      for (std::size_t i = 0; i < n; i += 997) x[i] = 0.0f;  // skip_zeros-style zeros
      if (f != StateFormat::fp32) {  // the 8-bit guard of SPEC.md §3 (32-bit paths propagate)
        x[5] = NAN;
        x[n - 3] = s % 2 == 0 ? INFINITY : -INFINITY;
      }
      grads.push_back(to_storage(d, x));
    }
    block_size = format_codec(f).block_of(block);  // fp8 and 4-bit keep their own blocks
    const std::size_t scales = format_codec(f).scale_slots(n, block);  // 4-bit: two bf16 per slot
    for (int k = 0; k < rows; ++k) {
      const bool is_unsigned = rows > 1 && k == rows - 1;  // adam/lamb v, ademamix nu
      tables[k] = f == StateFormat::blockwise_fp8 ? make_e4m3_table(!is_unsigned)
                  : f == StateFormat::blockwise4  ? make_quant_table(is_unsigned ? kLinear4MapBits : kNormal4MapBits, false)
                  : is_unsigned                   ? make_quant_table(kUnsignedMapBits, false)
                                                  : make_quant_table(kSignedMapBits, true);
      if (f == StateFormat::fp32) {
        values[k].assign(n, 0.0f);
      } else {
        codes[k].assign(format_codec(f).row_bytes(n), tables[k].zero_code);
        absmax[k].assign(scales, 0.0f);
      }
    }
  }

  StepRequest request(std::int64_t t, float gnorm_scale) {
    const HyperParams h = hyper_params(algorithm);
    StepRequest r;
    r.algorithm = algorithm;
    r.dtype = dtype;
    r.n = n;
    r.param = param.data();
    r.grad = grads[static_cast<std::size_t>(t - 1)].data();
    r.state.format = format;
    r.state.rows = rows;
    r.state.block_size = block_size;
    for (int k = 0; k < rows; ++k) {
      r.state.values[k] = values[k].empty() ? nullptr : values[k].data();
      r.state.codes[k] = codes[k].empty() ? nullptr : codes[k].data();
      r.state.absmax[k] = absmax[k].empty() ? nullptr : absmax[k].data();
      r.state.table[k] = &tables[k];
    }
    r.constants = constants_for(algorithm, h, t);
    r.gnorm_scale = gnorm_scale;
    r.max_unorm = static_cast<float>(h.max_unorm);
    r.rounding = rounding;
    r.rounding_key = rounding_key(9, 3, t);
    r.compensation = compensation.empty() ? nullptr : compensation.data();
    return r;
  }

  /// Switches the parameter's rounding mode; compensated starts from a small compensation.
  void use_rounding(ParamRounding mode) {
    rounding = mode;
    if (mode != ParamRounding::compensated) return;
    std::vector<float> c(n);
    for (std::size_t i = 0; i < n; ++i) c[i] = 1e-4f * static_cast<float>(static_cast<int>(i % 13) - 6);
    compensation = to_storage(dtype, c);
  }
};

/// A buffer on the device, or in managed memory for the paged runs.
class GpuBuffer {
 public:
  GpuBuffer(std::size_t bytes, bool managed) : managed_(managed) {
    if (managed) {
      m_ = gpu::ManagedBuffer(bytes);
    } else {
      d_ = gpu::DeviceBuffer(bytes);
    }
  }
  void* data() const { return managed_ ? m_.data() : d_.data(); }
  std::size_t bytes() const { return managed_ ? m_.bytes() : d_.bytes(); }
  void upload(const void* host) {
    if (managed_) {
      std::memcpy(m_.data(), host, m_.bytes());
    } else {
      d_.upload(host, d_.bytes());
    }
  }
  void download(void* host) const {
    if (managed_) {
      std::memcpy(host, m_.data(), m_.bytes());
    } else {
      d_.download(host, d_.bytes());
    }
  }

 private:
  bool managed_;
  gpu::DeviceBuffer d_;
  gpu::ManagedBuffer m_;
};

/// The device mirror of a HostTensor: runs the same steps through cuda_step.
struct DeviceTensor {
  gpu::DeviceBuffer param, grad, compensation;
  std::vector<GpuBuffer> state;  // values or codes, per row (managed when paged)
  std::vector<gpu::DeviceBuffer> absmax;

  DeviceTensor(const HostTensor& h, bool paged)
      : param(h.param.size()), grad(h.grads[0].size()), compensation(h.compensation.size()) {
    param.upload(h.param.data(), h.param.size());
    if (!h.compensation.empty()) compensation.upload(h.compensation.data(), h.compensation.size());
    for (int k = 0; k < h.rows; ++k) {
      if (h.format == StateFormat::fp32) {
        state.emplace_back(h.values[k].size() * sizeof(float), paged);
        state.back().upload(h.values[k].data());
      } else {
        state.emplace_back(h.codes[k].size(), paged);
        state.back().upload(h.codes[k].data());
        absmax.emplace_back(h.absmax[k].size() * sizeof(float));
        absmax.back().upload(h.absmax[k].data(), absmax.back().bytes());
      }
    }
  }

  /// The host request with every buffer pointer swapped for its device copy.
  StepRequest request(HostTensor& h, std::int64_t t, float gnorm_scale) {
    StepRequest r = h.request(t, gnorm_scale);
    grad.upload(h.grads[static_cast<std::size_t>(t - 1)].data(), grad.bytes());
    r.param = param.data();
    r.grad = grad.data();
    if (!h.compensation.empty()) r.compensation = compensation.data();
    for (int k = 0; k < h.rows; ++k) {
      if (h.format == StateFormat::fp32) {
        r.state.values[k] = static_cast<float*>(state[static_cast<std::size_t>(k)].data());
      } else {
        r.state.codes[k] = static_cast<std::uint8_t*>(state[static_cast<std::size_t>(k)].data());
        r.state.absmax[k] = static_cast<float*>(absmax[static_cast<std::size_t>(k)].data());
      }
    }
    return r;
  }

  /// Copies the device results into a HostTensor with the same shape.
  void download(HostTensor& out) const {
    param.download(out.param.data(), out.param.size());
    if (!out.compensation.empty()) compensation.download(out.compensation.data(), out.compensation.size());
    for (int k = 0; k < out.rows; ++k) {
      const std::size_t i = static_cast<std::size_t>(k);
      if (out.format == StateFormat::fp32) {
        state[i].download(out.values[k].data());
      } else {
        state[i].download(out.codes[k].data());
        absmax[i].download(out.absmax[k].data(), absmax[i].bytes());
      }
    }
  }
};

float gnorm_scale_of_step(int t) { return t == 2 ? 0.75f : 1.0f; }  // percentile clipping at work

/// Runs kSteps on both backends; returns the GPU result in a HostTensor and checks the reports.
HostTensor run_both(HostTensor& cpu, bool paged, gpu::StreamHandle stream, gpu::StepWorkspace& ws) {
  HostTensor gpu_result = cpu;
  DeviceTensor dev(cpu, paged);
  for (int t = 1; t <= kSteps; ++t) {
    StepReport cpu_report, gpu_report;
    StepRequest cr = cpu.request(t, gnorm_scale_of_step(t));
    cpu_step(CpuVariant::scalar, cr, cpu_report);
    StepRequest gr = dev.request(gpu_result, t, gnorm_scale_of_step(t));
    gpu::cuda_step(gr, gpu_report, stream, ws);
    SCOPED_TRACE("step " + std::to_string(t));
    EXPECT_EQ(gpu_report.nonfinite_grads, cpu_report.nonfinite_grads);
    for (int k = 0; k < kMaxStateRows; ++k) EXPECT_EQ(gpu_report.underflows[k], cpu_report.underflows[k]) << "row " << k;
    // Expected bit-identical; the relative bound only documents how far a mismatch would be.
    EXPECT_NEAR(gpu_report.unorm, cpu_report.unorm, 1e-6f * std::fabs(cpu_report.unorm));
    EXPECT_NEAR(gpu_report.pnorm, cpu_report.pnorm, 1e-6f * std::fabs(cpu_report.pnorm));
    EXPECT_NEAR(gpu_report.update_scale, cpu_report.update_scale, 1e-6f);
  }
  dev.download(gpu_result);
  return gpu_result;
}

struct Tolerance {
  float atol, rtol;
};
Tolerance param_tolerance(DType d) {  // SPEC.md §10, 32-bit per-step tolerances
  switch (d) {
    case DType::f32: return {1e-6f, 1e-5f};
    case DType::f16: return {1e-4f, 1e-3f};
    case DType::bf16: return {1e-3f, 1e-2f};
  }
  return {0, 0};
}

bool close(float a, float b, Tolerance tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= tol.atol + tol.rtol * std::fabs(b);
}

void expect_same(const HostTensor& cpu, const HostTensor& gpu_result) {
  std::size_t param_bad = 0, param_diff_bits = 0;
  for (std::size_t i = 0; i < cpu.n; ++i) {
    const float a = load(cpu.dtype, gpu_result.param, i), b = load(cpu.dtype, cpu.param, i);
    param_bad += close(a, b, param_tolerance(cpu.dtype)) ? 0 : 1;
    param_diff_bits += std::memcmp(gpu_result.param.data() + i * dtype_bytes(cpu.dtype),
                                   cpu.param.data() + i * dtype_bytes(cpu.dtype), dtype_bytes(cpu.dtype)) != 0;
  }
  EXPECT_LE(param_bad, kMaxParamMismatches) << "parameters outside SPEC.md §10 tolerance";
  if (param_diff_bits != 0) std::printf("note: %zu parameters differ in their bits\n", param_diff_bits);

  for (int k = 0; k < cpu.rows; ++k) {
    SCOPED_TRACE("state row " + std::to_string(k));
    if (cpu.format == StateFormat::fp32) {
      std::size_t bad = 0;
      for (std::size_t i = 0; i < cpu.n; ++i) bad += close(gpu_result.values[k][i], cpu.values[k][i], {1e-6f, 1e-5f}) ? 0 : 1;
      EXPECT_LE(bad, kMaxParamMismatches) << "32-bit states outside the fp32 tolerance";
    } else {
      std::size_t differ = 0, far = 0;
      for (std::size_t i = 0; i < cpu.n; ++i) {
        const int d = static_cast<int>(gpu_result.codes[k][i]) - static_cast<int>(cpu.codes[k][i]);
        differ += d != 0;
        far += d > 1 || d < -1;
      }
      EXPECT_EQ(far, 0u) << "codes more than one index apart";
      EXPECT_LE(differ, kMaxCodeTies) << "codes differing by one index (ties)";
      std::size_t absmax_bad = 0;
      for (std::size_t b = 0; b < cpu.absmax[k].size(); ++b) {
        absmax_bad += close(gpu_result.absmax[k][b], cpu.absmax[k][b], {0.0f, 1e-6f}) ? 0 : 1;
      }
      EXPECT_LE(absmax_bad, kMaxCodeTies) << "absmax values differ";
    }
  }
}

// ---------------------------------------------------------------------------------------------

using Combination = std::tuple<Algorithm, StateFormat, DType>;

class CudaMatchesCpu : public GpuTest, public ::testing::WithParamInterface<Combination> {};

TEST_P(CudaMatchesCpu, ThreeSteps) {
  const auto [a, f, d] = GetParam();
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  HostTensor cpu(a, d, f, kDefaultN, kDefaultBlockSize);
  const HostTensor gpu_result = run_both(cpu, false, stream.get(), ws);
  expect_same(cpu, gpu_result);
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, CudaMatchesCpu,
    ::testing::Combine(::testing::Values(Algorithm::adam, Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                                         Algorithm::adagrad, Algorithm::lion, Algorithm::lamb, Algorithm::lars),
                       ::testing::Values(StateFormat::fp32, StateFormat::blockwise8, StateFormat::tensorwise8,
                                         StateFormat::blockwise_fp8),
                       ::testing::Values(DType::f32, DType::f16, DType::bf16)),
    [](const ::testing::TestParamInfo<Combination>& p) {
      return std::string(algorithm_name(std::get<0>(p.param))) + "_" + format_name(std::get<1>(p.param)) + "_" +
             dtype_name(std::get<2>(p.param));
    });

/// 4-bit state (docs/four_bit.md) for the update rules that offer it. 64-element blocks whose
/// bf16 scales share fp32 slots pairwise, written by concurrent thread blocks; 12429 elements:
/// 195 blocks (the last slot half used) and an odd tail (the last byte holds one code). The
/// expectation is bit for bit, as on the emulation (cuda_host_test).
using FourBitCase = std::tuple<Algorithm, DType>;
class CudaFourBit : public GpuTest, public ::testing::WithParamInterface<FourBitCase> {};

TEST_P(CudaFourBit, MatchesCpuBitForBit) {
  const auto [a, d] = GetParam();
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  HostTensor cpu(a, d, StateFormat::blockwise4, 3 * 4096 + 141, kDefaultBlockSize);
  const HostTensor gpu_result = run_both(cpu, false, stream.get(), ws);
  EXPECT_EQ(gpu_result.param, cpu.param);
  for (int k = 0; k < cpu.rows; ++k) {
    EXPECT_EQ(gpu_result.codes[k], cpu.codes[k]) << "row " << k;
    EXPECT_EQ(gpu_result.absmax[k], cpu.absmax[k]) << "row " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    MomentStates, CudaFourBit,
    ::testing::Combine(::testing::Values(Algorithm::adam, Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                                         Algorithm::lion),
                       ::testing::Values(DType::f32, DType::f16, DType::bf16)),
    [](const ::testing::TestParamInfo<FourBitCase>& p) {
      return std::string(algorithm_name(std::get<0>(p.param))) + "_" + dtype_name(std::get<1>(p.param));
    });

/// LAMB, LARS and Adagrad have no 4-bit kernels (the catalogue never gives them 4-bit state).
TEST_F(GpuTest, CudaFourBit_RefusedWithoutKernels) {
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  HostTensor cpu(Algorithm::lamb, DType::f32, StateFormat::blockwise4, 1000, kDefaultBlockSize);
  DeviceTensor dev(cpu, false);
  StepRequest r = dev.request(cpu, 1, 1.0f);
  StepReport report;
  EXPECT_THROW(gpu::cuda_step(r, report, stream.get(), ws), gpu::CudaError);
}

/// The 16-bit parameter rounding modes (docs/param_rounding.md): the same per-element functions
/// and random bits on both backends, so the parameters and the compensation are bit-identical.
TEST_F(GpuTest, CudaParamRounding_MatchesCpuBitForBit) {
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  for (ParamRounding mode : {ParamRounding::stochastic, ParamRounding::compensated}) {
    for (DType d : {DType::bf16, DType::f16}) {
      for (auto [a, f] : {std::pair{Algorithm::adam, StateFormat::blockwise8}, std::pair{Algorithm::lamb, StateFormat::fp32},
                          std::pair{Algorithm::lars, StateFormat::tensorwise8}, std::pair{Algorithm::lion, StateFormat::fp32}}) {
        SCOPED_TRACE(std::string(algorithm_name(a)) + " " + format_name(f) + " " + dtype_name(d) + " " +
                     param_rounding_name(mode));
        HostTensor cpu(a, d, f, kDefaultN, kDefaultBlockSize);
        cpu.use_rounding(mode);
        const HostTensor gpu_result = run_both(cpu, false, stream.get(), ws);
        EXPECT_EQ(gpu_result.param, cpu.param);
        EXPECT_EQ(gpu_result.compensation, cpu.compensation);
        expect_same(cpu, gpu_result);
      }
    }
  }
}

/// Paged state (SPEC.md §7): managed buffers prefetched before the step give the same bits as
/// device buffers.
class CudaPaged : public GpuTest, public ::testing::WithParamInterface<StateFormat> {};

TEST_P(CudaPaged, ManagedStateEqualsDeviceState) {
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  const std::size_t before = gpu::managed_bytes_in_use();
  for (Algorithm a : {Algorithm::adam, Algorithm::ademamix, Algorithm::lars}) {
    SCOPED_TRACE(std::string(algorithm_name(a)));
    HostTensor cpu_a(a, DType::bf16, GetParam(), kDefaultN, kDefaultBlockSize);
    HostTensor cpu_b = cpu_a;
    const HostTensor device = run_both(cpu_a, false, stream.get(), ws);
    const HostTensor managed = run_both(cpu_b, true, stream.get(), ws);
    EXPECT_EQ(managed.param, device.param);
    for (int k = 0; k < device.rows; ++k) {
      EXPECT_EQ(managed.values[k], device.values[k]);
      EXPECT_EQ(managed.codes[k], device.codes[k]);
      EXPECT_EQ(managed.absmax[k], device.absmax[k]);
    }
  }
  EXPECT_EQ(gpu::managed_bytes_in_use(), before) << "every managed buffer was released";
}

TEST_F(GpuTest, CudaPagedAccounting_ManagedBytesAreReported) {
  const std::size_t before = gpu::managed_bytes_in_use();
  {
    gpu::ManagedBuffer m(1 << 20);
    EXPECT_EQ(gpu::managed_bytes_in_use(), before + (1u << 20));
    gpu::Stream stream;
    const bool prefetched = m.prefetch(stream.get());
    EXPECT_EQ(prefetched, gpu::describe_device(0).concurrent_managed_access);
    stream.synchronize();
  }
  EXPECT_EQ(gpu::managed_bytes_in_use(), before);
}

INSTANTIATE_TEST_SUITE_P(Formats, CudaPaged,
                         ::testing::Values(StateFormat::fp32, StateFormat::blockwise8, StateFormat::tensorwise8,
                                           StateFormat::blockwise_fp8),
                         [](const ::testing::TestParamInfo<StateFormat>& p) { return format_name(p.param); });

/// Block sizes other than 256: few threads per block (64), several elements per thread (1024),
/// and the dynamic shared memory opt-in (ademamix, 3 rows x 4096 floats = 48 KiB of staging).
TEST_F(GpuTest, CudaBlockSizes_MatchCpu) {
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  for (std::size_t block : {64u, 1024u, 4096u}) {
    for (Algorithm a : {Algorithm::adam, Algorithm::ademamix, Algorithm::lamb}) {
      SCOPED_TRACE(std::string(algorithm_name(a)) + " block " + std::to_string(block));
      HostTensor cpu(a, DType::f16, StateFormat::blockwise8, kDefaultN, block);
      expect_same(cpu, run_both(cpu, false, stream.get(), ws));
    }
  }
}

/// More than 1024 reduction chunks: the finalizer's staged ordered sum takes several rounds.
TEST_F(GpuTest, CudaLargeTensor_PrePassOverManyChunks) {
  gpu::Stream stream;
  gpu::StepWorkspace ws;
  const std::size_t n = 300001;
  for (auto [a, f] : {std::pair{Algorithm::lamb, StateFormat::fp32}, std::pair{Algorithm::adam, StateFormat::tensorwise8},
                      std::pair{Algorithm::lars, StateFormat::blockwise8}}) {
    SCOPED_TRACE(std::string(algorithm_name(a)) + " " + format_name(f));
    HostTensor cpu(a, DType::f32, f, n, kDefaultBlockSize);
    expect_same(cpu, run_both(cpu, false, stream.get(), ws));
  }
}

TEST_F(GpuTest, CudaDevice_DescriptionIsFilled) {
  const gpu::DeviceDescription d = gpu::describe_device(0);
  EXPECT_FALSE(d.name.empty());
  EXPECT_GE(d.compute_major, 5);
  EXPECT_GT(d.driver_version, 0);
  EXPECT_GT(d.runtime_version, 0);
  EXPECT_GT(d.total_memory, 0u);
}

TEST_F(GpuTest, CudaDevice_MalformedRequestIsRejectedBeforeAnyLaunch) {
  gpu::Stream stream;
  HostTensor h(Algorithm::adam, DType::f32, StateFormat::blockwise8, 1000, kDefaultBlockSize);
  StepRequest r = h.request(1, 1.0f);
  r.state.rows = 1;
  StepReport report;
  EXPECT_THROW(gpu::cuda_step(r, report, stream.get()), std::invalid_argument);
}

}  // namespace
}  // namespace bnb::kernels
