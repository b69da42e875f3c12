// Checkpoints (SPEC.md §9): save after k steps, load into a fresh optimizer, continue — the
// parameters and every state buffer must be bit-identical to an uninterrupted run. Malformed or
// mismatching checkpoints are rejected with a DataError and leave the optimizer untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include "bnb/checkpoint.hpp"
#include "bnb/errors.hpp"
#include "bnb/optimizer.hpp"
#include "bnb/safetensors.hpp"

namespace {

using bnb::ArgMap;
using bnb::DType;
using bnb::Optimizer;
using bnb::ParamSpec;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("bnb_ckpt_" + std::to_string(::getpid()) + "_" + name)).string();
}

struct Tensors {
  std::vector<ParamSpec> specs;
  std::vector<std::vector<std::uint16_t>> p16;  // 16-bit parameter storage
  std::vector<std::vector<float>> p32;
  std::vector<std::vector<std::vector<float>>> g32;
  std::vector<std::vector<std::vector<std::uint16_t>>> g16;

  void* param(std::size_t i) { return specs[i].dtype == DType::f32 ? static_cast<void*>(p32[i].data()) : p16[i].data(); }
  const void* grad(std::size_t i, int k) const {
    return specs[i].dtype == DType::f32 ? static_cast<const void*>(g32[i][k].data()) : g16[i][k].data();
  }
  std::vector<void*> params() {
    std::vector<void*> out;
    for (std::size_t i = 0; i < specs.size(); ++i) out.push_back(param(i));
    return out;
  }
};

/// Random parameters/gradients; 16-bit tensors get bf16 bit patterns of N(0, σ²) values.
Tensors make_run(const std::vector<ParamSpec>& specs, int steps) {
  Tensors r{specs, {}, {}, {}, {}};
  std::mt19937 gen(42);
  std::normal_distribution<float> p_dist(0.0f, 0.1f), g_dist(0.0f, 0.01f);
  auto bf16 = [](float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return static_cast<std::uint16_t>(u >> 16);
  };
  for (const ParamSpec& s : specs) {
    std::vector<float> p(s.numel);
    for (float& x : p) x = p_dist(gen);
    std::vector<std::uint16_t> p16(s.numel);
    for (std::size_t j = 0; j < s.numel; ++j) p16[j] = bf16(p[j]);
    r.p32.push_back(p);
    r.p16.push_back(p16);
    r.g32.emplace_back();
    r.g16.emplace_back();
    for (int k = 0; k < steps; ++k) {
      std::vector<float> g(s.numel);
      for (float& x : g) x = g_dist(gen);
      std::vector<std::uint16_t> g16(s.numel);
      for (std::size_t j = 0; j < s.numel; ++j) g16[j] = bf16(g[j]);
      r.g32.back().push_back(g);
      r.g16.back().push_back(g16);
    }
  }
  return r;
}

void steps(Optimizer& opt, Tensors& run, int from, int to) {
  for (int k = from; k < to; ++k) {
    for (std::size_t i = 0; i < run.specs.size(); ++i) opt.step(i, run.param(i), run.grad(i, k));
  }
}

void expect_identical(const Optimizer& a, Tensors& ra, const Optimizer& b, Tensors& rb) {
  for (std::size_t i = 0; i < ra.specs.size(); ++i) {
    const std::size_t bytes = ra.specs[i].numel * (ra.specs[i].dtype == DType::f32 ? 4 : 2);
    EXPECT_EQ(0, std::memcmp(ra.param(i), rb.param(i), bytes)) << "param " << i;
    const bnb::ParamState& sa = a.state(i);
    const bnb::ParamState& sb = b.state(i);
    ASSERT_EQ(sa.step, sb.step);
    ASSERT_EQ(sa.format, sb.format);
    ASSERT_EQ(sa.rows, sb.rows);
    for (int r = 0; r < sa.rows; ++r) {
      ASSERT_EQ(sa.row[r].size(), sb.row[r].size());
      EXPECT_EQ(0, std::memcmp(sa.row[r].data(), sb.row[r].data(), sa.row[r].size())) << "param " << i << " row " << r;
      EXPECT_EQ(sa.absmax[r], sb.absmax[r]) << "param " << i << " row " << r;
    }
    ASSERT_EQ(sa.compensation.size(), sb.compensation.size());
    EXPECT_EQ(0, std::memcmp(sa.compensation.data(), sb.compensation.data(), sa.compensation.size())) << "param " << i;
    EXPECT_EQ(sa.gnorm_vec, sb.gnorm_vec);
    EXPECT_EQ(sa.unorm, sb.unorm);
  }
}

struct Case {
  const char* label;
  const char* optimizer;
  ArgMap args;
  std::vector<ParamSpec> specs;
};

class CheckpointRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(CheckpointRoundTrip, ResumeEqualsStraightRun) {
  const Case& c = GetParam();
  constexpr int kTotal = 6, kSaveAt = 3;
  Tensors straight = make_run(c.specs, kTotal);
  Tensors resumed = straight;
  Optimizer a(c.optimizer, c.args, c.specs);
  steps(a, straight, 0, kTotal);

  const std::string path = temp_path(c.label);
  {
    Optimizer first(c.optimizer, c.args, c.specs);
    steps(first, resumed, 0, kSaveAt);
    const std::vector<void*> ptrs = resumed.params();
    std::vector<const void*> cptrs(ptrs.begin(), ptrs.end());
    bnb::save_checkpoint(first, cptrs, path, {{"label", c.label}});
  }
  Tensors fresh = resumed;  // the buffers a new process would hold are overwritten by the load
  for (auto& p : fresh.p32) std::fill(p.begin(), p.end(), 0.0f);
  for (auto& p : fresh.p16) std::fill(p.begin(), p.end(), std::uint16_t{0});
  Optimizer b(c.optimizer, c.args, c.specs);
  bnb::load_checkpoint(b, fresh.params(), path);
  EXPECT_EQ(bnb::checkpoint_metadata(path).at("label"), c.label);
  steps(b, fresh, kSaveAt, kTotal);
  expect_identical(a, straight, b, fresh);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Formats, CheckpointRoundTrip,
    ::testing::Values(
        Case{"adam32", "Adam32bit", {{"weight_decay", 0.01}}, {{"w", DType::f32, 5000}, {"b", DType::bf16, 300}}},
        Case{"adam8_blockwise", "AdamW8bit", {{"percentile_clipping", 90.0}}, {{"w", DType::f32, 5000}, {"small", DType::f32, 100}}},
        Case{"lamb8_tensorwise", "LAMB8bit", {}, {{"w", DType::bf16, 6000}}},
        Case{"paged_lion8", "PagedLion8bit", {}, {{"w", DType::f32, 120000}}},
        Case{"ademamix_sched", "AdEMAMix8bit", {{"t_alpha", 4.0}, {"t_beta3", 4.0}}, {{"w", DType::f32, 5000}}},
        Case{"adamw4_odd", "AdamW4bit", {}, {{"w", DType::f32, 5001}}},  // 4-bit: odd n, a tail block
        Case{"ademamix4", "AdEMAMix", {{"optim_bits", 4.0}}, {{"w", DType::bf16, 5000}}},  // two rows in state1
        Case{"adamw_fp8", "AdamWFp8", {}, {{"w", DType::f32, 5001}, {"small", DType::f32, 100}}},  // no qmap
        Case{"lion_fp8", "Lion", {{"optim_bits", std::string("fp8")}}, {{"w", DType::bf16, 4500}}},
        Case{"ademamix32_sched", "AdEMAMix32bit", {{"t_alpha", 4.0}, {"t_beta3", 4.0}}, {{"w", DType::f32, 700}}},
        // param_rounding (docs/param_rounding.md): the compensation buffer is state; the
        // stochastic stream is a function of the step, so a resumed run draws the same bits.
        Case{"adamw8_compensated", "AdamW8bit", {{"param_rounding", std::string("compensated")}},
             {{"w", DType::bf16, 5000}, {"b", DType::f32, 300}}},
        Case{"lion32_stochastic", "Lion32bit", {{"param_rounding", std::string("stochastic")}}, {{"w", DType::bf16, 700}}},
        Case{"pytorch_lars", "PytorchLARS", {{"momentum", 0.9}}, {{"w", DType::f32, 700}}}),
    [](const auto& test_info) { return std::string(test_info.param.label); });

class CheckpointErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = make_run(specs_, 2);
    Optimizer opt("Adam8bit", {}, specs_);
    steps(opt, run_, 0, 2);
    const std::vector<void*> ptrs = run_.params();
    std::vector<const void*> cptrs(ptrs.begin(), ptrs.end());
    bnb::save_checkpoint(opt, cptrs, path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void expect_rejected(Optimizer& opt, const std::string& needle) {
    Tensors target = run_;
    const Tensors before = target;
    try {
      bnb::load_checkpoint(opt, target.params(), path_);
      FAIL() << "expected DataError containing '" << needle << "'";
    } catch (const bnb::DataError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(target.p32, before.p32) << "parameters changed by a failed load";
    EXPECT_EQ(opt.state(0).step, 0);
  }

  std::vector<ParamSpec> specs_ = {{"w", DType::f32, 5000}};
  Tensors run_;
  std::string path_ = temp_path("errors");
};

TEST_F(CheckpointErrors, OtherOptimizer) {
  Optimizer opt("AdamW8bit", {}, specs_);
  expect_rejected(opt, "Adam8bit");
}

TEST_F(CheckpointErrors, OtherParameterSize) {
  Optimizer opt("Adam8bit", {}, {{"w", DType::f32, 5001}});
  Tensors target = make_run({{"w", DType::f32, 5001}}, 1);
  EXPECT_THROW(bnb::load_checkpoint(opt, target.params(), path_), bnb::DataError);
}

TEST_F(CheckpointErrors, MissingParameter) {
  Optimizer opt("Adam8bit", {}, {{"v", DType::f32, 5000}});
  expect_rejected(opt, "param/v");
}

TEST_F(CheckpointErrors, OtherStateFormat) {
  Optimizer opt("Adam8bit", {{"block_wise", false}}, specs_);
  expect_rejected(opt, "blockwise8");
}

TEST_F(CheckpointErrors, CorruptMapIsRejected) {
  // Rewrite the checkpoint with an unsorted map.
  const bnb::SafetensorsFile f = bnb::SafetensorsFile::read(path_);
  bnb::SafetensorsWriter w;
  for (const auto& [k, v] : f.metadata()) w.set_metadata(k, v);
  for (const bnb::TensorEntry& t : f.tensors()) {
    std::vector<std::byte> data(t.data.begin(), t.data.end());
    if (t.name == "state/w/qmap1") std::swap_ranges(data.begin(), data.begin() + 4, data.begin() + 4);
    w.add(t.name, t.dtype, t.shape, data);
  }
  w.write_atomic(path_);
  Optimizer opt("Adam8bit", {}, specs_);
  expect_rejected(opt, "qmap1");
}

TEST_F(CheckpointErrors, NotACheckpoint) {
  bnb::SafetensorsWriter w;
  const float x = 1.0f;
  w.add("x", bnb::TensorDType::f32, {1}, {reinterpret_cast<const std::byte*>(&x), 4});
  w.write_atomic(path_);
  Optimizer opt("Adam8bit", {}, specs_);
  expect_rejected(opt, "format");
}

TEST(CheckpointFourBit, ScalesAreBf16PerSixtyFourElements) {
  // docs/four_bit.md: absmax1/absmax2 are BF16 tensors of ceil(n/64) scales per row, equal to
  // the state's scale array read as bf16 (5001 elements: 79 scales, an odd count).
  const std::vector<ParamSpec> specs = {{"w", DType::f32, 5001}};
  Tensors run = make_run(specs, 2);
  Optimizer opt("AdamW4bit", {}, specs);
  steps(opt, run, 0, 2);
  const std::vector<void*> ptrs = run.params();
  const std::string path = temp_path("four_bit_scales");
  bnb::save_checkpoint(opt, std::vector<const void*>(ptrs.begin(), ptrs.end()), path);
  const bnb::SafetensorsFile f = bnb::SafetensorsFile::read(path);
  std::remove(path.c_str());
  for (int s = 1; s <= 2; ++s) {
    const bnb::TensorEntry& t = f.at("state/w/absmax" + std::to_string(s));
    EXPECT_EQ(t.dtype, bnb::TensorDType::bf16);
    ASSERT_EQ(t.numel(), 79u);
    const auto* held = reinterpret_cast<const std::byte*>(opt.state(0).absmax[s - 1].data());
    EXPECT_TRUE(std::equal(t.data.begin(), t.data.end(), held)) << "absmax" << s;
  }
}

}  // namespace
