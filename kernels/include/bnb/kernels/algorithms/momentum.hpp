#pragma once
// momentum (SPEC.md §4.3): SGD with momentum, and the core of LARS. Coupled (L2) weight decay
// folded into the gradient; the buffer is seeded with the gradient at t = 1; no dampening.
#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct Momentum {
  static constexpr int kRows = 1;
  static constexpr bool kRowSigned[kRows] = {true};
  static constexpr int kRowState[kRows] = {1};
  static constexpr ClipRule kClip = ClipRule::none;
  static constexpr bool kMomentStates = true;

  static StepConstants prepare(const HyperParams& h, std::int64_t t) { return base_step_constants(h, t); }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float scale) {
    if (skipped(c, g, p)) return;
    update_states(c, g, p, s);
    update_param<Store>(c, p, s, scale);
  }

  // update() in its two halves, for a step that stores the new states before it knows `scale`
  // (the CPU's two-pass clipping step, kernels/cpu/clip_step.hpp).
  /// Whether skip_zeros leaves the element as it is (the gradient with its L2 term is zero).
  BNB_HD static bool skipped(const StepConstants& c, float g, float p) {
    return c.skip_zeros && coupled_decay(c, g, p) == 0.0f;
  }
  BNB_HD static void update_states(const StepConstants& c, float g, float p, float* s) {
    g = coupled_decay(c, g, p);
    s[0] = c.first_step ? g : c.beta1 * s[0] + g;
  }
  /// The new parameter from the new state.
  template <class Store>
  BNB_HD static void update_param(const StepConstants& c, float& p, const float* s, float scale) {
    p = Store::round_result(p - scale * c.lr * s[0]);
  }

  /// LARS' update norm uses the new buffer computed WITHOUT the weight-decay term (SPEC.md §4.8).
  BNB_HD static float unorm_term(const StepConstants& c, float g, float p, const float* s) {
    if (skipped(c, g, p)) return 0.0f;
    const float m = c.first_step ? g : c.beta1 * s[0] + g;
    return m * m;
  }
};

/// lars (SPEC.md §4.8): momentum whose step is scaled by the update-norm clip.
struct Lars : Momentum {
  static constexpr ClipRule kClip = ClipRule::param_norm_plus_eps;
  static constexpr bool kMomentStates = false;
};

}  // namespace bnb::kernels
