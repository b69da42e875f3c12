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
    if (skipped(c, g, p)) return;
    update_states(c, g, p, s);
    p = Store::round_result(p - scale * c.lr * coupled_decay(c, g, p) / (sqrtf(s[0]) + c.eps));
  }

  // What update() does to the state alone, for a step that needs the new states first (the
  // per-tensor 8-bit pre-pass, kernels/cpu/pre_pass.hpp).
  /// Whether skip_zeros leaves the element as it is (the gradient with its L2 term is zero).
  BNB_HD static bool skipped(const StepConstants& c, float g, float p) {
    return c.skip_zeros && coupled_decay(c, g, p) == 0.0f;
  }
  BNB_HD static void update_states(const StepConstants& c, float g, float p, float* s) {
    s[0] = new_average(c, coupled_decay(c, g, p), s[0]);
  }
  /// The new squared-gradient average from the decayed gradient.
  BNB_HD static float new_average(const StepConstants& c, float g, float v) {
    return c.beta1 * v + c.one_minus_beta1 * (g * g);
  }

  /// (g / (sqrt(v_new) + eps))^2: the update norm when max_unorm is set by an override.
  BNB_HD static float unorm_term(const StepConstants& c, float g, float p, const float* s) {
    if (skipped(c, g, p)) return 0.0f;
    g = coupled_decay(c, g, p);
    const float v = new_average(c, g, s[0]);
    const float r = g / (sqrtf(v) + c.eps);
    return r * r;
  }
};

}  // namespace bnb::kernels
