#pragma once
// rmsprop (SPEC.md §4.4): L2 decay folded into the gradient, alpha (carried as beta1) decays the
// squared-gradient average; the step divides the decayed gradient.
#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct RMSprop {
  static constexpr int kRows = 1;
  static constexpr bool kRowSigned[kRows] = {true};
  static constexpr int kRowState[kRows] = {1};
  static constexpr ClipRule kClip = ClipRule::param_norm_plus_eps;
  static constexpr bool kMomentStates = true;

  static StepConstants prepare(const HyperParams& h, std::int64_t t) { return base_step_constants(h, t); }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float scale) {
    if (c.has_weight_decay) g = g + c.weight_decay * p;
    if (c.skip_zeros && g == 0.0f) return;
    s[0] = c.beta1 * s[0] + c.one_minus_beta1 * (g * g);
    p = Store::round_result(p - scale * c.lr * g / (sqrtf(s[0]) + c.eps));
  }

  /// (g / (sqrt(v_new) + eps))^2: the update norm when max_unorm is set by an override.
  BNB_HD static float unorm_term(const StepConstants& c, float g, float p, const float* s) {
    if (c.has_weight_decay) g = g + c.weight_decay * p;
    if (c.skip_zeros && g == 0.0f) return 0.0f;
    const float v = c.beta1 * s[0] + c.one_minus_beta1 * (g * g);
    const float r = g / (sqrtf(v) + c.eps);
    return r * r;
  }
};

}  // namespace bnb::kernels
