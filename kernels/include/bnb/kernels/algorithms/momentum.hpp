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
    if (c.has_weight_decay) g = g + c.weight_decay * p;
    if (c.skip_zeros && g == 0.0f) return;
    s[0] = c.first_step ? g : c.beta1 * s[0] + g;
    p = Store::round(p - scale * c.lr * s[0]);
  }

  /// LARS' update norm uses the new buffer computed WITHOUT the weight-decay term (SPEC.md §4.8).
  BNB_HD static float unorm_term(const StepConstants& c, float g, float p, const float* s) {
    if (c.skip_zeros && (c.has_weight_decay ? g + c.weight_decay * p : g) == 0.0f) return 0.0f;
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
