#pragma once
// Maps data values to pixel positions along one axis: linear or logarithmic, with "nice"
// domains (whole tick steps, whole decades) and their tick marks.
#include <string>
#include <vector>

namespace bnb::app::report {

class Scale {
 public:
  /// Domain [lo, hi] widened to whole multiples of a 1-2-5 tick step, onto pixels [from, to].
  static Scale linear(double lo, double hi, double from, double to);
  /// Domain widened to whole decades (lo, hi > 0), onto pixels [from, to].
  static Scale log(double lo, double hi, double from, double to);

  /// The pixel position of v, clamped to the range (a value outside the domain sits at its edge).
  double operator()(double v) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  std::vector<double> ticks() const;
  static std::string tick_label(double v);

 private:
  Scale(double lo, double hi, double from, double to, bool log, double step)
      : lo_(lo), hi_(hi), from_(from), to_(to), log_(log), step_(step) {}
  double lo_, hi_, from_, to_;
  bool log_;
  double step_;  // linear: tick step; log: decades per tick
};

}  // namespace bnb::app::report
