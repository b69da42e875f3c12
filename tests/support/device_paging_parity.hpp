#pragma once
// Paging budgets on a device (issue 25, docs/gpu.md) against the CPU, shared by the emulated test
// (tests/unit/app_device_run_test.cpp) and the GPU suite (tests/device/device_run_test.cpp): a
// budget moves managed pages between device and host, never bits, and bounds what is resident.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "device_parity.hpp"

namespace bnb::app::parity {

inline constexpr std::size_t kBudgetedN = 1100;                     // elements per tensor
inline constexpr std::size_t kBudgetedTensorState = 2 * kBudgetedN;  // two 8-bit rows

/// Four 8-bit paged tensors stepped three times, on the CPU (unpaged) and on `device` under
/// `budget` (0 = unlimited): after every step the library's residency is within the budget and
/// `after_step` may check more; at the end parameters and states equal the CPU's bit for bit.
inline void expect_budgeted_steps_match_cpu(const std::shared_ptr<kernels::DeviceBackend>& device, std::size_t budget,
                                            const std::function<void(const Optimizer&, const std::string&)>& after_step) {
  constexpr std::size_t kN = kBudgetedN, kTensors = 4;
  const ArgMap args = {{"min_8bit_size", 0.0}};
  std::vector<ParamSpec> specs;
  for (std::size_t i = 0; i < kTensors; ++i) specs.push_back({"w" + std::to_string(i), DType::f32, kN});
  OptimizerOptions o;
  o.device = Device::cuda;
  o.backend = device;
  o.paged_min_numel = 1000;
  o.paged_budget_bytes = budget;
  Optimizer cpu("Adam8bit", args, specs);
  Optimizer gpu("PagedAdam8bit", args, specs, {}, o);
  std::vector<std::vector<std::byte>> p_cpu;
  std::vector<void*> p_dev, g_dev;
  for (std::size_t i = 0; i < kTensors; ++i) {
    p_cpu.push_back(random_tensor(DType::f32, kN, 0.1f, 1 + static_cast<unsigned>(i)));
    p_dev.push_back(device->allocate(kN * 4));
    g_dev.push_back(device->allocate(kN * 4));
    device->upload(p_dev[i], p_cpu[i].data(), kN * 4);
  }
  for (int t = 0; t < 3; ++t) {
    for (std::size_t i = 0; i < kTensors; ++i) {
      const std::vector<std::byte> g = random_tensor(DType::f32, kN, 0.01f, 100 + static_cast<unsigned>(4 * t + i));
      cpu.step(i, p_cpu[i].data(), g.data());
      device->upload(g_dev[i], g.data(), g.size());
      gpu.step(i, p_dev[i], g_dev[i]);
      const std::string what = "after tensor " + std::to_string(i) + "'s step " + std::to_string(t + 1);
      if (budget > 0) {
        EXPECT_LE(gpu.memory().resident_paged_bytes, budget) << what;
      }
      if (after_step) after_step(gpu, what);
    }
  }
  for (std::size_t i = 0; i < kTensors; ++i) {
    std::vector<std::byte> host(kN * 4);
    device->download(host.data(), p_dev[i], host.size());
    EXPECT_EQ(host, p_cpu[i]) << "parameters of tensor " << i;
    const ParamState& a = cpu.state(i);
    const ParamState& b = gpu.state(i);
    for (int r = 0; r < a.rows; ++r) {
      EXPECT_EQ(std::memcmp(a.row[r].data(), b.row[r].data(), a.row[r].size()), 0) << "tensor " << i << " row " << r;
      EXPECT_EQ(a.absmax[r], b.absmax[r]) << "tensor " << i << " row " << r;
    }
    device->release(p_dev[i]);
    device->release(g_dev[i]);
  }
}

/// A timed run of PagedAdamW32bit on two tensors of 100000 elements (SPEC.md §7's threshold)
/// under a budget of one tensor's state, on the CPU and on `device`: the same error curve, and on
/// the device the CPU's paging fields (one tensor brought back and sent away per step, resident
/// within the budget, the pair timed without the budget). Returns the device run.
inline RunResult expect_budgeted_run_matches_cpu(const std::shared_ptr<kernels::DeviceBackend>& device) {
  const std::string config = R"({"schema": 1, "name": "device-paging", "seed": 3,
    "params": [{"name": "a", "shape": [100000]}, {"name": "b", "shape": [100000]}],
    "workload": {"kind": "gradients", "steps": 2, "scale": 0.01}, "reference": {"mode": "drift"},
    "timing": {"enabled": true, "warmup_steps": 1, "min_time_s": 0.0001, "min_samples": 2, "timeout_s": 5},
    "paging": {"budget_mib": 1},
    "optimizers": [{"name": "PagedAdamW32bit", "label": "paged-32"}]})";
  const RunResult cpu = run(config, nullptr);
  RunResult gpu = run(config, device);
  const EntryResult& a = cpu.entries.at(0);
  const EntryResult& b = gpu.entries.at(0);
  EXPECT_TRUE(a.error && b.error);
  if (a.error && b.error) {
    EXPECT_EQ(a.error->curve, b.error->curve) << "the budget moves pages, never bits";
  }
  EXPECT_TRUE(b.paging && b.paging->timed && b.paging->unlimited && b.paging->unlimited_time);
  if (!b.paging || !b.paging->timed || !b.paging->unlimited) return gpu;
  const std::size_t tensor_state = 2 * 100000 * 4;
  EXPECT_EQ(b.paging->budget_bytes, std::size_t{1} << 20);
  EXPECT_EQ(b.paging->largest_tensor_bytes, tensor_state);
  EXPECT_LE(b.paging->timed->resident_peak_bytes, b.paging->budget_bytes + tensor_state);
  EXPECT_LE(b.paging->resident_end_bytes, b.paging->budget_bytes);
  EXPECT_EQ(b.paging->timed->restored_bytes_per_step, tensor_state) << "one tensor comes back per step";
  EXPECT_EQ(b.paging->timed->evicted_bytes_per_step, tensor_state);
  EXPECT_EQ(b.paging->unlimited->evicted_bytes_per_step, 0) << "without the budget nothing leaves the device";
  return gpu;
}

}  // namespace bnb::app::parity
