// The device run loop (issue 17) without a GPU: the optimizer's device state and the runner's
// copies, timing, floors, dumps and results, on the CPU emulation of the CUDA kernels behind the
// DeviceBackend seam (tests/support/emulated_device.hpp). The CUDA runtime is the other
// implementation of the seam; tests/device checks the same on a GPU.
//
// Expected results are bit-identical to the CPU's: the kernels share the per-element functions and
// the reduction order with the CPU driver (cuda_host_test checks single steps), so whole runs,
// their error figures and their dumps must agree byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "render.hpp"
#include "../support/device_paging_parity.hpp"
#include "../support/emulated_device.hpp"

namespace bnb::app {
namespace {

using kernels::cuda::EmulatedDevice;
using namespace parity;

/// The parity check on a fresh emulated device; the state's tables went up exactly once.
void expect_emulation_matches_cpu(const std::string& name, const ArgMap& args, DType dtype) {
  auto device = std::make_shared<EmulatedDevice>();
  int quantized_rows = -1;
  expect_device_matches_cpu(device, name, args, dtype, 1100, &quantized_rows);
  EXPECT_EQ(device->table_uploads, static_cast<std::size_t>(quantized_rows)) << name << ": tables uploaded once";
}

TEST(DeviceOptimizer, EveryAlgorithmFormatAndDtypeMatchesTheCpuBitForBit) {
  const ArgMap eight_bit = {{"min_8bit_size", 0.0}};
  for (const std::string name : {"Adam", "AdamW", "AdEMAMix", "LAMB", "LARS", "Lion", "RMSprop", "SGD", "Adagrad"}) {
    ArgMap extra;
    if (name == "SGD" || name == "LARS") extra = {{"momentum", 0.9}, {"lr", 0.01}};
    ArgMap blockwise = extra;
    blockwise.insert(eight_bit.begin(), eight_bit.end());
    expect_emulation_matches_cpu(name + "32bit", extra, DType::bf16);
    expect_emulation_matches_cpu(name + "8bit", blockwise, DType::f32);
    if (find_optimizer(name + "8bit")->find_arg("block_wise") != nullptr) {  // AdEMAMix is block-wise only
      ArgMap tensorwise = blockwise;
      tensorwise["block_wise"] = false;
      expect_emulation_matches_cpu(name + "8bit", tensorwise, DType::f16);
    }
  }
}

TEST(DeviceOptimizer, EveryDtypeMatchesWithClippingPercentileClippingAndSkipZeros) {
  for (DType d : {DType::f32, DType::f16, DType::bf16}) {
    expect_emulation_matches_cpu("LAMB8bit", {{"min_8bit_size", 0.0}}, d);  // clips at max_unorm 1
    expect_emulation_matches_cpu("Adam8bit", {{"min_8bit_size", 0.0}, {"percentile_clipping", 5.0}}, d);
    expect_emulation_matches_cpu("Adam8bit", {{"min_8bit_size", 0.0}, {"skip_zeros", true}}, d);
    expect_emulation_matches_cpu("Adam32bit", {{"skip_zeros", true}}, d);
  }
}

TEST(DeviceOptimizer, FourBitAndFp8StatesMatchTheCpuBitForBit) {
  for (const std::string name : {"Adam", "AdamW", "AdEMAMix", "Lion", "RMSprop", "SGD"}) {  // moment states
    ArgMap args = {{"min_8bit_size", 0.0}};
    if (name == "SGD") args.insert({{"momentum", 0.9}, {"lr", 0.01}});
    for (const ArgValue& bits : {ArgValue(4.0), ArgValue(std::string("fp8"))}) {
      args["optim_bits"] = bits;
      expect_emulation_matches_cpu(name, args, name == "Lion" ? DType::f16 : DType::bf16);
    }
  }
  expect_emulation_matches_cpu("AdamW4bit", {{"min_8bit_size", 0.0}}, DType::f32);
  expect_emulation_matches_cpu("AdamWFp8", {{"min_8bit_size", 0.0}}, DType::f32);
}

TEST(DeviceOptimizer, ParamRoundingMatchesTheCpuBitForBit) {
  // Stochastic rounding draws from (seed, tensor, step, element) on both devices; the
  // compensation buffer lives on the device and comes back with the state.
  for (const char* rounding : {"stochastic", "compensated"}) {
    for (DType d : {DType::f16, DType::bf16}) {
      expect_emulation_matches_cpu("AdamW8bit", {{"min_8bit_size", 0.0}, {"param_rounding", std::string(rounding)}}, d);
      expect_emulation_matches_cpu("LAMB32bit", {{"param_rounding", std::string(rounding)}}, d);
    }
  }
}

/// Options for paged state on `device` from 1000 elements on, under `budget` (0 = unlimited).
OptimizerOptions paged_on(const std::shared_ptr<EmulatedDevice>& device, std::size_t budget) {
  OptimizerOptions o;
  o.device = Device::cuda;
  o.backend = device;
  o.paged_min_numel = 1000;
  o.paged_budget_bytes = budget;
  return o;
}

TEST(DeviceOptimizer, PagedStateIsManagedMemoryReportedResident) {
  auto device = std::make_shared<EmulatedDevice>();
  const OptimizerOptions o = paged_on(device, 0);
  Optimizer opt("PagedAdam8bit", {{"min_8bit_size", 0.0}}, {{"w", DType::f32, 1100}}, {}, o);
  void* p = device->allocate(1100 * 4);
  void* g = device->allocate(1100 * 4);
  opt.step(0, p, g);
  EXPECT_EQ(device->managed_allocations, 2u) << "both state rows in managed memory";
  const MemoryReport m = opt.memory();
  EXPECT_EQ(m.paged_bytes, 2u * 1100u);
  EXPECT_EQ(m.resident_paged_bytes, m.paged_bytes) << "prefetched to the device by the step";
  device->release(p);
  device->release(g);
}

TEST(DeviceOptimizer, RefusesManagedMemoryBeyondTheFreeMemory) {
  auto device = std::make_shared<EmulatedDevice>(1000);  // bytes
  const OptimizerOptions o = paged_on(device, 0);
  Optimizer opt("PagedAdam8bit", {{"min_8bit_size", 0.0}}, {{"w", DType::f32, 1100}}, {}, o);
  try {
    opt.step(0, nullptr, nullptr);
    ADD_FAILURE() << "allocated managed memory beyond the free memory";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cudaMemGetInfo"), std::string::npos) << e.what();
  }
  EXPECT_EQ(device->managed_allocations, 0u) << "refused before allocating";
}

/// The shared check, plus: the library's residency is the emulated device's after every step, and
/// what the device held during a step never exceeded the budget plus one tensor's state.
void expect_budgeted_device_matches_cpu(const std::shared_ptr<EmulatedDevice>& device, std::size_t budget) {
  expect_budgeted_steps_match_cpu(device, budget, [&](const Optimizer& gpu, const std::string& what) {
    EXPECT_EQ(gpu.memory().resident_paged_bytes, device->resident_managed()) << "the library's residency, " << what;
  });
  if (budget > 0) {
    EXPECT_LE(device->peak_resident_managed, budget + kBudgetedTensorState);
  }
}

TEST(DeviceOptimizer, PagingBudgetEvictsToTheHostAndKeepsTheBits) {
  auto device = std::make_shared<EmulatedDevice>();
  expect_budgeted_device_matches_cpu(device, 2 * kBudgetedTensorState);
  EXPECT_GT(device->evictions_to_host, 0u);
  EXPECT_GT(device->prefetches_to_device, 4u) << "evicted tensors come back for their steps";
}

TEST(DeviceOptimizer, UnlimitedPagingPrefetchesOnceAndNeverEvicts) {
  auto device = std::make_shared<EmulatedDevice>();
  expect_budgeted_device_matches_cpu(device, 0);
  EXPECT_EQ(device->evictions_to_host, 0u);
  EXPECT_EQ(device->prefetches_to_device, 8u) << "each of four tensors' two rows, once";
}

TEST(DeviceOptimizer, PagingCountersMeasureWhatTheBudgetMoves) {
  auto device = std::make_shared<EmulatedDevice>();
  const OptimizerOptions o = paged_on(device, 2 * 1100);  // one tensor's two 8-bit rows
  Optimizer opt("PagedAdam8bit", {{"min_8bit_size", 0.0}}, {{"a", DType::f32, 1100}, {"b", DType::f32, 1100}}, {}, o);
  void* p = device->allocate(1100 * 4);
  void* g = device->allocate(1100 * 4);
  for (std::size_t i = 0; i < 2; ++i) opt.step(i, p, g);
  opt.reset_paging_counters();
  // Most recently used first (as on the CPU, paged_arena.hpp): "a" stays resident, "b" makes the
  // round trip at every step.
  for (std::size_t i = 0; i < 2; ++i) opt.step(i, p, g);
  const PagingCounters c = opt.paging_counters();
  EXPECT_EQ(c.restored_bytes, 2u * 1100);
  EXPECT_EQ(c.evicted_bytes, 2u * 1100);
  EXPECT_EQ(c.restores, 2u) << "two rows";
  EXPECT_EQ(c.peak_resident_bytes, 2u * 2 * 1100) << "measured after the step, before eviction";
  EXPECT_EQ(opt.paged_state_bytes(0), 2u * 1100) << "managed rows are not rounded to pages";
  opt.set_paged_budget(0);
  opt.reset_paging_counters();
  for (std::size_t i = 0; i < 2; ++i) opt.step(i, p, g);
  EXPECT_EQ(opt.paging_counters().restored_bytes, 2u * 1100) << "the one evicted tensor comes back, and stays";
  EXPECT_EQ(opt.paging_counters().evicted_bytes, 0u);
  device->release(p);
  device->release(g);
}

TEST(DeviceOptimizer, RefusesPagedStateThatWouldNotFitEvenWhenEvicted) {
  // 4400 bytes of paged state under a budget of 1 byte: the first tensor is evicted to the host
  // before the second is allocated, but both must fit in the device's free memory. The device has
  // room for the first tensor's device buffers (two tables, five scales per row, the slot) and
  // 3300 bytes more: enough for one tensor's rows at a time, not for both.
  const std::size_t device_buffers = 2 * sizeof(kernels::DeviceCodeTable) + 2 * 5 * sizeof(float) + sizeof(kernels::DeviceStepSlot);
  auto device = std::make_shared<EmulatedDevice>(device_buffers + 3300);
  const OptimizerOptions o = paged_on(device, 1);  // below one tensor's state: the library accepts it (the CLI does not)
  Optimizer opt("PagedAdam8bit", {{"min_8bit_size", 0.0}}, {{"a", DType::f32, 1100}, {"b", DType::f32, 1100}}, {}, o);
  std::vector<std::byte> host(1100 * 4);
  // The parameters live on the host here: the emulation's "device memory" is host memory.
  opt.step(0, host.data(), host.data());
  EXPECT_EQ(device->memory_info().free_bytes, 3300u) << "the first tensor's rows wait on the host";
  try {
    opt.step(1, host.data(), host.data());
    ADD_FAILURE() << "allocated managed memory beyond the free memory";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("waits on the host"), std::string::npos) << e.what();
  }
}

TEST(DeviceOptimizer, RefusesABudgetWithoutPrefetchableManagedMemory) {
  auto device = std::make_shared<EmulatedDevice>();
  device->concurrent_managed_access = false;
  OptimizerOptions o;
  o.device = Device::cuda;
  o.backend = device;
  o.paged_budget_bytes = 1 << 20;
  EXPECT_THROW(Optimizer("PagedAdam8bit", {}, {{"w", DType::f32, 1100}}, {}, o), ConfigError);
  o.paged_budget_bytes = 0;
  EXPECT_NO_THROW(Optimizer("PagedAdam8bit", {}, {{"w", DType::f32, 1100}}, {}, o)) << "the driver pages on demand";
}

TEST(DeviceOptimizer, RefusesWhatTheKernelsDoNotCover) {
  OptimizerOptions o;
  o.device = Device::cuda;
  o.backend = std::make_shared<EmulatedDevice>();
  EXPECT_THROW(Optimizer("PytorchLARS", {}, {{"w", DType::f32, 1100}}, {}, o), ConfigError);
}

using DeviceRunLoop = ScratchDirTest;

TEST_F(DeviceRunLoop, EqualsTheCpuRunAndItsDumpsByteForByte) {
  expect_run_matches_cpu(std::make_shared<EmulatedDevice>(), run_config(3, kEntries), dir_);
}

TEST_F(DeviceRunLoop, TalliesTheUnderflowsOfTheCpuRun) {
  expect_underflow_tally_matches_cpu(std::make_shared<EmulatedDevice>(), dir_);
}

TEST_F(DeviceRunLoop, ReportsTheDeviceItsMemoryTimingAndFloor) {
  const RunResult gpu = run(run_config(2, kEntries, true), std::make_shared<EmulatedDevice>());
  const nlohmann::json& d = gpu.machine.at("device");
  EXPECT_EQ(d.at("backend"), "emulation");
  EXPECT_EQ(d.at("memory_bytes"), EmulatedDevice::kTotalBytes);
  for (const auto* key : {"name", "compute_capability", "driver_version", "runtime_version", "multiprocessors"}) {
    EXPECT_TRUE(d.contains(key)) << key;
  }
  for (const EntryResult& e : gpu.entries) {
    ASSERT_TRUE(e.memory.device_used_before_bytes && e.memory.device_used_after_bytes) << e.label;
    // The entry's parameters, gradients and states stay on the device for the timing pass.
    EXPECT_GE(*e.memory.device_used_after_bytes - *e.memory.device_used_before_bytes,
              e.memory.state_bytes + 2 * (1200 * 2 + 300 * 4)) << e.label;
    ASSERT_TRUE(e.time.has_value()) << e.label;
    EXPECT_GT(e.time->median, 0) << e.label;
    EXPECT_EQ(e.throughput.floor_memory_level, "device") << e.label;
    EXPECT_GT(e.throughput.floor_ns_per_param, 0) << e.label;
    EXPECT_GT(e.throughput.roofline_fraction, 0) << e.label;
  }
  const nlohmann::json doc = nlohmann::json::parse(render_json(gpu));
  EXPECT_TRUE(doc.at("entries").at(0).at("memory").contains("device_used_bytes"));
  EXPECT_EQ(doc.at("machine").at("device").at("backend"), "emulation");
}

TEST_F(DeviceRunLoop, TimedStepsNeverWaitForTheHostAndTablesGoUpOnce) {
  // Without percentile clipping (the one step that needs a host value, docs/gpu.md).
  auto device = std::make_shared<EmulatedDevice>();
  run(run_config(2, R"({"name": "Adam8bit", "label": "adam-8", "min_8bit_size": 0})", true), device);
  EXPECT_EQ(device->downloads_while_timing, 0u) << "a download inside the timed steps";
  EXPECT_GT(device->steps, 4u) << "the timing pass stepped on the device";
  EXPECT_EQ(device->table_uploads, 4u) << "two 8-bit rows of two tensors, once each";
}

TEST_F(DeviceRunLoop, DumpsResumeAcrossDevicesBitIdentically) {
  expect_dumps_resume_across_devices(std::make_shared<EmulatedDevice>(), run_config(2, kEntries),
                                     run_config(4, kEntries), {"adam-32", "adam-8", "lamb-8", "adamw-8-pc"}, dir_);
}

TEST_F(DeviceRunLoop, PagingBudgetReportsTheCpusPagingFields) {
  auto device = std::make_shared<EmulatedDevice>();
  expect_budgeted_run_matches_cpu(device);
  EXPECT_EQ(device->downloads_while_timing, 0u);
  EXPECT_GT(device->evictions_to_host, 0u);
}

TEST(DeviceConfig, CudaIsAcceptedByTheConfigAndRefusedWithTheReasonWithoutADevice) {
  Config c = parse_config(R"({"schema": 1, "device": "cuda", "params": [{"name": "w", "shape": [8]}],
    "workload": {"kind": "gradients", "steps": 1}, "optimizers": [{"name": "Adam32bit"}]})", "t.json", ".");
  EXPECT_EQ(c.device, Device::cuda);
  std::string why;
  if (kernels::cuda::cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  try {
    check_optimizers(c);
    ADD_FAILURE() << "accepted device cuda without a device";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bnb::app
