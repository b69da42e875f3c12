// Gradient traces: validation of init/grad pairs, and the interop check that 32-bit Adam over the
// example trace reproduces PyTorch's torch.optim.Adam result.
#include "bnb/trace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/algorithms/adam.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/safetensors.hpp"

namespace {

using bnb::DataError;
using bnb::SafetensorsFile;
using bnb::SafetensorsWriter;
using bnb::TensorDType;

const std::string kExampleTrace = BNB_TEST_DATA_DIR "/example_trace.safetensors";
const std::string kExampleResult = BNB_TEST_DATA_DIR "/example_adam_result.safetensors";

/// Adds a zero-filled tensor.
void add_zeros(SafetensorsWriter& w, const std::string& name, TensorDType dtype, std::vector<std::int64_t> shape) {
  const std::vector<std::byte> data(bnb::element_count(shape) * bnb::tensor_dtype_size(dtype));
  w.add(name, dtype, std::move(shape), data);
}

/// Expects make_trace to reject the file with a message containing every one of `parts`.
void expect_invalid(const SafetensorsWriter& w, const std::vector<std::string>& parts) {
  try {
    (void)bnb::make_trace(SafetensorsFile::parse(w.serialize(), "t.safetensors"));
    ADD_FAILURE() << "accepted an invalid trace";
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("t.safetensors: invalid trace"), std::string::npos) << message;
    for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << "expected '" << p << "' in: " << message;
  }
}

TEST(Trace, LoadsTheExampleTrace) {
  const bnb::Trace trace = bnb::load_trace(kExampleTrace);
  EXPECT_EQ(trace.steps, 5);
  ASSERT_EQ(trace.params.size(), 2u);
  // Sorted by name.
  const auto& b = trace.params[0];
  const auto& w = trace.params[1];
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.dtype, bnb::DType::f32);
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{40, 130}));
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{130}));
  EXPECT_EQ(w.numel, 5200u);
  EXPECT_EQ(w.init.size(), 5200u * 4);
  EXPECT_EQ(w.grads.size(), 5u * 5200 * 4);
  // Step views partition the gradient block in step order.
  EXPECT_EQ(w.grad(0).data(), w.grads.data());
  EXPECT_EQ(w.grad(4).data() + w.grad(4).size(), w.grads.data() + w.grads.size());
  EXPECT_EQ(b.grad(1).size(), 130u * 4);
}

TEST(Trace, AcceptsHalfPrecisionTraces) {
  for (auto dtype : {TensorDType::f16, TensorDType::bf16}) {
    SafetensorsWriter w;
    add_zeros(w, "init/x", dtype, {3, 2});
    add_zeros(w, "grad/x", dtype, {4, 3, 2});
    const auto trace = bnb::make_trace(SafetensorsFile::parse(w.serialize(), "t"));
    ASSERT_EQ(trace.params.size(), 1u);
    EXPECT_EQ(trace.params[0].dtype, bnb::param_dtype_of(dtype));
    EXPECT_EQ(trace.steps, 4);
  }
}

TEST(Trace, RejectsInitWithoutGradAndGradWithoutInit) {
  SafetensorsWriter a;
  add_zeros(a, "init/x", TensorDType::f32, {2});
  expect_invalid(a, {"'init/x' has no gradients 'grad/x'"});
  SafetensorsWriter b;
  add_zeros(b, "grad/x", TensorDType::f32, {1, 2});
  expect_invalid(b, {"'grad/x' has no initial value 'init/x'"});
}

TEST(Trace, RejectsShapeMismatch) {
  SafetensorsWriter w;
  add_zeros(w, "init/x", TensorDType::f32, {2, 3});
  add_zeros(w, "grad/x", TensorDType::f32, {5, 3, 2});
  expect_invalid(w, {"'grad/x' has shape [5, 3, 2]", "'init/x' has [2, 3]", "expected [steps, 2, 3]"});
  SafetensorsWriter missing_step_axis;
  add_zeros(missing_step_axis, "init/x", TensorDType::f32, {2});
  add_zeros(missing_step_axis, "grad/x", TensorDType::f32, {2});
  expect_invalid(missing_step_axis, {"'grad/x' has shape [2]"});
}

TEST(Trace, RejectsDtypeMismatchAndNonParameterDtype) {
  SafetensorsWriter w;
  add_zeros(w, "init/x", TensorDType::f32, {2});
  add_zeros(w, "grad/x", TensorDType::bf16, {1, 2});
  expect_invalid(w, {"'grad/x' has dtype BF16 but 'init/x' has F32"});
  SafetensorsWriter ints;
  add_zeros(ints, "init/x", TensorDType::i32, {2});
  add_zeros(ints, "grad/x", TensorDType::i32, {1, 2});
  expect_invalid(ints, {"'init/x' has dtype I32, expected F32, F16 or BF16"});
}

TEST(Trace, RejectsDifferentStepCounts) {
  SafetensorsWriter w;
  add_zeros(w, "init/a", TensorDType::f32, {2});
  add_zeros(w, "grad/a", TensorDType::f32, {3, 2});
  add_zeros(w, "init/b", TensorDType::f32, {2});
  add_zeros(w, "grad/b", TensorDType::f32, {4, 2});
  expect_invalid(w, {"'grad/b' holds 4 steps but 'grad/a' holds 3"});
}

TEST(Trace, RejectsEmptyTracesZeroStepsAndStrayTensors) {
  expect_invalid(SafetensorsWriter{}, {"no parameters"});
  SafetensorsWriter zero;
  add_zeros(zero, "init/x", TensorDType::f32, {2});
  add_zeros(zero, "grad/x", TensorDType::f32, {0, 2});
  expect_invalid(zero, {"'grad/x' holds no steps"});
  SafetensorsWriter stray;
  add_zeros(stray, "init/x", TensorDType::f32, {2});
  add_zeros(stray, "grad/x", TensorDType::f32, {1, 2});
  add_zeros(stray, "param/x", TensorDType::f32, {2});
  expect_invalid(stray, {"unexpected tensor 'param/x'"});
  SafetensorsWriter unnamed;
  add_zeros(unnamed, "init/", TensorDType::f32, {2});
  expect_invalid(unnamed, {"unexpected tensor 'init/'"});
}

TEST(Trace, MalformedFileIsDataErrorAndMissingFileIsIoError) {
  EXPECT_THROW((void)bnb::load_trace(BNB_TEST_DATA_DIR "/no_such_trace.safetensors"), bnb::IoError);
  EXPECT_THROW((void)bnb::load_trace(BNB_TEST_DATA_DIR "/qmap_signed.hex"), DataError);
}

/// 32-bit Adam over every step of one traced parameter, returning the final parameter.
std::vector<float> run_adam32(const bnb::TraceParam& param, std::int64_t steps, const bnb::HyperParams& h,
                              bnb::kernels::CpuVariant variant) {
  std::vector<float> p(param.numel), m(param.numel, 0.0f), v(param.numel, 0.0f), g(param.numel);
  std::memcpy(p.data(), param.init.data(), param.init.size());  // the file's data may be unaligned
  for (std::int64_t t = 1; t <= steps; ++t) {
    const auto grad = param.grad(t - 1);
    std::memcpy(g.data(), grad.data(), grad.size());
    bnb::StepRequest r;
    r.algorithm = bnb::Algorithm::adam;
    r.dtype = bnb::DType::f32;
    r.n = param.numel;
    r.param = p.data();
    r.grad = g.data();
    r.state.format = bnb::StateFormat::fp32;
    r.state.rows = 2;
    r.state.values[0] = m.data();
    r.state.values[1] = v.data();
    r.constants = bnb::kernels::Adam::prepare(h, t);
    bnb::StepReport report;
    bnb::kernels::cpu_step(variant, r, report);
    EXPECT_EQ(report.nonfinite_grads, 0u);
  }
  return p;
}

// Interop: 32-bit Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay) over the 5 steps
// of the example trace, against torch.optim.Adam's parameters after the same steps, with every
// CPU variant this machine runs.
TEST(Trace, Adam32BitReproducesPyTorchOnTheExampleTrace) {
  const bnb::Trace trace = bnb::load_trace(kExampleTrace);
  const SafetensorsFile expected = SafetensorsFile::read(kExampleResult);
  bnb::HyperParams h;
  h.lr = 1e-3;
  h.beta1 = 0.9;
  h.beta2 = 0.999;
  h.eps = 1e-8;
  h.weight_decay = 0;
  // SPEC.md §10: 32-bit optimizer vs an fp32 reference, fp32 parameters.
  constexpr float kAtol = 1e-6f;
  constexpr float kRtol = 1e-5f;
  for (const auto variant : bnb::kernels::supported_variants()) {
    for (const auto& param : trace.params) {
      SCOPED_TRACE(std::string(bnb::kernels::variant_name(variant)) + " " + param.name);
      const std::vector<float> p = run_adam32(param, trace.steps, h, variant);
      const std::vector<float> want = bnb::to_f32_values(expected.at("param/" + param.name));
      ASSERT_EQ(want.size(), p.size());
      std::size_t outside = 0;
      float worst = 0.0f;
      for (std::size_t i = 0; i < p.size(); ++i) {
        const float err = std::fabs(p[i] - want[i]);
        worst = std::max(worst, err);
        if (!(err <= kAtol + kRtol * std::fabs(want[i]))) ++outside;
      }
      EXPECT_EQ(outside, 0u) << "max abs error " << worst;
      // The parameters moved, so the comparison is not passed by an optimizer that does nothing.
      const std::vector<float> init = bnb::to_f32_values(trace.file.at("init/" + param.name));
      float moved = 0.0f;
      for (std::size_t i = 0; i < p.size(); ++i) moved = std::max(moved, std::fabs(p[i] - init[i]));
      EXPECT_GT(moved, 5e-4f);  // Adam's first step alone moves each element by ~lr = 1e-3
    }
  }
}

}  // namespace
