#pragma once
// adagrad (SPEC.md §4.5): L2 decay folded into the gradient, squared gradients accumulated; the
// step is never scaled by the update-norm clip.
#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct Adagrad {
  static constexpr int kRows = 1;
  static constexpr bool kRowSigned[kRows] = {true};
  static constexpr int kRowState[kRows] = {1};
  static constexpr ClipRule kClip = ClipRule::none;
  static constexpr bool kMomentStates = false;

  static StepConstants prepare(const HyperParams& h, std::int64_t t) { return base_step_constants(h, t); }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float /*scale*/) {
    if (skipped(c, g, p)) return;
    update_states(c, g, p, s);
    p = Store::round_result(p - c.lr * coupled_decay(c, g, p) / (sqrtf(s[0]) + c.eps));
  }

  // What update() does to the state alone, for a step that needs the new states first (the
  // per-tensor 8-bit pre-pass, kernels/cpu/pre_pass.hpp).
  /// Whether skip_zeros leaves the element as it is (the gradient with its L2 term is zero).
  BNB_HD static bool skipped(const StepConstants& c, float g, float p) {
    return c.skip_zeros && coupled_decay(c, g, p) == 0.0f;
  }
  BNB_HD static void update_states(const StepConstants& c, float g, float p, float* s) {
    g = coupled_decay(c, g, p);
    s[0] = s[0] + g * g;
  }

  BNB_HD static float unorm_term(const StepConstants&, float, float, const float*) { return 0.0f; }
};

}  // namespace bnb::kernels
