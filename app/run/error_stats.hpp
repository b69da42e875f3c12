#pragma once
// Accumulates the difference between product values and reference values into ErrorStats.
#include <cmath>
#include <cstddef>
#include <vector>

#include "results.hpp"

namespace bnb::app {

class ErrorAccumulator {
 public:
  template <class A, class B>
  void add(const A& product, const B& reference) {
    for (std::size_t i = 0; i < product.size(); ++i) add_one(static_cast<double>(product[i]), static_cast<double>(reference[i]));
  }
  void add_one(double x, double ref) {
    const double d = std::fabs(x - ref);
    if (!(d <= max_abs_)) max_abs_ = d;  // NaN wins: a non-finite difference must show
    sum_abs_ += d;
    diff_sq_ += d * d;
    ref_sq_ += ref * ref;
    const double rel = d / std::max(std::fabs(ref), kRelFloor);
    if (!(rel <= max_rel_)) max_rel_ = rel;
    ++count_;
  }
  /// ||x - ref|| over everything added.
  double difference_norm() const { return std::sqrt(diff_sq_); }
  ErrorStats stats() const {
    ErrorStats s;
    s.count = count_;
    if (count_ == 0) return s;
    s.max_abs = max_abs_;
    s.mean_abs = sum_abs_ / static_cast<double>(count_);
    s.rel_l2 = ref_sq_ > 0 ? std::sqrt(diff_sq_ / ref_sq_) : std::sqrt(diff_sq_);
    s.max_rel = max_rel_;
    return s;
  }

 private:
  double max_abs_ = 0, sum_abs_ = 0, diff_sq_ = 0, ref_sq_ = 0, max_rel_ = 0;
  std::size_t count_ = 0;
};

}  // namespace bnb::app
