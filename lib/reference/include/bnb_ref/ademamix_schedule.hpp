#pragma once
// The AdEMAMix schedulers of SPEC.md §4.2, in double (a horizon of 0 means no scheduler):
//   α_t  = min(t·α / t_alpha, α)
//   β3_t = min(exp(ln β1 · ln β3 / ((1 − t/t_beta3)·ln β3 + (t/t_beta3)·ln β1)), β3)
#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

double ademamix_alpha(const RefHyper& h, double t);
double ademamix_beta3(const RefHyper& h, double t);

}  // namespace bnb_ref
