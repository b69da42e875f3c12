#pragma once
// Test harness for the step8_* tests: drives the library's 8-bit path (bnb::Optimizer with a
// catalogue "*8bit" name, which decides the state format at the first step and owns the state),
// the fp64 reference (bnb_ref) alongside it, and an UNFUSED composition of one 8-bit step built
// from the stand-alone quantizer (bnb/quantize.hpp) and the shared per-element math — the three
// things the 8-bit tests compare.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/optimizer.hpp"
#include "bnb/quantize.hpp"
#include "bnb_ref/from_product.hpp"
#include "bnb_ref/ref_optimizer.hpp"

namespace step8 {

using bnb_ref::ref_algo;
using bnb_ref::ref_hyper;

using bnb::Algorithm;
using bnb::DType;

inline constexpr std::array<Algorithm, 8> kAlgorithms = {Algorithm::adam,    Algorithm::ademamix, Algorithm::momentum,
                                                         Algorithm::rmsprop, Algorithm::adagrad,  Algorithm::lion,
                                                         Algorithm::lamb,    Algorithm::lars};
inline constexpr std::array<DType, 3> kDTypes = {DType::f32, DType::f16, DType::bf16};

inline const char* algo_label(Algorithm a) { return algorithm_name(a).data(); }

inline const char* dtype_label(DType d) { return d == DType::f32 ? "fp32" : (d == DType::f16 ? "fp16" : "bf16"); }

/// The catalogue class that runs `a` with 8-bit state, with bitsandbytes' test hyper-parameters:
/// the defaults of SPEC.md §2, plus lr 0.01 / momentum 0.9 where the class requires them (SGD,
/// LARS). LAMB8bit defaults to one scale per tensor and LARS8bit always has it (SPEC.md §2).
struct AlgoCase {
  Algorithm algo = Algorithm::adam;
  std::string name;  // e.g. "Adam8bit"
  bnb::ArgMap args;
  bnb::ArgMap overrides;  // per-parameter override of "w" (keys the class has no argument for)
};

inline AlgoCase eight_bit_case(Algorithm a) {
  switch (a) {
    case Algorithm::adam: return {a, "Adam8bit", {}, {}};
    case Algorithm::ademamix: return {a, "AdEMAMix8bit", {}, {}};
    case Algorithm::momentum: return {a, "SGD8bit", {{"lr", 0.01}, {"momentum", 0.9}}, {}};
    case Algorithm::rmsprop: return {a, "RMSprop8bit", {}, {}};
    case Algorithm::adagrad: return {a, "Adagrad8bit", {}, {}};
    case Algorithm::lion: return {a, "Lion8bit", {}, {}};
    case Algorithm::lamb: return {a, "LAMB8bit", {}, {}};
    case Algorithm::lars: return {a, "LARS8bit", {{"lr", 0.01}, {"momentum", 0.9}}, {}};
  }
  return {};
}

/// The same case with an argument added.
inline AlgoCase with_arg(AlgoCase c, const std::string& key, bnb::ArgValue v) {
  c.args[key] = std::move(v);
  return c;
}

/// The same case with a per-parameter override (SPEC.md §8), e.g. block_wise, which AdEMAMix
/// has as an override key only.
inline AlgoCase with_override(AlgoCase c, const std::string& key, bnb::ArgValue v) {
  c.overrides[key] = std::move(v);
  return c;
}

/// The same class with 32-bit state ("Adam8bit" -> "Adam32bit").
inline AlgoCase thirty_two_bit(AlgoCase c) {
  c.name = c.name.substr(0, c.name.size() - 4) + "32bit";
  return c;
}

/// fp32 runs compare against exact double math; 16-bit runs round the reference parameter to the
/// dtype, as the product stores it.
inline bnb_ref::StorageKind ref_storage(DType d) { return bnb_ref::ref_storage(d, /*exact_fp32=*/true); }

/// A fast deterministic N(0, sigma²) source (splitmix64 + Box-Muller); std::normal_distribution
/// would dominate the run time of the large shapes.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : state_(seed) {}
  void fill(std::vector<float>& out, double sigma) {
    for (std::size_t i = 0; i < out.size(); i += 2) {
      const double u1 = (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
      const double u2 = static_cast<double>(next() >> 11) * 0x1.0p-53;
      const double r = sigma * std::sqrt(-2.0 * std::log(u1));
      out[i] = static_cast<float>(r * std::cos(6.283185307179586 * u2));
      if (i + 1 < out.size()) out[i + 1] = static_cast<float>(r * std::sin(6.283185307179586 * u2));
    }
  }
  std::vector<float> draw(std::size_t n, double sigma) {
    std::vector<float> v(n);
    fill(v, sigma);
    return v;
  }

 private:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

/// A tensor stored in one dtype.
class Tensor {
 public:
  Tensor(DType d, std::size_t n) : dtype_(d), f32_(d == DType::f32 ? n : 0), h16_(d != DType::f32 ? n : 0) {}
  std::size_t size() const { return dtype_ == DType::f32 ? f32_.size() : h16_.size(); }
  void* data() { return dtype_ == DType::f32 ? static_cast<void*>(f32_.data()) : static_cast<void*>(h16_.data()); }

  /// Stores `values` rounded to the dtype; returns what was stored.
  std::vector<float> set(std::span<const float> values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      switch (dtype_) {
        case DType::f32: f32_[i] = values[i]; break;
        case DType::f16: h16_[i] = bnb::kernels::float_to_half(values[i]).bits; break;
        case DType::bf16: h16_[i] = bnb::kernels::float_to_bf16(values[i]).bits; break;
      }
    }
    return get();
  }
  std::vector<float> get() const {
    std::vector<float> out(size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      switch (dtype_) {
        case DType::f32: out[i] = f32_[i]; break;
        case DType::f16: out[i] = bnb::kernels::half_to_float(bnb::half_t{h16_[i]}); break;
        case DType::bf16: out[i] = bnb::kernels::bf16_to_float(bnb::bf16_t{h16_[i]}); break;
      }
    }
    return out;
  }

 private:
  DType dtype_;
  std::vector<float> f32_;
  std::vector<std::uint16_t> h16_;  // fp16 or bf16 bit patterns (both 16-bit storage)
};

/// One parameter tensor "w" optimized by the library.
class Run8 {
 public:
  Run8(const AlgoCase& c, DType d, std::size_t n, bnb::OptimizerOptions options = {})
      : algo_(c.algo),
        dtype_(d),
        opt_(c.name, c.args, {{"w", d, n}}, overrides_of(c), options),
        param_(d, n),
        grad_(d, n) {}

  static std::vector<bnb::Override> overrides_of(const AlgoCase& c) {
    if (c.overrides.empty()) return {};
    return {bnb::Override{"w", c.overrides}};
  }

  Algorithm algo() const { return algo_; }
  DType dtype() const { return dtype_; }
  std::size_t size() const { return param_.size(); }
  bnb::Optimizer& optimizer() { return opt_; }
  const bnb::EffectiveConfig& config() const { return opt_.config(0); }
  bnb::ParamState& state() { return opt_.mutable_state(0); }

  std::vector<float> set_param(std::span<const float> values) { return param_.set(values); }
  std::vector<float> param() const { return param_.get(); }
  /// The gradient of the last step as the optimizer saw it (rounded to the dtype).
  const std::vector<float>& grad() const { return grad_seen_; }

  bnb::StepReport step(std::span<const float> g) {
    grad_seen_ = grad_.set(g);
    return opt_.step(0, param_.data(), grad_.data());
  }

 private:
  Algorithm algo_;
  DType dtype_;
  bnb::Optimizer opt_;
  Tensor param_, grad_;
  std::vector<float> grad_seen_;
};

inline bnb::QuantMap row_map(Algorithm a, int row) {
  const bool is_signed = bnb::kernels::with_algorithm(a, [row]<class A>() { return A::kRowSigned[row]; });
  return is_signed ? bnb::QuantMap::signed_dynamic : bnb::QuantMap::unsigned_dynamic;
}

/// Everything an 8-bit step reads and writes: parameters, codes and absmax of every row.
struct Snapshot {
  std::vector<float> param;
  std::array<std::vector<std::uint8_t>, bnb::kMaxStateRows> codes;
  std::array<std::vector<float>, bnb::kMaxStateRows> absmax;
};

/// (Allocates the state first if the run has not stepped yet: the format is decided then.)
inline Snapshot snapshot(Run8& run) {
  run.optimizer().initialize_state(0);
  Snapshot s;
  s.param = run.param();
  bnb::ParamState& st = run.state();
  for (int r = 0; r < st.rows; ++r) {
    const auto* codes = st.row[r].as<std::uint8_t>();
    s.codes[r].assign(codes, codes + st.numel);
    s.absmax[r] = st.absmax[r];
  }
  return s;
}

/// The update-norm sums in the fixed reduction order every backend promises (step_request.hpp):
/// chunks of kReductionBlock, element i into fp32 lane i mod kReductionLanes, lanes combined
/// pairwise, chunk sums added in order in double.
inline double ordered_sum(const std::vector<float>& terms) {
  double total = 0;
  for (std::size_t begin = 0; begin < terms.size(); begin += bnb::kReductionBlock) {
    const std::size_t len = std::min(bnb::kReductionBlock, terms.size() - begin);
    float lanes[bnb::kReductionLanes] = {};
    for (std::size_t i = 0; i < len; ++i) lanes[i % bnb::kReductionLanes] += terms[begin + i];
    const float chunk = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    total += static_cast<double>(chunk);
  }
  return total;
}

template <class T>
float store_round(float x) {
  return bnb::kernels::Storage<T>::round(x);
}

/// One 8-bit step composed from unfused parts, from the state `before` (taken from `st`, whose
/// format, block size and row count it uses) and the gradient as the optimizer saw it, for step
/// number t: decode with the stand-alone dequantizer, per-element update in fp32 (the shared
/// definition Algo::update, with the non-finite guard of SPEC.md §3 written out here), then
/// re-encode with the stand-alone quantizer (block-wise) or the block codec with one scale
/// (tensor-wise). Also returns the update scale it used.
template <class T>
Snapshot unfused_step_typed(const bnb::EffectiveConfig& cfg, const bnb::ParamState& st, const Snapshot& before,
                            const std::vector<float>& grad, std::int64_t t, float* scale_out) {
  const std::size_t n = st.numel;
  const int rows = st.rows;
  const bool blockwise = st.format == bnb::StateFormat::blockwise8;
  std::array<std::vector<float>, bnb::kMaxStateRows> s;
  for (int r = 0; r < rows; ++r) {
    s[r].resize(n);
    const bnb::QuantMap map = row_map(cfg.algorithm, r);
    if (blockwise) {
      bnb::dequantize_blockwise(before.codes[r].data(), before.absmax[r].data(), n, map, st.block_size, s[r].data());
    } else {
      const auto& table = bnb::quant_table(map);
      for (std::size_t i = 0; i < n; ++i) s[r][i] = table.values[before.codes[r][i]] * before.absmax[r][0];
    }
  }
  Snapshot after;
  after.param = before.param;
  float scale = 1.0f;
  bnb::kernels::with_algorithm(cfg.algorithm, [&]<class A>() {
    const bnb::StepConstants c = A::prepare(cfg.hyper, t);
    auto finite = [](float x) { return std::isfinite(x); };
    if (bnb::kernels::clips_update_norm(A::kId) && cfg.hyper.max_unorm > 0) {
      std::vector<float> uterm(n), pterm(n);
      for (std::size_t i = 0; i < n; ++i) {
        float old[bnb::kMaxStateRows];
        for (int r = 0; r < rows; ++r) old[r] = s[r][i];
        uterm[i] = finite(grad[i]) ? A::unorm_term(c, grad[i], before.param[i], old) : 0.0f;
        pterm[i] = before.param[i] * before.param[i];
      }
      const auto unorm = static_cast<float>(std::sqrt(ordered_sum(uterm)));
      const auto pnorm = static_cast<float>(std::sqrt(ordered_sum(pterm)));
      scale = bnb::kernels::clip_scale(A::kId, unorm, pnorm, static_cast<float>(cfg.hyper.max_unorm), c.eps);
    }
    for (std::size_t i = 0; i < n; ++i) {
      float v[bnb::kMaxStateRows];
      for (int r = 0; r < rows; ++r) v[r] = s[r][i];
      if (finite(grad[i])) {
        A::template update<bnb::kernels::Storage<T>>(c, grad[i], after.param[i], v, scale);
      } else {
        for (int r = 0; r < rows; ++r) v[r] = 0.0f;  // SPEC.md §3: skipped, state 0, p untouched
      }
      for (int r = 0; r < rows; ++r) s[r][i] = v[r];
    }
  });
  for (int r = 0; r < rows; ++r) {
    after.codes[r].resize(n);
    const bnb::QuantMap map = row_map(cfg.algorithm, r);
    if (blockwise) {
      after.absmax[r].resize(bnb::block_count(n, st.block_size));
      bnb::quantize_blockwise(DType::f32, s[r].data(), n, map, st.block_size, after.codes[r].data(),
                              after.absmax[r].data());
    } else {
      float m = 0.0f;
      for (float x : s[r]) m = std::max(m, std::fabs(x));
      after.absmax[r] = {m};
      bnb::kernels::encode_block(bnb::quant_table(map), s[r].data(), n, m, after.codes[r].data());
    }
  }
  if (scale_out) *scale_out = scale;
  return after;
}

inline Snapshot unfused_step(DType d, const bnb::EffectiveConfig& cfg, const bnb::ParamState& st,
                             const Snapshot& before, const std::vector<float>& grad, std::int64_t t,
                             float* scale_out = nullptr) {
  switch (d) {
    case DType::f32: return unfused_step_typed<float>(cfg, st, before, grad, t, scale_out);
    case DType::f16: return unfused_step_typed<bnb::half_t>(cfg, st, before, grad, t, scale_out);
    case DType::bf16: return unfused_step_typed<bnb::bf16_t>(cfg, st, before, grad, t, scale_out);
  }
  return {};
}

/// Number of positions where two float vectors differ bit for bit (NaN == NaN when same bits).
inline std::size_t bit_mismatches(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::max(a.size(), b.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) bad += bnb::kernels::float_bits(a[i]) != bnb::kernels::float_bits(b[i]) ? 1 : 0;
  return bad;
}

inline std::size_t mismatches(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return std::max(a.size(), b.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) bad += a[i] != b[i] ? 1 : 0;
  return bad;
}

/// Asserts that the fused step produced exactly `expected`.
inline void expect_identical(const Snapshot& fused, const Snapshot& expected, int rows) {
  EXPECT_EQ(bit_mismatches(fused.param, expected.param), 0u) << "parameters";
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(mismatches(fused.codes[r], expected.codes[r]), 0u) << "codes of row " << r;
    EXPECT_EQ(bit_mismatches(fused.absmax[r], expected.absmax[r]), 0u) << "absmax of row " << r;
  }
}

}  // namespace step8
