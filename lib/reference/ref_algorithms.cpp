// Plain loops, one per rule of SPEC.md §4, in double. Written for readability, not speed: every
// formula appears as SPEC.md writes it.
#include "ref_algorithms.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "bnb_ref/ademamix_schedule.hpp"
#include "bnb_ref/storage_rounding.hpp"

namespace bnb_ref::detail {
namespace {

double sign_of(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

double sum_of_squares(const std::vector<double>& x) {
  double sum = 0;
  for (double v : x) sum += v * v;
  return sum;
}

/// s of §4.7/§4.8 from U and the limit (max_unorm·P, plus eps for the one-state algorithms).
ClipOutcome clip_outcome(double unorm_sq, double pnorm_sq, double max_unorm, double eps) {
  ClipOutcome c;
  c.unorm = std::sqrt(unorm_sq);
  c.pnorm = std::sqrt(pnorm_sq);
  const double limit = max_unorm * c.pnorm + eps;
  c.update_scale = c.unorm > limit ? limit / c.unorm : 1.0;
  return c;
}

}  // namespace

ClipOutcome adam_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g, bool clip) {
  const std::size_t n = t.p.size();
  std::vector<double>& m = t.s[0];
  std::vector<double>& v = t.s[1];
  const double step = static_cast<double>(t.t);
  const double c1 = 1.0 - std::pow(h.beta1, step);
  const double c2 = std::sqrt(1.0 - std::pow(h.beta2, step));

  ClipOutcome out;
  if (clip && h.max_unorm > 0) {
    // §4.7: U from the new moments (not stored), bias-corrected, with plain eps.
    double unorm_sq = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (h.skip_zeros && g[i] == 0.0) continue;
      const double m_new = h.beta1 * m[i] + (1.0 - h.beta1) * g[i];
      const double v_new = h.beta2 * v[i] + (1.0 - h.beta2) * g[i] * g[i];
      const double m_hat = m_new / c1;
      const double v_hat = v_new / (c2 * c2);
      const double r = m_hat / (std::sqrt(v_hat) + h.eps);
      unorm_sq += r * r;
    }
    out = clip_outcome(unorm_sq, sum_of_squares(t.p), h.max_unorm, 0.0);  // lamb: no eps
  }

  for (std::size_t i = 0; i < n; ++i) {
    if (h.skip_zeros && g[i] == 0.0) continue;
    m[i] = h.beta1 * m[i] + (1.0 - h.beta1) * g[i];
    v[i] = h.beta2 * v[i] + (1.0 - h.beta2) * g[i] * g[i];
    const double update = (h.lr * c2 / c1) * m[i] / (std::sqrt(v[i]) + h.eps * c2);
    t.p[i] = round_to_storage(t.p[i] - out.update_scale * update, t.storage);
    if (h.weight_decay > 0) t.p[i] = round_to_storage(t.p[i] * (1.0 - h.lr * h.weight_decay), t.storage);
  }
  return out;
}

void ademamix_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g) {
  const std::size_t n = t.p.size();
  std::vector<double>& m1 = t.s[0];
  std::vector<double>& m2 = t.s[1];
  std::vector<double>& nu = t.s[2];
  const double step = static_cast<double>(t.t);
  const double c1 = 1.0 - std::pow(h.beta1, step);
  const double c2 = std::sqrt(1.0 - std::pow(h.beta2, step));
  const double alpha = ademamix_alpha(h, step);
  const double beta3 = ademamix_beta3(h, step);
  // skip_zeros is not honoured by ademamix (SPEC.md §4.9).
  for (std::size_t i = 0; i < n; ++i) {
    m1[i] = h.beta1 * m1[i] + (1.0 - h.beta1) * g[i];
    m2[i] = beta3 * m2[i] + (1.0 - beta3) * g[i];
    nu[i] = h.beta2 * nu[i] + (1.0 - h.beta2) * g[i] * g[i];
    const double update = h.lr * (m1[i] / c1 + alpha * m2[i]) / (std::sqrt(nu[i]) / c2 + h.eps);
    t.p[i] = round_to_storage(t.p[i] - update, t.storage);
    if (h.weight_decay > 0) t.p[i] = round_to_storage(t.p[i] * (1.0 - h.lr * h.weight_decay), t.storage);
  }
}

ClipOutcome momentum_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g, bool clip) {
  const std::size_t n = t.p.size();
  std::vector<double>& m = t.s[0];
  const bool first = t.t == 1;
  auto decayed = [&](std::size_t i) { return h.weight_decay > 0 ? g[i] + h.weight_decay * t.p[i] : g[i]; };

  ClipOutcome out;
  if (clip && h.max_unorm > 0) {
    // §4.8: U from the new buffer recomputed WITHOUT the weight-decay term.
    double unorm_sq = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (h.skip_zeros && decayed(i) == 0.0) continue;
      const double m_new = first ? g[i] : h.beta1 * m[i] + g[i];
      unorm_sq += m_new * m_new;
    }
    out = clip_outcome(unorm_sq, sum_of_squares(t.p), h.max_unorm, h.eps);
  }

  for (std::size_t i = 0; i < n; ++i) {
    const double d = decayed(i);
    if (h.skip_zeros && d == 0.0) continue;
    m[i] = first ? d : h.beta1 * m[i] + d;
    t.p[i] = round_to_storage(t.p[i] - out.update_scale * h.lr * m[i], t.storage);
  }
  return out;
}

ClipOutcome rmsprop_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g) {
  const std::size_t n = t.p.size();
  std::vector<double>& v = t.s[0];
  const double alpha = h.beta1;
  auto decayed = [&](std::size_t i) { return h.weight_decay > 0 ? g[i] + h.weight_decay * t.p[i] : g[i]; };

  ClipOutcome out;
  if (h.max_unorm > 0) {
    // §4.8 last paragraph: U = ||g / (sqrt(v_new) + eps)|| with the decayed gradient.
    double unorm_sq = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = decayed(i);
      if (h.skip_zeros && d == 0.0) continue;
      const double v_new = alpha * v[i] + (1.0 - alpha) * d * d;
      const double r = d / (std::sqrt(v_new) + h.eps);
      unorm_sq += r * r;
    }
    out = clip_outcome(unorm_sq, sum_of_squares(t.p), h.max_unorm, h.eps);
  }

  for (std::size_t i = 0; i < n; ++i) {
    const double d = decayed(i);
    if (h.skip_zeros && d == 0.0) continue;
    v[i] = alpha * v[i] + (1.0 - alpha) * d * d;
    t.p[i] = round_to_storage(t.p[i] - out.update_scale * h.lr * d / (std::sqrt(v[i]) + h.eps), t.storage);
  }
  return out;
}

void adagrad_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g) {
  const std::size_t n = t.p.size();
  std::vector<double>& a = t.s[0];
  for (std::size_t i = 0; i < n; ++i) {
    const double d = h.weight_decay > 0 ? g[i] + h.weight_decay * t.p[i] : g[i];
    if (h.skip_zeros && d == 0.0) continue;
    a[i] = a[i] + d * d;
    t.p[i] = round_to_storage(t.p[i] - h.lr * d / (std::sqrt(a[i]) + h.eps), t.storage);  // never scaled
  }
}

void lion_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g) {
  const std::size_t n = t.p.size();
  std::vector<double>& m = t.s[0];
  for (std::size_t i = 0; i < n; ++i) {
    if (h.skip_zeros && g[i] == 0.0) continue;  // lion: tested on the raw gradient
    if (h.weight_decay > 0) t.p[i] = round_to_storage(t.p[i] * (1.0 - h.lr * h.weight_decay), t.storage);
    const double u = sign_of(h.beta1 * m[i] + (1.0 - h.beta1) * g[i]);
    t.p[i] = round_to_storage(t.p[i] - h.lr * u, t.storage);
    m[i] = h.beta2 * m[i] + (1.0 - h.beta2) * g[i];
  }
}

ClipOutcome pytorch_lars_step(RefTensor& t, const RefHyper& h, const std::vector<double>& g) {
  const std::size_t n = t.p.size();
  std::vector<double>& buf = t.s[0];
  const double momentum = h.beta1;
  std::vector<double> update(n, 0.0);
  std::vector<bool> skipped(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const double d = g[i] + h.weight_decay * t.p[i];
    if (h.skip_zeros && d == 0.0) {
      skipped[i] = true;
      continue;
    }
    if (momentum == 0) {  // PyTorch SGD: no buffer without momentum (SPEC.md is silent here)
      update[i] = d;
      continue;
    }
    buf[i] = t.t == 1 ? d : momentum * buf[i] + (1.0 - h.dampening) * d;
    update[i] = h.nesterov ? d + momentum * buf[i] : buf[i];
  }
  ClipOutcome out;
  if (h.max_unorm > 0) out = clip_outcome(sum_of_squares(update), sum_of_squares(t.p), h.max_unorm, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    if (skipped[i]) continue;
    t.p[i] = round_to_storage(t.p[i] - h.lr * out.update_scale * update[i], t.storage);
  }
  return out;
}

}  // namespace bnb_ref::detail
