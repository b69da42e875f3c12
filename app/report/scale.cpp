#include "scale.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bnb::app::report {
namespace {

// About this many ticks per axis: readable at the figures' sizes.
constexpr double kTargetTicks = 5;

/// The 1, 2 or 5 times a power of ten nearest above span / kTargetTicks.
double nice_step(double span) {
  const double raw = span / kTargetTicks;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw) return m * decade;
  }
  return 10 * decade;
}

}  // namespace

Scale Scale::linear(double lo, double hi, double from, double to) {
  if (!(lo < hi)) {  // one value (or none): a unit-wide domain around it
    const double c = std::isfinite(lo) ? lo : 0;
    lo = c - 0.5;
    hi = c + 0.5;
    if (c >= 0 && c < 0.5) lo = 0;
  }
  const double step = nice_step(hi - lo);
  return Scale(std::floor(lo / step) * step, std::ceil(hi / step) * step, from, to, false, step);
}

Scale Scale::log(double lo, double hi, double from, double to) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1e-12;
  if (!(hi >= lo) || !std::isfinite(hi)) hi = lo;
  double a = std::floor(std::log10(lo));
  double b = std::ceil(std::log10(hi));
  if (b <= a) b = a + 1;
  const double decades_per_tick = std::max(1.0, std::ceil((b - a) / 6.0));
  return Scale(std::pow(10.0, a), std::pow(10.0, b), from, to, true, decades_per_tick);
}

double Scale::operator()(double v) const {
  double f;
  if (std::isnan(v)) {
    f = 1.0;  // non-finite data is drawn at the far edge
  } else if (log_) {
    f = v > 0 ? (std::log10(v) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_)) : 0.0;
  } else {
    f = (v - lo_) / (hi_ - lo_);
  }
  f = std::clamp(f, 0.0, 1.0);
  return from_ + f * (to_ - from_);
}

std::vector<double> Scale::ticks() const {
  std::vector<double> out;
  if (log_) {
    const double a = std::log10(lo_), b = std::log10(hi_);
    for (double e = a; e <= b + 1e-9; e += step_) out.push_back(std::pow(10.0, std::round(e)));
  } else {
    const auto n = static_cast<long>(std::llround((hi_ - lo_) / step_));
    for (long i = 0; i <= n; ++i) out.push_back(lo_ + static_cast<double>(i) * step_);
  }
  return out;
}

std::string Scale::tick_label(double v) {
  if (std::abs(v) < 1e-300) return "0";
  const double mag = std::abs(v);
  if (mag >= 1e-3 && mag < 1e5) return fmt::format("{:g}", std::round(v * 1e6) / 1e6);
  const int e = static_cast<int>(std::floor(std::log10(mag) + 1e-9));
  const double m = v / std::pow(10.0, e);
  if (std::abs(std::abs(m) - 1) < 1e-9) return fmt::format("{}1e{}", v < 0 ? "-" : "", e);
  return fmt::format("{:.2g}e{}", m, e);
}

}  // namespace bnb::app::report
