// The state manager: format decided at the first step (min_8bit_size, optim_bits, block_wise),
// per-parameter overrides (SPEC.md §8), exact memory accounting (SPEC.md §10), paging (§7).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/optimizer.hpp"
#include "bnb/paged_arena.hpp"

namespace {

using bnb::ArgMap;
using bnb::DType;
using bnb::Optimizer;
using bnb::ParamSpec;
using bnb::StateFormat;

std::vector<float> normal(std::size_t n, float sigma, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

struct Tensor {
  std::vector<float> p;
  std::vector<std::vector<float>> grads;
};

/// Parameters and a few steps of gradients for each spec, p ~ N(0, 0.1²), g ~ N(0, 0.01²).
std::vector<Tensor> make_tensors(const std::vector<ParamSpec>& specs, int steps) {
  std::vector<Tensor> out;
  unsigned seed = 1;
  for (const ParamSpec& s : specs) {
    Tensor t{normal(s.numel, 0.1f, seed++), {}};
    for (int k = 0; k < steps; ++k) t.grads.push_back(normal(s.numel, 0.01f, seed++));
    out.push_back(std::move(t));
  }
  return out;
}

void run(Optimizer& opt, std::vector<Tensor>& tensors, int first_step, int last_step) {
  for (int k = first_step; k < last_step; ++k) {
    for (std::size_t i = 0; i < tensors.size(); ++i) opt.step(i, tensors[i].p.data(), tensors[i].grads[k].data());
  }
}

// Issue 17: device "cuda" without a usable device is a typed configuration error (exit 64) whose
// message is the reason: the build has no CUDA, or the runtime's own words for the missing device.
TEST(Optimizer, CudaWithoutADeviceSaysWhy) {
  std::string why;
  if (bnb::kernels::cuda::cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present (tests/device covers it)";
  bnb::OptimizerOptions options;
  options.device = bnb::Device::cuda;
  try {
    Optimizer opt("Adam8bit", {}, {{"w", DType::f32, 4096}}, {}, options);
    ADD_FAILURE() << "constructed on a missing device";
  } catch (const bnb::DeviceUnavailable& e) {
    const std::string message = e.what();
    EXPECT_EQ(message, "device \"cuda\": " + why);
    const bool known = bnb::kernels::cuda::built_with_cuda() ? message.find("no CUDA device: ") != std::string::npos
                                                        : message.find("this build has no CUDA") != std::string::npos;
    EXPECT_TRUE(known) << message;
  }
  static_assert(std::is_base_of_v<bnb::ConfigError, bnb::DeviceUnavailable>, "the CLI maps it to 64 as a ConfigError");
}

TEST(Optimizer, EightBitOnlyFromMin8bitSize) {
  // SPEC.md §5.4: n >= min_8bit_size gets 8-bit state, strictly smaller stays 32-bit.
  std::vector<ParamSpec> specs = {{"below", DType::f32, 4095}, {"at", DType::f32, 4096}};
  Optimizer opt("Adam8bit", {}, specs);
  auto tensors = make_tensors(specs, 1);
  run(opt, tensors, 0, 1);
  EXPECT_EQ(opt.state(0).format, StateFormat::fp32);
  EXPECT_EQ(opt.state(1).format, StateFormat::blockwise8);
}

TEST(Optimizer, TensorwiseWhenBlockWiseIsFalse) {
  std::vector<ParamSpec> specs = {{"w", DType::f32, 5000}};
  Optimizer opt("Adam8bit", {{"block_wise", false}}, specs);
  opt.initialize_state(0);
  EXPECT_EQ(opt.state(0).format, StateFormat::tensorwise8);
  EXPECT_EQ(opt.state(0).absmax[0].size(), 1u);
}

TEST(Optimizer, OverrideKeepsEmbeddingAt32Bit) {
  // The canonical GlobalOptimManager use: one line keeps the embedding's state in fp32.
  std::vector<ParamSpec> specs = {{"embed.weight", DType::f32, 8192}, {"fc.weight", DType::f32, 8192}};
  Optimizer opt("Adam8bit", {}, specs, {{"embed.*", {{"optim_bits", 32.0}}}});
  opt.initialize_state(0);
  opt.initialize_state(1);
  EXPECT_EQ(opt.state(0).format, StateFormat::fp32);
  EXPECT_EQ(opt.state(1).format, StateFormat::blockwise8);
}

TEST(Optimizer, Min8bitSizeOverride) {
  std::vector<ParamSpec> specs = {{"a", DType::f32, 1000}, {"b", DType::f32, 1000}};
  Optimizer opt("Adam8bit", {}, specs, {{"b", {{"min_8bit_size", 512.0}}}});
  opt.initialize_state(0);
  opt.initialize_state(1);
  EXPECT_EQ(opt.state(0).format, StateFormat::fp32);
  EXPECT_EQ(opt.state(1).format, StateFormat::blockwise8);
}

TEST(Optimizer, LrOverrideAppliesEveryStep) {
  // An override's lr must give exactly what an optimizer configured with that lr gives.
  std::vector<ParamSpec> specs = {{"slow", DType::f32, 3000}, {"fast", DType::f32, 3000}};
  auto a = make_tensors(specs, 5);
  auto b = a;
  Optimizer overridden("Adam32bit", {}, specs, {{"fast", {{"lr", 0.01}}}});
  run(overridden, a, 0, 5);
  Optimizer plain("Adam32bit", {{"lr", 0.01}}, {specs[1]});
  std::vector<Tensor> fast = {b[1]};
  run(plain, fast, 0, 5);
  EXPECT_EQ(0, std::memcmp(a[1].p.data(), fast[0].p.data(), a[1].p.size() * sizeof(float)));
  EXPECT_EQ(overridden.config(0).hyper.lr, 1e-3);
  EXPECT_EQ(overridden.config(1).hyper.lr, 0.01);
}

TEST(Optimizer, LaterOverridesWin) {
  std::vector<ParamSpec> specs = {{"layer.0.w", DType::f32, 10}};
  Optimizer opt("Adam", {}, specs, {{"layer.*", {{"lr", 0.5}}}, {"layer.0.w", {{"lr", 0.25}}}});
  EXPECT_EQ(opt.config(0).hyper.lr, 0.25);
}

TEST(Optimizer, OverrideMatchingNothingIsAnError) {
  std::vector<ParamSpec> specs = {{"w", DType::f32, 10}};
  try {
    Optimizer opt("Adam8bit", {}, specs, {{"embedding*", {{"optim_bits", 32.0}}}});
    FAIL() << "expected ConfigError";
  } catch (const bnb::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embedding*"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("matches no parameter"), std::string::npos) << e.what();
  }
}

TEST(Optimizer, UnknownNameSuggestsNearest) {
  try {
    Optimizer opt("AdamW8bits", {}, {});
    FAIL() << "expected ConfigError";
  } catch (const bnb::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("AdamW8bit"), std::string::npos) << e.what();
  }
}

TEST(Optimizer, EightBitAdamMemoryIsExact) {
  // SPEC.md §10 / issue 4: 2 codes per parameter plus one fp32 absmax per 256-block and state.
  const std::size_t n = 1u << 20;
  std::vector<ParamSpec> specs = {{"w", DType::f32, n}};
  Optimizer opt("Adam8bit", {}, specs);
  opt.initialize_state(0);
  const bnb::MemoryReport m = opt.memory();
  EXPECT_EQ(m.state_bytes, 2 * n + 2 * 4 * ((n + 255) / 256));
  EXPECT_DOUBLE_EQ(m.state_bytes_per_param(), 2.03125);
}

TEST(Optimizer, StateBytesPerParamMatchSpec) {
  const std::size_t n = 256 * 100;
  const std::vector<ParamSpec> specs = {{"w", DType::f32, n}};
  const std::pair<const char*, double> expected[] = {{"Adam32bit", 8.0}, {"Adam8bit", 2.03125}};
  for (const auto& [name, bytes] : expected) {
    Optimizer opt(name, {}, specs);
    opt.initialize_state(0);
    EXPECT_DOUBLE_EQ(opt.memory().state_bytes_per_param(), bytes) << name;
  }
  Optimizer sgd32("SGD32bit", {{"lr", 0.1}, {"momentum", 0.9}}, specs);
  sgd32.initialize_state(0);
  EXPECT_DOUBLE_EQ(sgd32.memory().state_bytes_per_param(), 4.0);
  Optimizer sgd8("SGD8bit", {{"lr", 0.1}, {"momentum", 0.9}}, specs);
  sgd8.initialize_state(0);
  EXPECT_DOUBLE_EQ(sgd8.memory().state_bytes_per_param(), 1.015625);
}

TEST(Optimizer, PagedRunEqualsHeapRunWithinBudget) {
  // SPEC.md §7: total paged state at least 4x the resident budget; results bit-identical to the
  // non-paged optimizer; resident paged state never above the budget plus one tensor's state.
  const std::size_t n = 200000;  // >= 100000: paged
  std::vector<ParamSpec> specs;
  for (int i = 0; i < 8; ++i) specs.push_back({"w" + std::to_string(i), DType::f32, n});
  const std::size_t tensor_state = 2 * n * sizeof(float);
  bnb::OptimizerOptions paged_options;
  paged_options.paged_budget_bytes = 2 * tensor_state;  // total = 8 tensors = 4x the budget
  auto heap_tensors = make_tensors(specs, 3);
  auto paged_tensors = heap_tensors;

  Optimizer heap("Adam32bit", {}, specs);
  Optimizer paged("PagedAdam32bit", {}, specs, {}, paged_options);
  run(heap, heap_tensors, 0, 3);
  std::size_t max_resident = 0;
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      paged.step(i, paged_tensors[i].p.data(), paged_tensors[i].grads[k].data());
      max_resident = std::max(max_resident, paged.paged_arena()->resident_bytes());
    }
  }
  const bnb::MemoryReport m = paged.memory();
  EXPECT_EQ(m.paged_bytes, specs.size() * tensor_state);
  EXPECT_GE(m.paged_bytes, 4 * paged_options.paged_budget_bytes);
  EXPECT_LE(max_resident, paged_options.paged_budget_bytes + tensor_state);
  EXPECT_LT(max_resident, m.paged_bytes / 2) << "state was not evicted";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(heap_tensors[i].p.data(), paged_tensors[i].p.data(), n * sizeof(float))) << i;
    EXPECT_EQ(0, std::memcmp(heap.state(i).row[0].data(), paged.state(i).row[0].data(), n * sizeof(float))) << i;
    EXPECT_EQ(0, std::memcmp(heap.state(i).row[1].data(), paged.state(i).row[1].data(), n * sizeof(float))) << i;
  }
}

TEST(Optimizer, SmallTensorsOfPagedOptimizersStayOnTheHeap) {
  std::vector<ParamSpec> specs = {{"small", DType::f32, 99999}, {"big", DType::f32, 100000}};
  Optimizer opt("PagedAdamW8bit", {}, specs);
  opt.initialize_state(0);
  opt.initialize_state(1);
  EXPECT_FALSE(opt.state(0).row[0].is_paged());
  EXPECT_TRUE(opt.state(1).row[0].is_paged());
}

TEST(Optimizer, PytorchLarsIsFp32Only) {
  EXPECT_THROW(Optimizer("PytorchLARS", {}, {{"w", DType::bf16, 10}}), bnb::ConfigError);
}

}  // namespace
