#include "bnb/pytorch_lars.hpp"

#include <cmath>
#include <vector>

namespace bnb {

float pytorch_lars_step(const EffectiveConfig& cfg, std::int64_t t, float* param, const float* grad, float* buffer,
                        std::size_t n, const ShardFold* shards) {
  const auto& h = cfg.hyper;
  const float lr = static_cast<float>(h.lr);
  const float wd = static_cast<float>(h.weight_decay);
  const float momentum = static_cast<float>(h.beta1);
  const float one_minus_dampening = static_cast<float>(1.0 - cfg.dampening);
  std::vector<float> update(n);
  std::vector<bool> skipped(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    float d = grad[i];
    if (wd != 0.0f) d = d + wd * param[i];
    if (h.skip_zeros && d == 0.0f) {  // SPEC.md §4.9: left entirely alone, adds 0 to the norm
      skipped[i] = true;
      update[i] = 0.0f;
      continue;
    }
    float u = d;
    if (momentum != 0.0f) {
      buffer[i] = t == 1 ? d : momentum * buffer[i] + one_minus_dampening * d;
      u = cfg.nesterov ? d + momentum * buffer[i] : buffer[i];
    }
    update[i] = u;
  }
  // The norms element by element in order (deterministic), through the shards in shard order.
  double sums[2] = {};  // ||update||^2, ||param||^2 (before the step)
  fold_in_shard_order(shards, sums, [&](std::span<double> v) {
    for (std::size_t i = 0; i < n; ++i) {
      v[1] += static_cast<double>(param[i]) * static_cast<double>(param[i]);
      if (!skipped[i]) v[0] += static_cast<double>(update[i]) * static_cast<double>(update[i]);
    }
  });
  const double update_sq = sums[0], param_sq = sums[1];
  float scale = 1.0f;
  const double max_unorm = h.max_unorm;
  if (max_unorm > 0) {
    const double unorm = std::sqrt(update_sq);
    const double limit = max_unorm * std::sqrt(param_sq);
    if (unorm > limit) scale = static_cast<float>(limit / unorm);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!skipped[i]) param[i] = param[i] - lr * scale * update[i];
  }
  return scale;
}

}  // namespace bnb
