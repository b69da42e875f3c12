#pragma once
// What limits guarded 8-bit Adam (docs/eight_bit.md, issue 23): a scalar emulation of Adam with
// block-wise 8-bit state and the drop-momentum remedy, in which one ingredient at a time is
// changed: m kept in fp32, v rounded to the code nearest in 1/sqrt(v) instead of in v, or m rounded
// stochastically (unbiased) between its two neighbouring codes. Same rules as SPEC.md §5 otherwise
// (absmax per 256 elements, the dynamic maps, the sign correction of quant_table.hpp), so its
// "as the kernels" variant reproduces the kernels' drop-momentum column. Used by
// underflow_remedies --floor only.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bnb/kernels/quant_table.hpp"
#include "bnb/quantize.hpp"
#include "config.hpp"
#include "tensor_buffer.hpp"
#include "workload.hpp"

namespace bnb::app::underflow_floor {

enum class Variant { as_kernels, fp32_m, v_nearest_in_inverse_sqrt, stochastic_m };

/// The code of y under thresholds th (th[c]: the boundary between codes c and c+1).
inline std::uint8_t code_below(const float* th, float y) {
  int code = 0;
  for (int step = 128; step >= 1; step >>= 1) code += (y >= th[code + step - 1]) ? step : 0;
  return static_cast<std::uint8_t>(code);
}

/// m's code under stochastic rounding: the nearest code, or its neighbour on y's side with the
/// probability of y's distance from the nearest value (never across zero). xorshift: reproducible.
inline std::uint8_t stochastic_code(const kernels::QuantTable& t, float y, std::uint64_t& rng) {
  const std::uint8_t near = kernels::encode_value(t, y);
  const int other = y > t.values[near] ? near + 1 : near - 1;
  if (other < 0 || other > 255 || y == t.values[near]) return near;
  const float a = t.values[near], b = t.values[other];
  if ((a < 0.0f && b > 0.0f) || (a > 0.0f && b < 0.0f)) return near;
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  const float u = static_cast<float>(rng >> 40) / 16777216.0f;
  return u < (y - a) / (b - a) ? static_cast<std::uint8_t>(other) : near;
}

/// The parameters after the config's steps of emulated Adam (betas 0.9/0.999, eps 1e-8, lr).
inline std::vector<TensorBuffer> emulate(const Config& c, const Workload& w, double lr, Variant variant) {
  const kernels::QuantTable& ts = quant_table(QuantMap::signed_dynamic);
  const kernels::QuantTable& tu = quant_table(QuantMap::unsigned_dynamic);
  float v_th[256];
  for (int i = 0; i < 256; ++i) v_th[i] = tu.upper[i];
  if (variant == Variant::v_nearest_in_inverse_sqrt) {
    for (int i = 1; i < 255; ++i) {  // between 0 and the smallest code the table's own boundary
      const float r = 2.0f / (1.0f / std::sqrt(tu.values[i]) + 1.0f / std::sqrt(tu.values[i + 1]));
      v_th[i] = r * r;
    }
  }
  std::uint64_t rng = 0x9E3779B97F4A7C15ull;
  std::vector<TensorBuffer> params;
  std::vector<std::vector<float>> m, v;  // the decoded states (fp32_m: m exact)
  for (std::size_t i = 0; i < w.tensor_count(); ++i) {
    params.push_back(w.initial_param(i));
    m.emplace_back(params.back().numel(), 0.0f);
    v.emplace_back(params.back().numel(), 0.0f);
  }
  for (std::int64_t step = 0; step < c.workload.steps; ++step) {
    const double t = static_cast<double>(step + 1);
    const auto c1 = static_cast<float>(1.0 - std::pow(0.9, t)), c2 = static_cast<float>(std::sqrt(1.0 - std::pow(0.999, t)));
    const float step_size = static_cast<float>(lr) * c2 / c1, eps = 1e-8f * c2;
    for (std::size_t ti = 0; ti < params.size(); ++ti) {
      const std::size_t n = params[ti].numel();
      TensorBuffer grad(DType::f32, n);
      w.gradient(ti, step, params[ti], grad);
      auto* x = static_cast<float*>(params[ti].data());
      const auto* g = static_cast<const float*>(grad.data());
      for (std::size_t b = 0; b < n; b += kDefaultBlockSize) {
        const std::size_t end = std::min(n, b + kDefaultBlockSize);
        float m_max = 0.0f, v_max = 0.0f;
        for (std::size_t e = b; e < end; ++e) {
          m[ti][e] = 0.9f * m[ti][e] + 0.1f * g[e];
          v[ti][e] = 0.999f * v[ti][e] + 0.001f * (g[e] * g[e]);
          x[e] -= step_size * m[ti][e] / (std::sqrt(v[ti][e]) + eps);
          m_max = std::max(m_max, std::fabs(m[ti][e]));
          v_max = std::max(v_max, v[ti][e]);
        }
        for (std::size_t e = b; e < end; ++e) {
          const std::uint8_t vc = v_max == 0.0f ? tu.zero_code : code_below(v_th, v[ti][e] / v_max);
          if (variant != Variant::fp32_m && m_max != 0.0f) {
            const float y = m[ti][e] / m_max;
            const std::uint8_t mc = variant == Variant::stochastic_m ? stochastic_code(ts, y, rng) : kernels::encode_value(ts, y);
            m[ti][e] = kernels::decode_value(ts, mc, m_max);
          }
          if (vc == tu.zero_code && v[ti][e] != 0.0f) m[ti][e] = 0.0f;  // drop momentum
          v[ti][e] = kernels::decode_value(tu, vc, v_max);
        }
      }
    }
  }
  return params;
}

}  // namespace bnb::app::underflow_floor
