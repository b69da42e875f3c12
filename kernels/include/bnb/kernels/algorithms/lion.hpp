#pragma once
// lion (SPEC.md §4.6): decoupled decay first, then a sign step from the interpolation of momentum
// and gradient (beta1), then the momentum EMA (beta2) — in that order.
#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct Lion {
  static constexpr int kRows = 1;
  static constexpr bool kRowSigned[kRows] = {true};
  static constexpr int kRowState[kRows] = {1};
  static constexpr ClipRule kClip = ClipRule::none;
  static constexpr bool kMomentStates = true;

  static StepConstants prepare(const HyperParams& h, std::int64_t t) { return base_step_constants(h, t); }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float scale) {
    if (skipped(c, g, p)) return;
    if (c.has_weight_decay) p = Store::round(p * c.decay);
    const float mix = c.beta1 * s[0] + c.one_minus_beta1 * g;
    const float sign = static_cast<float>(mix > 0.0f) - static_cast<float>(mix < 0.0f);
    p = Store::round_result(p - scale * c.lr * sign);
    update_states(c, g, p, s);
  }

  // What update() does to the state alone, for a step that needs the new states first (the
  // per-tensor 8-bit pre-pass, kernels/cpu/pre_pass.hpp). The parameter's step reads the old state.
  /// Whether skip_zeros leaves the element as it is.
  BNB_HD static bool skipped(const StepConstants& c, float g, float /*p*/) { return c.skip_zeros && g == 0.0f; }
  BNB_HD static void update_states(const StepConstants& c, float g, float /*p*/, float* s) {
    s[0] = c.beta2 * s[0] + c.one_minus_beta2 * g;
  }

  BNB_HD static float unorm_term(const StepConstants&, float, float, const float*) { return 0.0f; }
};

}  // namespace bnb::kernels
