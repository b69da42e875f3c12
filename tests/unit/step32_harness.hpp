#pragma once
// Test harness for the step32_* tests: drives the product's 32-bit CPU path (bnb::kernels::cpu_step
// with fp32 state rows) and the fp64 reference (bnb_ref) side by side, and compares them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/step_request.hpp"
#include "bnb_ref/from_product.hpp"
#include "bnb_ref/ref_optimizer.hpp"

namespace step32 {

using bnb_ref::ref_algo;

inline const char* dtype_name(bnb::DType d) {
  return d == bnb::DType::f32 ? "f32" : (d == bnb::DType::f16 ? "f16" : "bf16");
}

/// The reference storage for a product dtype: fp32 runs compare against exact double math (no
/// rounding); 16-bit runs round the reference parameter to the dtype as the product stores it.
inline bnb_ref::StorageKind ref_storage(bnb::DType d) { return bnb_ref::ref_storage(d, /*exact_fp32=*/true); }

/// The kernel hyper-parameters with `max_unorm` (which the kernels take through the request).
struct Config {
  bnb::HyperParams hyper;
  bnb_ref::RefHyper ref() const {
    bnb_ref::RefHyper r;
    r.lr = hyper.lr;
    r.beta1 = hyper.beta1;
    r.beta2 = hyper.beta2;
    r.beta3 = hyper.beta3;
    r.alpha = hyper.alpha;
    r.t_alpha = hyper.t_alpha;
    r.t_beta3 = hyper.t_beta3;
    r.eps = hyper.eps;
    r.weight_decay = hyper.weight_decay;
    r.max_unorm = hyper.max_unorm;
    r.skip_zeros = hyper.skip_zeros;
    return r;
  }
};

/// One tensor stepped by the product's 32-bit CPU path.
class Product32 {
 public:
  Product32(bnb::Algorithm a, bnb::DType d, std::size_t n) : algo_(a), dtype_(d), n_(n) {
    const std::vector<float> zeros(n, 0.0f);
    store(zeros, param_, param_seen_);
    store(zeros, grad_, grad_seen_);
    for (int r = 0; r < bnb::kernels::state_rows(a); ++r) rows_[static_cast<std::size_t>(r)].assign(n, 0.0f);
  }

  std::size_t size() const { return n_; }
  int rows() const { return bnb::kernels::state_rows(algo_); }
  std::vector<float>& state(int r) { return rows_[static_cast<std::size_t>(r)]; }

  /// Stores `values` in the dtype (rounded) and returns what was stored, as float (valid until
  /// the next call).
  const std::vector<float>& set_param(std::span<const float> values) { return store(values, param_, param_seen_); }
  const std::vector<float>& set_grad(std::span<const float> values) { return store(values, grad_, grad_seen_); }
  /// The stored parameter as float (valid until the next call of set_param or param).
  const std::vector<float>& param() { return load(param_, param_seen_); }

  /// One step: t += 1, constants from the algorithm's prepare(), fp32 state rows.
  bnb::StepReport step(const Config& c, float gnorm_scale = 1.0f, int threads = 1) {
    ++t_;
    bnb::StepRequest r;
    r.algorithm = algo_;
    r.dtype = dtype_;
    r.n = n_;
    r.param = param_.data(dtype_);
    r.grad = grad_.data(dtype_);
    r.state.format = bnb::StateFormat::fp32;
    r.state.rows = rows();
    for (int k = 0; k < rows(); ++k) r.state.values[k] = rows_[static_cast<std::size_t>(k)].data();
    r.constants = bnb::kernels::with_algorithm(
        algo_, [&]<class A>() { return A::prepare(c.hyper, t_); });
    r.gnorm_scale = gnorm_scale;
    r.max_unorm = static_cast<float>(c.hyper.max_unorm);
    r.threads = threads;
    bnb::StepReport report;
    bnb::kernels::cpu_step(r, report);
    return report;
  }

 private:
  /// A tensor in the run's dtype (only the vector of that dtype is used).
  struct Stored {
    std::vector<float> f32;
    std::vector<bnb::half_t> f16;
    std::vector<bnb::bf16_t> bf16;
    void* data(bnb::DType d) {
      return d == bnb::DType::f32 ? static_cast<void*>(f32.data())
                                  : (d == bnb::DType::f16 ? static_cast<void*>(f16.data()) : static_cast<void*>(bf16.data()));
    }
  };

  const std::vector<float>& store(std::span<const float> values, Stored& dst, std::vector<float>& seen) {
    dst.f32.resize(values.size());
    dst.f16.resize(values.size());
    dst.bf16.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      switch (dtype_) {
        case bnb::DType::f32: dst.f32[i] = values[i]; break;
        case bnb::DType::f16: dst.f16[i] = bnb::kernels::float_to_half(values[i]); break;
        case bnb::DType::bf16: dst.bf16[i] = bnb::kernels::float_to_bf16(values[i]); break;
      }
    }
    return load(dst, seen);
  }

  const std::vector<float>& load(const Stored& src, std::vector<float>& out) const {
    out.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      switch (dtype_) {
        case bnb::DType::f32: out[i] = src.f32[i]; break;
        case bnb::DType::f16: out[i] = bnb::kernels::half_to_float(src.f16[i]); break;
        case bnb::DType::bf16: out[i] = bnb::kernels::bf16_to_float(src.bf16[i]); break;
      }
    }
    return out;
  }

  bnb::Algorithm algo_;
  bnb::DType dtype_;
  std::size_t n_;
  std::int64_t t_ = 0;
  Stored param_, grad_;
  std::vector<float> param_seen_, grad_seen_;
  std::array<std::vector<float>, bnb::kMaxStateRows> rows_;
};

/// Elements where |actual - expected| > atol + rtol·|expected| (NaN counts as a difference),
/// with the worst excess for the failure message.
struct Mismatch {
  std::size_t count = 0;
  std::size_t worst_index = 0;
  double worst_abs = 0;
  std::string describe(std::span<const float> actual, std::span<const double> expected) const {
    if (count == 0) return "none";
    return std::to_string(count) + " elements, worst at " + std::to_string(worst_index) + ": product " +
           std::to_string(actual[worst_index]) + " reference " + std::to_string(expected[worst_index]) +
           " |diff| " + std::to_string(worst_abs);
  }
};

inline Mismatch compare(std::span<const float> actual, std::span<const double> expected, double atol, double rtol) {
  Mismatch m;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double a = static_cast<double>(actual[i]);
    const double diff = std::fabs(a - expected[i]);
    if (!(diff <= atol + rtol * std::fabs(expected[i]))) {
      ++m.count;
      if (!(diff <= m.worst_abs)) {
        m.worst_abs = diff;
        m.worst_index = i;
      }
    }
  }
  return m;
}

/// A pool of N(0,1) samples: windows of it serve as gradients and parameters, so the big shapes
/// do not pay for fresh normal samples at every step (each step uses a different offset).
class NormalPool {
 public:
  NormalPool(std::size_t size, std::uint64_t seed) : values_(size) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : values_) v = dist(rng);
  }
  /// n values starting at `offset` (wrapping), times sigma.
  std::vector<float> draw(std::size_t n, std::size_t offset, float sigma) const {
    std::vector<float> out(n);
    for (std::size_t i = 0, k = offset % values_.size(); i < n; ++i, k = k + 1 == values_.size() ? 0 : k + 1) {
      out[i] = values_[k] * sigma;
    }
    return out;
  }

 private:
  std::vector<float> values_;
};

}  // namespace step32
