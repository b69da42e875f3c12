#pragma once
// adam (SPEC.md §4.1): Adam and AdamW, and the core of LAMB. Decoupled weight decay after the
// step; eps enters as eps*c2 so that the step equals PyTorch's lr*m_hat/(sqrt(v_hat)+eps).
#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct Adam {
  static constexpr int kRows = 2;
  static constexpr bool kRowSigned[kRows] = {true, false};  // m, v
  static constexpr int kRowState[kRows] = {1, 2};
  static constexpr ClipRule kClip = ClipRule::none;
  static constexpr bool kMomentStates = true;
  /// update_param ends in the decoupled decay p = Store::round(p) * decay, which nothing after it
  /// reads: a driver may apply it to the rest of the update's result (single_pass_step.hpp).
  static constexpr bool kDecayLast = true;

  static StepConstants prepare(const HyperParams& h, std::int64_t t) { return base_step_constants(h, t); }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float scale) {
    if (skipped(c, g, p)) return;
    update_states(c, g, p, s);
    update_param<Store>(c, p, s, scale);
  }

  // update() in its two halves, for a step that stores the new states before it knows `scale`
  // (the CPU's two-pass clipping step, kernels/cpu/clip_step.hpp).
  /// Whether skip_zeros leaves the element as it is.
  BNB_HD static bool skipped(const StepConstants& c, float g, float /*p*/) { return c.skip_zeros && g == 0.0f; }
  BNB_HD static void update_states(const StepConstants& c, float g, float /*p*/, float* s) {
    s[0] = c.beta1 * s[0] + c.one_minus_beta1 * g;
    s[1] = c.beta2 * s[1] + c.one_minus_beta2 * (g * g);
  }
  /// The new parameter from the new states.
  template <class Store>
  BNB_HD static void update_param(const StepConstants& c, float& p, const float* s, float scale) {
    p = p - scale * c.step_size * s[0] / (sqrtf(s[1]) + c.eps_scaled);
    if (c.has_weight_decay) p = Store::round(p) * c.decay;
    p = Store::round_result(p);
  }

  /// (m_hat / (sqrt(v_hat) + eps))^2 with the new moments: LAMB's update norm (SPEC.md §4.7).
  /// The bias corrections multiply by 1 / (1 - beta^t), as bitsandbytes' 32-bit norm kernel
  /// does (its rounding, and one division per element instead of three: round 22 of
  /// docs/performance.md).
  BNB_HD static float unorm_term(const StepConstants& c, float g, float /*p*/, const float* s) {
    if (c.skip_zeros && g == 0.0f) return 0.0f;
    const float m = c.beta1 * s[0] + c.one_minus_beta1 * g;
    const float v = c.beta2 * s[1] + c.one_minus_beta2 * (g * g);
    const float r = (m * c.inv_c1) / (sqrtf(v * c.inv_c2_squared) + c.eps);
    return r * r;
  }
};

/// lamb (SPEC.md §4.7): adam whose step is scaled by the update-norm clip.
struct Lamb : Adam {
  static constexpr ClipRule kClip = ClipRule::param_norm;
  static constexpr bool kMomentStates = false;
};

}  // namespace bnb::kernels
