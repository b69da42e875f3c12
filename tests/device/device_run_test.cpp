// The device run loop on a real GPU (issue 17, label gpu): the parity checks of the emulated test
// (tests/unit/app_device_run_test.cpp) on the CUDA backend. Every algorithm x state format x
// dtype steps a tensor on the CPU and on the GPU from the same start with the same gradients (a
// replay) and must agree byte for byte in parameters, state rows and scales; whole runs must give
// the same error figures and the same dump files; dumps must resume across devices to the bytes
// of a CPU-only run. Skipped without a usable CUDA device.
#include <gtest/gtest.h>

#include <string>

#include "bnb/kernels/cuda_step.hpp"
#include "../support/device_paging_parity.hpp"

namespace bnb::app {
namespace {

using namespace parity;

std::shared_ptr<kernels::DeviceBackend> gpu_or_skip(std::string& why) {
  if (!kernels::cuda::cuda_available(&why)) return nullptr;
  return open_cuda_backend();
}

#define BNB_REQUIRE_GPU(device)                                   \
  std::string why;                                                \
  const auto device = gpu_or_skip(why);                           \
  if (!device) GTEST_SKIP() << "CUDA suite skipped: " << why

TEST(GpuRun, EveryAlgorithmFormatAndDtypeMatchesTheCpuBitForBit) {
  BNB_REQUIRE_GPU(device);
  for (const char* name : {"Adam", "AdamW", "AdEMAMix", "LAMB", "LARS", "Lion", "RMSprop", "SGD", "Adagrad"}) {
    ArgMap base;
    if (std::string(name) == "SGD" || std::string(name) == "LARS") base = {{"momentum", 0.9}, {"lr", 0.01}};
    for (DType d : {DType::f32, DType::f16, DType::bf16}) {
      ArgMap blockwise = base;
      blockwise["min_8bit_size"] = 0.0;
      // 3 * 4096 + 77: several blocks of every size and a tail.
      expect_device_matches_cpu(device, std::string(name) + "32bit", base, d, 3 * 4096 + 77);
      expect_device_matches_cpu(device, std::string(name) + "8bit", blockwise, d, 3 * 4096 + 77);
      if (find_optimizer(std::string(name) + "8bit")->find_arg("block_wise") != nullptr) {  // not AdEMAMix
        ArgMap tensorwise = blockwise;
        tensorwise["block_wise"] = false;
        expect_device_matches_cpu(device, std::string(name) + "8bit", tensorwise, d, 3 * 4096 + 77);
      }
    }
  }
}

TEST(GpuRun, FourBitAndFp8StatesMatchTheCpuBitForBit) {
  BNB_REQUIRE_GPU(device);
  for (const std::string name : {"Adam", "AdamW", "AdEMAMix", "Lion", "RMSprop", "SGD"}) {  // moment states
    ArgMap args = {{"min_8bit_size", 0.0}};
    if (name == "SGD") args.insert({{"momentum", 0.9}, {"lr", 0.01}});
    for (const ArgValue& bits : {ArgValue(4.0), ArgValue(std::string("fp8"))}) {
      args["optim_bits"] = bits;
      for (DType d : {DType::f32, DType::f16, DType::bf16}) expect_device_matches_cpu(device, name, args, d, 3 * 4096 + 77);
    }
  }
}

TEST(GpuRun, ClippingPercentileClippingAndSkipZerosMatchTheCpu) {
  BNB_REQUIRE_GPU(device);
  for (DType d : {DType::f32, DType::f16, DType::bf16}) {
    expect_device_matches_cpu(device, "LAMB8bit", {{"min_8bit_size", 0.0}}, d);  // clips at max_unorm 1
    expect_device_matches_cpu(device, "Adam8bit", {{"min_8bit_size", 0.0}, {"percentile_clipping", 5.0}}, d);
    expect_device_matches_cpu(device, "Adam8bit", {{"min_8bit_size", 0.0}, {"skip_zeros", true}}, d);
    expect_device_matches_cpu(device, "Adam32bit", {{"skip_zeros", true}}, d);
  }
}

TEST(GpuRun, ParamRoundingMatchesTheCpuBitForBit) {
  BNB_REQUIRE_GPU(device);
  for (const char* rounding : {"stochastic", "compensated"}) {
    for (DType d : {DType::f16, DType::bf16}) {
      expect_device_matches_cpu(device, "AdamW8bit", {{"min_8bit_size", 0.0}, {"param_rounding", std::string(rounding)}}, d,
                                3 * 4096 + 77);
      expect_device_matches_cpu(device, "LAMB32bit", {{"param_rounding", std::string(rounding)}}, d, 3 * 4096 + 77);
    }
  }
}

using GpuRunLoop = ScratchDirTest;

TEST_F(GpuRunLoop, EqualsTheCpuRunAndItsDumpsByteForByte) {
  BNB_REQUIRE_GPU(device);
  expect_run_matches_cpu(device, run_config(3, kEntries), dir_);
}

TEST_F(GpuRunLoop, TalliesTheUnderflowsOfTheCpuRun) {
  BNB_REQUIRE_GPU(device);
  expect_underflow_tally_matches_cpu(device, dir_);
}

TEST_F(GpuRunLoop, DumpsResumeAcrossDevicesBitIdentically) {
  BNB_REQUIRE_GPU(device);
  expect_dumps_resume_across_devices(device, run_config(2, kEntries), run_config(4, kEntries),
                                     {"adam-32", "adam-8", "lamb-8", "adamw-8-pc"}, dir_);
}

TEST_F(GpuRunLoop, ReportsTheDeviceAndADeviceFloor) {
  BNB_REQUIRE_GPU(device);
  const RunResult r = run(run_config(2, kEntries), device);
  const nlohmann::json& d = r.machine.at("device");
  EXPECT_EQ(d.at("backend"), "cuda");
  EXPECT_FALSE(d.at("name").get<std::string>().empty());
  // The device's used bytes (cudaMemGetInfo) move in the driver's pages (2 MiB): the first entry's
  // buffers take new pages, the later entries' few KiB can fit in pages already taken (seen on an
  // H200: adam-8, lamb-8 and adamw-8-pc left the count unchanged), so only the first must grow it.
  for (const EntryResult& e : r.entries) {
    EXPECT_EQ(e.throughput.floor_memory_level, "device") << e.label;
    EXPECT_GT(e.throughput.floor_ns_per_param, 0) << e.label;
    ASSERT_TRUE(e.memory.device_used_before_bytes && e.memory.device_used_after_bytes) << e.label;
    EXPECT_GE(*e.memory.device_used_after_bytes, *e.memory.device_used_before_bytes) << e.label;
  }
  ASSERT_FALSE(r.entries.empty());
  EXPECT_GT(*r.entries.front().memory.device_used_after_bytes, *r.entries.front().memory.device_used_before_bytes);
}

TEST(GpuRun, PagingBudgetEvictsToTheHostAndKeepsTheBits) {
  BNB_REQUIRE_GPU(device);
  expect_budgeted_steps_match_cpu(device, 2 * kBudgetedTensorState, {});
  expect_budgeted_steps_match_cpu(device, 0, {});
}

TEST_F(GpuRunLoop, PagingBudgetReportsTheCpusPagingFields) {
  BNB_REQUIRE_GPU(device);
  const RunResult r = expect_budgeted_run_matches_cpu(device);
  const EntryResult& e = r.entries.at(0);
  ASSERT_TRUE(e.memory.device_used_before_bytes && e.memory.device_used_after_bytes);
}

}  // namespace
}  // namespace bnb::app
