#pragma once
// ademamix (SPEC.md §4.2): a fast EMA m1 and a slow EMA m2 (both in state1, signed map) mixed
// with weight alpha, second moment nu in state2. The alpha and beta3 schedulers run on the host.
#include <algorithm>
#include <cmath>

#include "bnb/kernels/algorithm.hpp"

namespace bnb::kernels {

struct AdEMAMix {
  static constexpr int kRows = 3;
  static constexpr bool kRowSigned[kRows] = {true, true, false};  // m1, m2, nu
  static constexpr int kRowState[kRows] = {1, 1, 2};             // state1 is [2, n]
  static constexpr ClipRule kClip = ClipRule::none;
  static constexpr bool kMomentStates = true;
  /// update_param ends in the decoupled decay p = Store::round(p) * decay, which nothing after it
  /// reads: a driver may apply it to the rest of the update's result (single_pass_step.hpp).
  static constexpr bool kDecayLast = true;

  static double scheduled_alpha(const HyperParams& h, std::int64_t t) {
    if (h.t_alpha <= 0) return h.alpha;
    return std::min(static_cast<double>(t) * h.alpha / h.t_alpha, h.alpha);
  }

  static double scheduled_beta3(const HyperParams& h, std::int64_t t) {
    if (h.t_beta3 <= 0) return h.beta3;
    const double frac = static_cast<double>(t) / h.t_beta3;
    const double ln1 = std::log(h.beta1);
    const double ln3 = std::log(h.beta3);
    return std::min(std::exp(ln1 * ln3 / ((1.0 - frac) * ln3 + frac * ln1)), h.beta3);
  }

  static StepConstants prepare(const HyperParams& h, std::int64_t t) {
    StepConstants c = base_step_constants(h, t);
    const double beta3 = scheduled_beta3(h, t);
    c.alpha = static_cast<float>(scheduled_alpha(h, t));
    c.beta3 = static_cast<float>(beta3);
    c.one_minus_beta3 = static_cast<float>(1.0 - beta3);
    c.skip_zeros = false;  // SPEC.md §4.9: not honoured by ademamix
    return c;
  }

  template <class Store>
  BNB_HD static void update(const StepConstants& c, float g, float& p, float* s, float scale) {
    update_states(c, g, p, s);
    update_param<Store>(c, p, s, scale);
  }

  // update() in its parts: the new states (all a per-tensor 8-bit pre-pass needs), and the new
  // parameter from them, whose two divisions by per-step constants the CPU may compute without
  // the divider (kernels/cpu/ademamix_lanes.hpp). update_param names the step's numerator and
  // denominator in the order the one-piece expression computes them: with m1 / c1 and
  // sqrt(nu) / c2 passed as call arguments GCC evaluated the root first, and the fp32-state
  // loop it built from that order ran 2-3% slower (results/perf/round8, round9/ademamix.md).
  BNB_HD static bool skipped(const StepConstants&, float, float) { return false; }  // no skip_zeros
  BNB_HD static void update_states(const StepConstants& c, float g, float /*p*/, float* s) {
    s[0] = c.beta1 * s[0] + c.one_minus_beta1 * g;
    s[1] = c.beta3 * s[1] + c.one_minus_beta3 * g;
    s[2] = c.beta2 * s[2] + c.one_minus_beta2 * (g * g);
  }
  template <class Store>
  BNB_HD static void update_param(const StepConstants& c, float& p, const float* s, float /*scale*/) {
    const float numerator = step_numerator(c, s[0] / c.c1, s[1]);
    const float denominator = step_denominator(c, sqrtf(s[2]) / c.c2);
    step_param<Store>(c, p, numerator, denominator);
  }
  /// lr (m1 / c1 + alpha m2), from m1 / c1 and m2.
  BNB_HD static float step_numerator(const StepConstants& c, float m1_hat, float m2) {
    return c.lr * (m1_hat + c.alpha * m2);
  }
  /// sqrt(nu) / c2 + eps, from sqrt(nu) / c2.
  BNB_HD static float step_denominator(const StepConstants& c, float nu_root_hat) { return nu_root_hat + c.eps; }
  /// The new parameter from the step's numerator and denominator.
  template <class Store>
  BNB_HD static void step_param(const StepConstants& c, float& p, float numerator, float denominator) {
    p = p - numerator / denominator;
    if (c.has_weight_decay) p = Store::round(p) * c.decay;
    p = Store::round_result(p);
  }

  BNB_HD static float unorm_term(const StepConstants&, float, float, const float*) { return 0.0f; }
};

}  // namespace bnb::kernels
