#include "bnb/percentile_clipping.hpp"

#include <algorithm>
#include <cmath>

namespace bnb {

float percentile_gnorm_scale(std::vector<float>& history, float sum_squares, std::int64_t t, int percentile) {
  if (t == 1) {
    std::fill(history.begin(), history.end(), sum_squares);
  } else {
    history[static_cast<std::size_t>(t % static_cast<std::int64_t>(history.size()))] = sum_squares;
  }
  std::vector<float> sorted = history;
  std::sort(sorted.begin(), sorted.end());
  const float current = std::sqrt(sum_squares);
  const float clip = std::sqrt(sorted[static_cast<std::size_t>(percentile)]);
  return current > clip ? clip / current : 1.0f;
}

}  // namespace bnb
