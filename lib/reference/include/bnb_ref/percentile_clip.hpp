#pragma once
// Percentile clipping of SPEC.md §6.1, per tensor: a ring of the last 100 squared gradient
// norms; the gradient is scaled down to the norm found at the given percentile of the history.
#include <array>
#include <cstdint>

namespace bnb_ref {

inline constexpr int kGnormHistory = 100;

class RefPercentileClip {
 public:
  /// percentile in [1, 100]; 100 means off (scale always 1, history untouched).
  explicit RefPercentileClip(double percentile) : percentile_(percentile) {}

  bool active() const { return percentile_ < 100.0; }

  /// Records G = Σg² of step t (t == 1 fills every slot, else slot t mod 100) and returns
  /// gnorm_scale = clip/current if current > clip else 1, with current = sqrt(G) and
  /// clip = sqrt(sorted_history[index]); the percentile is used as the index (its integer part).
  double record(std::int64_t t, double sum_squares);

  const std::array<double, kGnormHistory>& history() const { return history_; }
  void set_history(const std::array<double, kGnormHistory>& h) { history_ = h; }

 private:
  double percentile_;
  std::array<double, kGnormHistory> history_{};
};

}  // namespace bnb_ref
