#include "bnb_ref/percentile_clip.hpp"

#include <algorithm>
#include <cmath>

namespace bnb_ref {

double RefPercentileClip::record(std::int64_t t, double sum_squares) {
  if (!active()) return 1.0;
  if (t == 1) {
    history_.fill(sum_squares);
  } else {
    history_[static_cast<std::size_t>(t % kGnormHistory)] = sum_squares;
  }
  std::array<double, kGnormHistory> sorted = history_;
  std::sort(sorted.begin(), sorted.end());
  const auto index = static_cast<std::size_t>(percentile_);  // SPEC.md §6.1: used as an index
  const double clip = std::sqrt(sorted[std::min(index, sorted.size() - 1)]);
  const double current = std::sqrt(sum_squares);
  return current > clip ? clip / current : 1.0;
}

}  // namespace bnb_ref
