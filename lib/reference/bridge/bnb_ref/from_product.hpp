#pragma once
// Translates the product's vocabulary (algorithm, dtype, effective configuration) into the fp64
// reference's. This header is the only place that knows both: the reference's math includes no
// product code, and the product never includes the reference.
#include "bnb/catalogue.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb_ref/hyper.hpp"
#include "bnb_ref/param_rounding.hpp"

namespace bnb_ref {

inline Algo ref_algo(bnb::Algorithm a) {
  switch (a) {
    case bnb::Algorithm::adam: return Algo::adam;
    case bnb::Algorithm::ademamix: return Algo::ademamix;
    case bnb::Algorithm::momentum: return Algo::momentum;
    case bnb::Algorithm::rmsprop: return Algo::rmsprop;
    case bnb::Algorithm::adagrad: return Algo::adagrad;
    case bnb::Algorithm::lion: return Algo::lion;
    case bnb::Algorithm::lamb: return Algo::lamb;
    case bnb::Algorithm::lars: return Algo::lars;
  }
  return Algo::adam;
}

inline Algo ref_algo(const bnb::EffectiveConfig& c) { return c.reference_form ? Algo::pytorch_lars : ref_algo(c.algorithm); }

/// How the reference stores a parameter of dtype d. `exact_fp32`: fp32 parameters are not
/// rounded at all (the tests measure the fp32 path against exact math); otherwise they round to
/// fp32 like the product (the tool's "fp32 reference").
inline StorageKind ref_storage(bnb::DType d, bool exact_fp32) {
  switch (d) {
    case bnb::DType::f16: return StorageKind::f16;
    case bnb::DType::bf16: return StorageKind::bf16;
    case bnb::DType::f32: break;
  }
  return exact_fp32 ? StorageKind::f64 : StorageKind::f32;
}

inline ParamRoundingKind ref_param_rounding(bnb::ParamRounding m) {
  switch (m) {
    case bnb::ParamRounding::nearest: return ParamRoundingKind::nearest;
    case bnb::ParamRounding::stochastic: return ParamRoundingKind::stochastic;
    case bnb::ParamRounding::compensated: return ParamRoundingKind::compensated;
  }
  return ParamRoundingKind::nearest;
}

/// The kernel hyper-parameters (their meaning after the beta mapping is the same on both sides).
inline RefHyper ref_hyper(const bnb::HyperParams& h) {
  RefHyper r;
  r.lr = h.lr;
  r.beta1 = h.beta1;
  r.beta2 = h.beta2;
  r.beta3 = h.beta3;
  r.alpha = h.alpha;
  r.t_alpha = h.t_alpha;
  r.t_beta3 = h.t_beta3;
  r.eps = h.eps;
  r.weight_decay = h.weight_decay;
  r.max_unorm = h.max_unorm;
  r.skip_zeros = h.skip_zeros;
  return r;
}

/// Everything of an effective configuration the reference uses (adds percentile clipping and
/// the PytorchLARS form's options).
inline RefHyper ref_hyper(const bnb::EffectiveConfig& c) {
  RefHyper r = ref_hyper(c.hyper);
  r.percentile_clipping = c.percentile_clipping;
  r.nesterov = c.nesterov;
  r.dampening = c.dampening;
  return r;
}

}  // namespace bnb_ref
