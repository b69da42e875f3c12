#include "timing.hpp"

#include <algorithm>
#include <cmath>

namespace bnb::app {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(position));
  const std::size_t upper = std::min(lower + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return values[lower] + (values[upper] - values[lower]) * fraction;
}

TimeStats summarize(std::vector<double> samples, std::int64_t steps_per_sample, bool timed_out) {
  TimeStats t;
  t.steps_per_sample = steps_per_sample;
  t.timed_out = timed_out;
  if (!samples.empty()) {
    t.median = quantile(samples, 0.5);
    t.min = *std::min_element(samples.begin(), samples.end());
    t.max = *std::max_element(samples.begin(), samples.end());
    t.iqr = quantile(samples, 0.75) - quantile(samples, 0.25);
  }
  t.samples = std::move(samples);
  return t;
}

}  // namespace bnb::app
