#pragma once
// CPU-versus-device parity checks shared by the emulated device test (tests/unit/
// app_device_run_test.cpp, in CI) and the GPU suite (tests/device/device_run_test.cpp, label gpu):
// the same optimizer steps and the same runs on the CPU and on a DeviceBackend, compared byte for
// byte (parameters, state rows, scales, dumps).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bnb/kernels/device_backend.hpp"
#include "bnb/optimizer.hpp"
#include "config.hpp"
#include "results.hpp"
#include "runner.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app::parity {

/// N(0, scale²) values; with `zero_every` > 0 every zero_every-th element is 0 (skip_zeros).
inline std::vector<std::byte> random_tensor(DType d, std::size_t n, float scale, unsigned seed, std::size_t zero_every = 0) {
  TensorBuffer t(d, n);
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(0.0, scale);
  for (std::size_t i = 0; i < n; ++i) t.set(i, zero_every > 0 && i % zero_every == 3 ? 0.0 : dist(gen));
  const auto* p = static_cast<const std::byte*>(t.data());
  return {p, p + t.bytes()};
}

inline std::vector<char> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Parameters, every state row and every scale of tensor 0, byte for byte.
inline void expect_same_state(const Optimizer& cpu, const Optimizer& device, const std::string& what) {
  const ParamState& a = cpu.state(0);
  const ParamState& b = device.state(0);  // brings the device copy back
  ASSERT_EQ(a.step, b.step) << what;
  ASSERT_EQ(a.format, b.format) << what;
  for (int r = 0; r < a.rows; ++r) {
    ASSERT_EQ(a.row[r].size(), b.row[r].size()) << what;
    EXPECT_EQ(std::memcmp(a.row[r].data(), b.row[r].data(), a.row[r].size()), 0) << what << ": state row " << r;
    EXPECT_EQ(a.absmax[r], b.absmax[r]) << what << ": scales of row " << r;
  }
  ASSERT_EQ(a.compensation.size(), b.compensation.size()) << what;
  EXPECT_EQ(std::memcmp(a.compensation.data(), b.compensation.data(), a.compensation.size()), 0)
      << what << ": compensation (param_rounding)";
  EXPECT_EQ(a.unorm, b.unorm) << what << ": last update norm";
  // Bytes, not values: a NaN gradient puts a NaN into the clipping history on both sides.
  ASSERT_EQ(a.gnorm_vec.size(), b.gnorm_vec.size()) << what;
  EXPECT_EQ(std::memcmp(a.gnorm_vec.data(), b.gnorm_vec.data(), a.gnorm_vec.size() * sizeof(float)), 0)
      << what << ": clipping history";
}

/// Steps one tensor four times on the CPU and on `device` from the same start with the same
/// gradients (a replay) and compares parameters and states after every step. With 8-bit state the
/// third gradient carries one NaN (the non-finite guard of SPEC.md §3 keeps it out of the
/// parameter), whose count must come back from the device. 32-bit state gets none: a NaN would
/// propagate, and NaN payloads are not specified to agree between CPU and GPU arithmetic.
/// `quantized_rows` (when given): the tensor's quantized state rows (0 for 32-bit state).
inline void expect_device_matches_cpu(const std::shared_ptr<kernels::DeviceBackend>& device, const std::string& name,
                                      const ArgMap& args, DType dtype, std::size_t n = 1100,
                                      int* quantized_rows = nullptr) {
  const std::string what = name + " " + std::string(dtype_name(dtype));
  OptimizerOptions on_device;
  on_device.device = Device::cuda;
  on_device.backend = device;
  Optimizer cpu(name, args, {{"w", dtype, n}});
  Optimizer gpu(name, args, {{"w", dtype, n}}, {}, on_device);

  std::vector<std::byte> p_cpu = random_tensor(dtype, n, 0.1f, 1);
  std::vector<std::byte> p_host(p_cpu.size());
  void* p_dev = device->allocate(p_cpu.size());
  void* g_dev = device->allocate(p_cpu.size());
  device->upload(p_dev, p_cpu.data(), p_cpu.size());
  std::uint64_t nonfinite_cpu = 0;
  for (int t = 0; t < 4; ++t) {
    std::vector<std::byte> g = random_tensor(dtype, n, 0.01f, 10 + static_cast<unsigned>(t), 7);
    if (t == 2 && format_codec(cpu.state(0).format).quantized) {
      TensorBuffer nan(dtype, 1);
      nan.set(0, std::nan(""));
      std::memcpy(g.data() + 7 * dtype_size(dtype), nan.data(), dtype_size(dtype));
    }
    const StepReport on_cpu = cpu.step(0, p_cpu.data(), g.data());
    nonfinite_cpu += on_cpu.nonfinite_grads;
    device->upload(g_dev, g.data(), g.size());
    const StepReport deferred = gpu.step(0, p_dev, g_dev);
    EXPECT_EQ(deferred.nonfinite_grads, 0u) << "a device step's report stays on the device";
    const auto underflows = gpu.take_device_underflows(0);
    for (int r = 0; r < kMaxStateRows; ++r) {
      EXPECT_EQ(underflows[static_cast<std::size_t>(r)], on_cpu.underflows[r]) << what << ": underflows of row " << r << " at step " << t + 1;
    }
    device->download(p_host.data(), p_dev, p_host.size());
    ASSERT_EQ(p_cpu, p_host) << what << ": parameters after step " << t + 1;
    expect_same_state(cpu, gpu, what + " after step " + std::to_string(t + 1));
  }
  EXPECT_EQ(gpu.take_device_nonfinite_grads(), nonfinite_cpu) << what;
  EXPECT_EQ(gpu.take_device_nonfinite_grads(), 0u) << what << ": the count restarts after it is taken";
  device->release(p_dev);
  device->release(g_dev);
  if (quantized_rows != nullptr) *quantized_rows = format_codec(gpu.state(0).format).quantized ? gpu.state(0).rows : 0;
}

/// Two tensors (bf16 and fp32), `steps` gradient steps with the drift reference; timing only
/// when asked (the parity checks need none).
inline std::string run_config(int steps, const std::string& optimizers, bool timing = false) {
  return R"({"schema": 1, "name": "device-run", "seed": 3,
    "params": [{"name": "w", "shape": [30, 40], "dtype": "bf16"}, {"name": "b", "shape": [300]}],
    "workload": {"kind": "gradients", "steps": )" + std::to_string(steps) + R"(, "scale": 0.01},
    "reference": {"mode": "drift"},
    "timing": {"enabled": )" + std::string(timing ? "true" : "false") + R"(, "warmup_steps": 1, "min_time_s": 0.001,
               "min_samples": 2, "timeout_s": 5},
    "optimizers": [)" + optimizers + "]}";
}

inline const std::string kEntries = R"({"name": "Adam32bit", "label": "adam-32"},
  {"name": "Adam8bit", "label": "adam-8", "min_8bit_size": 0},
  {"name": "LAMB8bit", "label": "lamb-8", "min_8bit_size": 0, "block_wise": false},
  {"name": "AdamW8bit", "label": "adamw-8-pc", "min_8bit_size": 0, "percentile_clipping": 5})";

/// Runs `config` on the CPU (device null) or on `device`, with --dump / --resume when given.
inline RunResult run(const std::string& config, const std::shared_ptr<kernels::DeviceBackend>& device,
                     const std::filesystem::path& dump = {}, const std::filesystem::path& resume = {}) {
  Config c = parse_config(config, "device-run.json", ".");
  c.threads = 1;
  RunOptions options;
  options.quiet = true;
  if (!dump.empty()) {
    std::filesystem::create_directories(dump);  // as the run command does
    options.dump_dir = dump.string();
  }
  if (!resume.empty()) options.resume = resume.string();
  if (device) {
    c.device = Device::cuda;
    options.device = device;
  }
  return run_benchmark(c, nullptr, options);
}

/// A quadratic of condition 1e4 whose small-curvature elements have v underflow from the first
/// steps (docs/eight_bit.md), unguarded and guarded: the underflow tally of a device run.
inline const std::string kUnderflowRun = R"({"schema": 1, "name": "device-underflow", "seed": 3,
    "params": [{"name": "x", "shape": [16, 256], "init": {"distribution": "normal", "scale": 0.5}}],
    "workload": {"kind": "quadratic", "steps": 4, "condition": 10000},
    "reference": {"mode": "drift"}, "timing": {"enabled": false},
    "optimizers": [{"name": "Adam8bit", "label": "adam-8", "lr": 0.01, "min_8bit_size": 0},
                   {"name": "Adam8bit", "label": "adam-8-guard", "lr": 0.01, "min_8bit_size": 0, "underflow_guard": true}]})";

/// The same runs on the CPU and on `device`: error figures, underflow tally, memory accounting
/// and dumps equal. `cpu_run` (when given) receives the CPU run.
inline void expect_run_matches_cpu(const std::shared_ptr<kernels::DeviceBackend>& device, const std::string& config,
                                   const std::filesystem::path& dir, RunResult* cpu_run = nullptr) {
  const RunResult cpu = run(config, nullptr, dir / "cpu");
  if (cpu_run != nullptr) *cpu_run = cpu;
  const RunResult gpu = run(config, device, dir / "gpu");
  ASSERT_EQ(cpu.entries.size(), gpu.entries.size());
  for (std::size_t k = 0; k < cpu.entries.size(); ++k) {
    const EntryResult& a = cpu.entries[k];
    const EntryResult& b = gpu.entries[k];
    ASSERT_TRUE(a.error && b.error) << a.label;
    EXPECT_EQ(a.error->param.rel_l2, b.error->param.rel_l2) << a.label;
    EXPECT_EQ(a.error->curve, b.error->curve) << a.label;
    EXPECT_EQ(a.nonfinite.gradients, b.nonfinite.gradients) << a.label;
    ASSERT_EQ(a.quantization.has_value(), b.quantization.has_value()) << a.label;
    if (a.quantization) {
      EXPECT_EQ(a.quantization->underflows, b.quantization->underflows) << a.label;
      EXPECT_EQ(a.quantization->underflows_by_state, b.quantization->underflows_by_state) << a.label;
      EXPECT_EQ(a.quantization->first_underflow_step, b.quantization->first_underflow_step) << a.label;
      EXPECT_EQ(a.quantization->max_step_lr, b.quantization->max_step_lr) << a.label;
    }
    EXPECT_EQ(a.memory.state_bytes, b.memory.state_bytes) << a.label << ": the library's accounting";
    EXPECT_EQ(a.memory.buffers, b.memory.buffers) << a.label;
    EXPECT_EQ(file_bytes(dir / "cpu" / (a.label + ".safetensors")), file_bytes(dir / "gpu" / (a.label + ".safetensors")))
        << a.label << ": the dumps differ";
  }
}

/// kUnderflowRun on the CPU and on `device`: the same underflows (per state row, first step) and
/// largest steps, and the run does underflow (under the guard too: counted before it acts).
inline void expect_underflow_tally_matches_cpu(const std::shared_ptr<kernels::DeviceBackend>& device,
                                               const std::filesystem::path& dir) {
  RunResult cpu;
  expect_run_matches_cpu(device, kUnderflowRun, dir, &cpu);
  for (const EntryResult& e : cpu.entries) {
    ASSERT_TRUE(e.quantization.has_value()) << e.label;
    EXPECT_GT(e.quantization->underflows, 0u) << e.label << ": this quadratic underflows v";
  }
}

/// A dump written on the device resumes on the CPU, and the other way round, to the bytes of a
/// CPU-only run. `labels`: the entries of `config_of(steps)`.
inline void expect_dumps_resume_across_devices(const std::shared_ptr<kernels::DeviceBackend>& device,
                                               const std::string& two_steps, const std::string& four_steps,
                                               const std::vector<std::string>& labels, const std::filesystem::path& dir) {
  run(four_steps, nullptr, dir / "cpu4");
  run(two_steps, device, dir / "gpu2");
  run(two_steps, nullptr, dir / "cpu2");
  run(four_steps, nullptr, dir / "gpu2-cpu4", dir / "gpu2");  // written on the device, resumed on the CPU
  run(four_steps, device, dir / "cpu2-gpu4", dir / "cpu2");   // and the other way round
  for (const std::string& label : labels) {
    const std::string file = label + ".safetensors";
    const std::vector<char> expected = file_bytes(dir / "cpu4" / file);
    ASSERT_FALSE(expected.empty()) << label;
    EXPECT_EQ(file_bytes(dir / "gpu2-cpu4" / file), expected) << label << ": GPU dump resumed on the CPU";
    EXPECT_EQ(file_bytes(dir / "cpu2-gpu4" / file), expected) << label << ": CPU dump resumed on the GPU";
  }
}

/// A scratch directory per test, removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bnb_device_run_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

}  // namespace bnb::app::parity


