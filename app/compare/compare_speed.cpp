#include "compare_speed.hpp"

#include <fmt/core.h>

#include <optional>
#include <vector>

#include "compare_noise.hpp"
#include "compare_roofline.hpp"

namespace bnb::app {
namespace {

using compare_detail::EntryReader;
using compare_detail::Reading;

std::string timing_off(const EntryReader& b, const EntryReader& c) {
  const bool b_timed = b.object("time") != nullptr;
  const bool c_timed = c.object("time") != nullptr;
  if (b_timed && c_timed) return {};
  return fmt::format("timing off in the {}", !b_timed && !c_timed ? "baseline and the candidate"
                                             : !b_timed            ? "baseline"
                                                                   : "candidate");
}

TimeVerdict raw_time(const EntryReader& b, const EntryReader& c, const CompareThresholds& t) {
  std::vector<double> bs = b.samples("time.ns_per_param_step.samples");
  std::vector<double> cs = c.samples("time.ns_per_param_step.samples");
  // Documents without samples still carry the median: one pseudo-sample, so the effect size rule
  // applies and the rank test reports it cannot decide.
  const Reading bm = b.number("time.ns_per_param_step.median");
  const Reading cm = c.number("time.ns_per_param_step.median");
  if (bs.empty() && bm.kind == Reading::number) bs.push_back(bm.value);
  if (cs.empty() && cm.kind == Reading::number) cs.push_back(cm.value);
  if (bs.empty() || cs.empty()) {
    TimeVerdict v;
    v.note = "no time samples recorded";
    return v;
  }
  return compare_time(bs, cs, t);
}

/// An entry's time spread: iqr / median of its samples (nullopt when not recorded).
std::optional<double> spread_of(const EntryReader& e) {
  const Reading iqr = e.number("time.ns_per_param_step.iqr");
  const Reading median = e.number("time.ns_per_param_step.median");
  if (iqr.kind != Reading::number || median.kind != Reading::number || median.value <= 0) return std::nullopt;
  return iqr.value / median.value;
}

}  // namespace

TimeVerdict judge_entry_speed(const EntryReader& b, const EntryReader& c, const TimeSetting& setting,
                              const CompareThresholds& t) {
  TimeVerdict none;
  if (!setting.wanted) {
    none.note = "excluded by --metrics";
    return none;
  }
  if (std::string off = timing_off(b, c); !off.empty()) {
    none.note = std::move(off);
    return none;
  }
  std::string why;  // why the raw times cannot judge this entry
  TimeVerdict raw;
  if (setting.raw_allowed) {
    raw = raw_time(b, c, t);
    if (raw.verdict != SpeedVerdict::raw_time || setting.forced) return raw;
    why = setting.load_why;
    if (why.empty()) why = spread_incomparability(spread_of(b), spread_of(c), t.max_spread_ratio);
    if (why.empty()) return raw;
  } else {
    why = "machine contexts differ";
  }
  TimeVerdict roofline = compare_roofline(b, c, t);
  if (roofline.verdict == SpeedVerdict::roofline_fraction) {
    roofline.note = fmt::format("raw time not comparable ({}); {}", why, roofline.note);
    return roofline;
  }
  if (!setting.raw_allowed) {
    roofline.status = MetricStatus::not_compared;
    roofline.note = fmt::format("{}; {}", why, roofline.note);
    return roofline;
  }
  raw.status = MetricStatus::not_comparable;
  raw.verdict = SpeedVerdict::none;
  raw.note = fmt::format("not comparable: {} (measured: {}); {}", why, raw.note, roofline.note);
  return raw;
}

}  // namespace bnb::app
