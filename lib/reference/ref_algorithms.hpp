#pragma once
// The per-algorithm steps of the reference (private to lib/reference). Each function is one
// update rule of SPEC.md §4 over a whole tensor, in double, with `g` already multiplied by
// gnorm_scale and `t.t` already the step being made.
#include <vector>

#include "bnb_ref/hyper.hpp"
#include "bnb_ref/ref_optimizer.hpp"

namespace bnb_ref::detail {

/// §4.1 adam; with `clip` the §4.7 lamb update-norm clip.
ClipOutcome adam_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g, bool clip);
/// §4.2 ademamix with the α and β3 schedulers.
void ademamix_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g);
/// §4.3 momentum; with `clip` the §4.8 lars update-norm clip.
ClipOutcome momentum_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g, bool clip);
/// §4.4 rmsprop, clipped (§4.8 last paragraph) when max_unorm > 0.
ClipOutcome rmsprop_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g);
/// §4.5 adagrad.
void adagrad_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g);
/// §4.6 lion.
void lion_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g);
/// §4.8 PytorchLARS, the plain form (nesterov, dampening).
ClipOutcome pytorch_lars_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g);

}  // namespace bnb_ref::detail
