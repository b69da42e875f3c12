#pragma once
// One tensor optimized by the fp64 reference: parameters and states in double, the step counter,
// the percentile-clipping history, and the clip quantities of the last step.
//
// Usage:
//   bnb_ref::RefOptimizer ref(bnb_ref::Algo::adam, hyper, n, bnb_ref::StorageKind::f16);
//   ref.set_param(p0);                 // float or double values, n of them (not rounded)
//   ref.step(grad);                    // t += 1, then SPEC.md §6.1 and §4 for that t
//   ref.param(), ref.state(0), ref.last_update_scale() ...
// Re-sync (bitsandbytes' per-step 8-bit test, the tool's `resync` mode): set_param / set_state /
// set_step / set_gnorm_history overwrite the reference's view with the product's values between
// steps. Setters take values as they are (no storage rounding); every assignment made by step()
// is rounded to the StorageKind.
//
// Conventions where SPEC.md leaves room (docs/algorithms.md):
//   - a gradient element is first multiplied by gnorm_scale (in double);
//   - G of percentile clipping is Σg² in double over the gradient as given (before scaling);
//   - norm sums (P, U) are plain double sums in element order;
//   - an element skipped by skip_zeros contributes 0 to U but its parameter still counts in P;
//   - lars/rmsprop clip with limit max_unorm·P + eps, lamb and pytorch_lars with max_unorm·P;
//   - max_unorm has no effect on adam, ademamix, momentum, adagrad, lion (SPEC.md §4.8);
//   - pytorch_lars honours skip_zeros like momentum (the zero test on d = g + wd·p);
//   - pytorch_lars with momentum 0 steps with d and keeps no buffer (PyTorch SGD).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bnb_ref/hyper.hpp"
#include "bnb_ref/param_rounding.hpp"
#include "bnb_ref/percentile_clip.hpp"

namespace bnb_ref {

inline constexpr int kMaxRows = 3;

/// Parameters, states and step counter of one tensor: what an algorithm step reads and writes.
struct RefTensor {
  std::vector<double> p;
  std::array<std::vector<double>, kMaxRows> s;
  StorageKind storage = StorageKind::f64;
  std::int64_t t = 0;  // steps done; during a step, the step being made (first = 1)
};

/// The update-norm clip of one step (SPEC.md §4.7/§4.8): U, P and s. unorm = pnorm = 0 and
/// update_scale = 1 when the step does not clip.
struct ClipOutcome {
  double unorm = 0;
  double pnorm = 0;
  double update_scale = 1;
};

class RefOptimizer {
 public:
  RefOptimizer(Algo algo, const RefHyper& hyper, std::size_t n, StorageKind storage = StorageKind::f64);

  Algo algo() const { return algo_; }
  const RefHyper& hyper() const { return hyper_; }
  /// Changes the hyper-parameters from the next step on (per-step overrides); the percentile
  /// history is kept.
  void set_hyper(const RefHyper& hyper);
  std::size_t size() const { return tensor_.p.size(); }
  int rows() const { return state_rows(algo_); }
  StorageKind storage() const { return tensor_.storage; }

  // Setters: exactly size() values; throw std::invalid_argument otherwise (or for a bad row).
  void set_param(std::span<const float> values);
  void set_param(std::span<const double> values);
  void set_state(int row, std::span<const float> values);
  void set_state(int row, std::span<const double> values);
  /// Number of steps already made (the next step uses t = completed + 1).
  void set_step(std::int64_t completed);
  void set_gnorm_history(const std::array<double, kGnormHistory>& history) { clip_.set_history(history); }
  /// How a 16-bit parameter stores each step's result (docs/param_rounding.md; other storage
  /// kinds ignore it): nearest rounds every assignment; stochastic and compensated run the
  /// step with binary32 assignments and store its result with their rule.
  void set_param_rounding(ParamRoundingKind kind, RoundingStream stream);
  /// Compensated: the compensation values (zeros until set or stepped).
  const std::vector<double>& compensation() const { return compensation_; }
  void set_compensation(std::span<const double> values);

  /// One step with the gradient as the product sees it (16-bit gradients: their exact values).
  void step(std::span<const float> grad);
  void step(std::span<const double> grad);

  const std::vector<double>& param() const { return tensor_.p; }
  const std::vector<double>& state(int row) const;
  std::int64_t step_count() const { return tensor_.t; }
  const std::array<double, kGnormHistory>& gnorm_history() const { return clip_.history(); }

  double last_unorm() const { return last_clip_.unorm; }
  double last_pnorm() const { return last_clip_.pnorm; }
  double last_update_scale() const { return last_clip_.update_scale; }
  double last_gnorm_scale() const { return last_gnorm_scale_; }

 private:
  void check_gradient_size(std::size_t n) const;
  void run_step();  // grad_ holds the unscaled gradient
  void run_algorithm();

  Algo algo_;
  RefHyper hyper_;
  RefTensor tensor_;
  RefPercentileClip clip_;
  std::vector<double> grad_;  // the current step's gradient, scaled by gnorm_scale in run_step
  ClipOutcome last_clip_;
  double last_gnorm_scale_ = 1;
  ParamRoundingKind rounding_ = ParamRoundingKind::nearest;
  RoundingStream stream_;
  std::vector<double> compensation_;
};

}  // namespace bnb_ref
