#pragma once
// Timing statistics (DESIGN.md §4): median, min, max and inter-quartile range of the samples.
#include <vector>

#include "results.hpp"

namespace bnb::app {

/// Quantile q in [0, 1] by linear interpolation between order statistics.
double quantile(std::vector<double> values, double q);

/// Fills median/min/max/iqr from `samples` (kept as they were taken, in order).
TimeStats summarize(std::vector<double> samples, std::int64_t steps_per_sample, bool timed_out);

}  // namespace bnb::app
