#pragma once
// What every update rule of SPEC.md §4 shares: the scalars it takes and the shape of its header.
// Every algorithm header (algorithms/*.hpp, listed in algorithms/all.hpp) defines a struct:
//   (kId, its member of the Algorithm enum, is added by the list in algorithms/all.hpp)
//   kRows, kRowSigned[kRows]                 state rows (fp32 values per element) and their maps
//   kRowState[kRows]                         which SPEC.md §9 state (1 or 2) each row belongs to
//   kClip                                    how a set max_unorm clips its update norm (ClipRule)
//   kMomentStates                            its states are moments: 4-bit and fp8 state offered
//   prepare(HyperParams, t) -> StepConstants   host side, once per step (bias corrections etc.)
//   update<Store>(c, g, p, s, scale)         one element: new states in s, new parameter in p,
//                                            rounded to the parameter's type by Store::round
//                                            (a value the update goes on with) and, last,
//                                            Store::round_result (dtype.hpp)
//   unorm_term(c, g, p, s)                   squared contribution to the update norm (the
//                                            algorithms that clip), new states not stored
// so one generic driver per backend runs them all.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "bnb/kernels/hd.hpp"

namespace bnb {


/// How an algorithm's update norm U is clipped when max_unorm > 0 (SPEC.md §4.7/§4.8): not at
/// all, against max_unorm*P (LAMB), or against max_unorm*P + eps (the one-state algorithms).
enum class ClipRule : std::uint8_t { none, param_norm, param_norm_plus_eps };

/// The effective per-tensor configuration that reaches the kernels (SPEC.md §2 meanings, after
/// the beta mapping of the catalogue rows: a decay or momentum argument becomes beta1, ...).
struct HyperParams {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double beta3 = 0.9999;  // slow EMA (two-EMA algorithm)
  double alpha = 5.0;     // slow EMA mixing weight
  double t_alpha = 0;     // alpha and beta3 scheduler horizons; 0 = no scheduler
  double t_beta3 = 0;
  double eps = 1e-8;
  double weight_decay = 0;
  double max_unorm = 0;   // update-norm clipping (algorithms with a ClipRule); 0 = off
  bool skip_zeros = false;
};

/// Per-step fp32 scalars, computed once on the host in double and rounded once. Trivially
/// copyable so CUDA kernels take it by value.
struct StepConstants {
  float lr, beta1, beta2, beta3, alpha;
  float one_minus_beta1, one_minus_beta2, one_minus_beta3;
  float eps, weight_decay;
  float decay;        // 1 - lr*wd (decoupled decay factor)
  float step_size;    // adam: lr*c2/c1
  float eps_scaled;   // adam: eps*c2
  float c1, c2;       // 1 - beta1^t, sqrt(1 - beta2^t)
  float inv_c1, inv_c2_squared;  // 1 / (1 - beta1^t), 1 / (1 - beta2^t): LAMB's norm terms
  bool has_weight_decay, skip_zeros, first_step;
};

namespace kernels {

/// Fields every algorithm fills the same way (host only).
inline StepConstants base_step_constants(const HyperParams& h, std::int64_t t) {
  const double td = static_cast<double>(t);
  const double c1 = 1.0 - std::pow(h.beta1, td);
  const double c2_squared = 1.0 - std::pow(h.beta2, td);
  StepConstants c{};
  c.lr = static_cast<float>(h.lr);
  c.beta1 = static_cast<float>(h.beta1);
  c.beta2 = static_cast<float>(h.beta2);
  c.beta3 = static_cast<float>(h.beta3);
  c.alpha = static_cast<float>(h.alpha);
  c.one_minus_beta1 = static_cast<float>(1.0 - h.beta1);
  c.one_minus_beta2 = static_cast<float>(1.0 - h.beta2);
  c.one_minus_beta3 = static_cast<float>(1.0 - h.beta3);
  c.eps = static_cast<float>(h.eps);
  c.weight_decay = static_cast<float>(h.weight_decay);
  c.decay = static_cast<float>(1.0 - h.lr * h.weight_decay);
  c.c1 = static_cast<float>(c1);
  c.c2 = static_cast<float>(std::sqrt(c2_squared));
  c.inv_c1 = static_cast<float>(1.0 / c1);
  c.inv_c2_squared = static_cast<float>(1.0 / c2_squared);
  c.step_size = static_cast<float>(h.lr * std::sqrt(c2_squared) / c1);
  c.eps_scaled = static_cast<float>(h.eps * std::sqrt(c2_squared));
  c.has_weight_decay = h.weight_decay > 0;
  c.skip_zeros = h.skip_zeros;
  c.first_step = t == 1;
  return c;
}

/// The gradient with coupled (L2) weight decay folded in: momentum's, RMSprop's and Adagrad's.
BNB_HD float coupled_decay(const StepConstants& c, float g, float p) {
  return c.has_weight_decay ? g + c.weight_decay * p : g;
}

/// The update scale s of SPEC.md §4.7/§4.8 from the update norm U and the parameter norm P
/// under an algorithm's clip rule.
BNB_HD float clip_scale(ClipRule rule, float unorm, float pnorm, float max_unorm, float eps) {
  if (rule == ClipRule::none || max_unorm <= 0.0f) return 1.0f;
  const float limit = rule == ClipRule::param_norm ? max_unorm * pnorm : max_unorm * pnorm + eps;
  return unorm > limit ? limit / unorm : 1.0f;
}

}  // namespace kernels
}  // namespace bnb
