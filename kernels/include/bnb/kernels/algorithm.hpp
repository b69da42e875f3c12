#pragma once
// The eight update rules of SPEC.md §4 and the scalars they take. Every algorithm header defines
// a struct with the same shape:
//   kId, kRows, kRowSigned[kRows]           state rows (fp32 values per element) and their maps
//   prepare(HyperParams, t) -> StepConstants   host side, once per step (bias corrections etc.)
//   update<Store>(c, g, p, s, scale)         one element: new states in s, new parameter in p
//   unorm_term(c, g, p, s)                   squared contribution to the update norm (LAMB,
//                                            LARS, clipped RMSprop), new states not stored
// so one generic driver per backend runs them all.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "bnb/kernels/hd.hpp"

namespace bnb {

enum class Algorithm : std::uint8_t { adam, ademamix, momentum, rmsprop, adagrad, lion, lamb, lars };
inline constexpr int kAlgorithmCount = 8;

/// "adam", "ademamix", ... — the names SPEC.md §1 uses for the update rules.
constexpr std::string_view algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::adam: return "adam";
    case Algorithm::ademamix: return "ademamix";
    case Algorithm::momentum: return "momentum";
    case Algorithm::rmsprop: return "rmsprop";
    case Algorithm::adagrad: return "adagrad";
    case Algorithm::lion: return "lion";
    case Algorithm::lamb: return "lamb";
    case Algorithm::lars: return "lars";
  }
  return "unknown";
}

/// The effective per-tensor configuration that reaches the kernels (SPEC.md §2 meanings, after
/// the beta mapping: rmsprop's alpha is beta1, momentum's momentum is beta1, ...).
struct HyperParams {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double beta3 = 0.9999;  // ademamix slow EMA
  double alpha = 5.0;     // ademamix mixing weight
  double t_alpha = 0;     // ademamix scheduler horizons; 0 = no scheduler
  double t_beta3 = 0;
  double eps = 1e-8;
  double weight_decay = 0;
  double max_unorm = 0;   // update-norm clipping (lamb, lars, rmsprop); 0 = off
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
  float c2_squared;   // 1 - beta2^t
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
  c.c2_squared = static_cast<float>(c2_squared);
  c.step_size = static_cast<float>(h.lr * std::sqrt(c2_squared) / c1);
  c.eps_scaled = static_cast<float>(h.eps * std::sqrt(c2_squared));
  c.has_weight_decay = h.weight_decay > 0;
  c.skip_zeros = h.skip_zeros;
  c.first_step = t == 1;
  return c;
}

/// The update scale s of SPEC.md §4.7/§4.8 from the update norm U and the parameter norm P.
/// LAMB compares against max_unorm*P; the one-state algorithms (LARS, RMSprop) against
/// max_unorm*P + eps.
BNB_HD float clip_scale(Algorithm a, float unorm, float pnorm, float max_unorm, float eps) {
  if (max_unorm <= 0.0f) return 1.0f;
  const float limit = a == Algorithm::lamb ? max_unorm * pnorm : max_unorm * pnorm + eps;
  return unorm > limit ? limit / unorm : 1.0f;
}

/// Algorithms whose update norm is clipped when max_unorm > 0 (SPEC.md §4.8).
constexpr bool clips_update_norm(Algorithm a) {
  return a == Algorithm::lamb || a == Algorithm::lars || a == Algorithm::rmsprop;
}

/// fp32 state values per element: state1 and state2 rows (ademamix's state1 holds two EMAs).
constexpr int state_rows(Algorithm a) {
  return a == Algorithm::ademamix ? 3 : (a == Algorithm::adam || a == Algorithm::lamb) ? 2 : 1;
}

}  // namespace kernels
}  // namespace bnb
