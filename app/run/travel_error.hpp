#pragma once
// The accuracy figure that matters to a user: the parameters' error relative to the distance the
// exact (reference) path travelled from the starting point p0,
//   rel_travel = ||p - p_ref|| / ||p_ref - p0||   (all tensors of an entry together).
// rel_l2 divides by ||p_ref|| instead, so after a few small steps it reads tiny however far the
// product has left the exact path; rel_travel reads 1 when the error is as large as the move.
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace bnb::app {

class TravelAccumulator {
 public:
  /// Adds one tensor: the reference's parameters and the parameters at the start.
  void add(const std::vector<double>& reference, const std::vector<double>& start) {
    for (std::size_t i = 0; i < reference.size(); ++i) {
      const double d = reference[i] - start[i];
      travel_sq_ += d * d;
    }
  }
  double travel_norm() const { return std::sqrt(travel_sq_); }
  /// rel_travel of a difference norm ||p - p_ref||: 0 when nothing differs, +Inf when the
  /// parameters differ although the reference has not moved.
  double relative(double difference_norm) const {
    const double travel = travel_norm();
    if (travel > 0) return difference_norm / travel;
    return difference_norm > 0 || std::isnan(difference_norm) ? std::numeric_limits<double>::infinity() : 0.0;
  }

 private:
  double travel_sq_ = 0;
};

}  // namespace bnb::app
