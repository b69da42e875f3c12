#include "bnb_ref/ademamix_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace bnb_ref {

double ademamix_alpha(const RefHyper& h, double t) {
  if (h.t_alpha == 0) return h.alpha;
  return std::min(t * h.alpha / h.t_alpha, h.alpha);
}

double ademamix_beta3(const RefHyper& h, double t) {
  if (h.t_beta3 == 0) return h.beta3;
  const double ln1 = std::log(h.beta1);
  const double ln3 = std::log(h.beta3);
  const double frac = t / h.t_beta3;
  return std::min(std::exp(ln1 * ln3 / ((1.0 - frac) * ln3 + frac * ln1)), h.beta3);
}

}  // namespace bnb_ref
