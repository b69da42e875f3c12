#include "compare_roofline.hpp"

#include <fmt/core.h>

#include <cmath>
#include <optional>
#include <string>

namespace bnb::app {
namespace {

using compare_detail::EntryReader;
using compare_detail::Reading;

/// What the verdict needs of one run's entry, or why it cannot be had.
struct RooflineFigures {
  double fraction = 0, median = 0;
  double time_spread = 0;   // iqr / median of the step-time samples
  double floor_spread = 0;  // iqr / median of the floor samples
  std::string level;        // floor_memory_level ("" when not recorded)
  std::string missing;      // non-empty: the field that is not recorded
};

RooflineFigures figures_of(const EntryReader& e) {
  RooflineFigures f;
  const Reading fraction = e.number("throughput.roofline_fraction");
  const Reading median = e.number("time.ns_per_param_step.median");
  const Reading iqr = e.number("time.ns_per_param_step.iqr");
  const Reading floor_spread = e.number("throughput.floor_spread");
  if (fraction.kind != Reading::number || fraction.value <= 0) {
    f.missing = "throughput.roofline_fraction";
  } else if (median.kind != Reading::number || median.value <= 0 || iqr.kind != Reading::number) {
    f.missing = "time.ns_per_param_step (median, iqr)";
  } else if (floor_spread.kind != Reading::number) {
    f.missing = "throughput.floor_spread";  // results written before the floors were sampled in the rounds
  } else {
    f.fraction = fraction.value;
    f.median = median.value;
    f.time_spread = iqr.value / median.value;
    f.floor_spread = floor_spread.value;
  }
  if (const auto* level = compare_detail::find_path(e.json(), "throughput.floor_memory_level");
      level != nullptr && level->is_string()) {
    f.level = level->get<std::string>();
  }
  return f;
}

TimeVerdict none(std::string why) {
  TimeVerdict v;
  v.verdict = SpeedVerdict::none;
  v.note = std::move(why);
  return v;
}

}  // namespace

TimeVerdict compare_roofline(const EntryReader& baseline, const EntryReader& candidate, const CompareThresholds& t) {
  const RooflineFigures b = figures_of(baseline);
  const RooflineFigures c = figures_of(candidate);
  if (!b.missing.empty()) return none(fmt::format("no roofline verdict: {} not recorded in the baseline", b.missing));
  if (!c.missing.empty()) return none(fmt::format("no roofline verdict: {} not recorded in the candidate", c.missing));
  for (const auto& [f, who] : {std::pair<const RooflineFigures*, const char*>{&b, "baseline"}, {&c, "candidate"}}) {
    if (f->fraction > kRooflineDefect) {
      return none(fmt::format("no roofline verdict: the {}'s roofline fraction {:.2f} is above {:g} (its floor "
                              "sample was disturbed)",
                              who, f->fraction, kRooflineDefect));
    }
  }
  // A floor in another memory level is another floor: cache and DRAM bandwidths differ by far
  // more than any tolerance.
  if (!b.level.empty() && !c.level.empty() && b.level != c.level) {
    return none(fmt::format("no roofline verdict: the floors lie in different memory levels ({} vs {})", b.level,
                            c.level));
  }
  TimeVerdict v;
  v.verdict = SpeedVerdict::roofline_fraction;
  v.baseline_median = b.median;
  v.candidate_median = c.median;
  v.baseline_fraction = b.fraction;
  v.candidate_fraction = c.fraction;
  v.ratio = b.fraction / c.fraction;
  // Each run's step/floor quotient is uncertain by its time spread and its floor spread; the two
  // runs are independent, so the relative uncertainties add in quadrature.
  const double noise = std::sqrt(b.time_spread * b.time_spread + b.floor_spread * b.floor_spread +
                                 c.time_spread * c.time_spread + c.floor_spread * c.floor_spread);
  v.tolerance = std::max(t.roofline_min_effect, noise);
  const std::string figures =
      fmt::format("roofline fraction {:.3g} vs {:.3g}: {:.3g}x the baseline's time relative to the floor, tolerance "
                  "{:.3g}x (max({:g}, spreads time {:.1f}% / {:.1f}%, floor {:.1f}% / {:.1f}%))",
                  b.fraction, c.fraction, v.ratio, 1 + v.tolerance, t.roofline_min_effect, b.time_spread * 100,
                  c.time_spread * 100, b.floor_spread * 100, c.floor_spread * 100);
  if (v.ratio > 1 + v.tolerance) {
    v.status = MetricStatus::slower;
  } else if (v.ratio < 1 / (1 + v.tolerance)) {
    v.status = MetricStatus::faster;
  } else {
    v.status = MetricStatus::same;
  }
  v.note = figures;
  return v;
}

}  // namespace bnb::app
