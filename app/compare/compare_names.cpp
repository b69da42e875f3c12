// The names `compare` prints (statuses, matches, failed gate families), the --metrics list and
// the exit code of a verdict.
#include <fmt/core.h>

#include <string>

#include "bnb/errors.hpp"
#include "compare.hpp"
#include "exit_codes.hpp"

namespace bnb::app {

std::string_view status_name(MetricStatus s) {
  switch (s) {
    case MetricStatus::same: return "same";
    case MetricStatus::improved: return "improved";
    case MetricStatus::regressed: return "regressed";
    case MetricStatus::faster: return "faster";
    case MetricStatus::slower: return "slower";
    case MetricStatus::ambiguous: return "ambiguous";
    case MetricStatus::not_comparable: return "not comparable";
    case MetricStatus::not_compared: return "not compared";
  }
  return "?";
}

std::string_view speed_verdict_name(SpeedVerdict v) {
  switch (v) {
    case SpeedVerdict::raw_time: return "raw time";
    case SpeedVerdict::roofline_fraction: return "roofline fraction";
    case SpeedVerdict::none: return "none";
  }
  return "?";
}

std::string_view match_name(EntryMatch m) {
  switch (m) {
    case EntryMatch::matched: return "matched";
    case EntryMatch::config_mismatch: return "configuration differs";
    case EntryMatch::only_in_baseline: return "only in baseline";
    case EntryMatch::only_in_candidate: return "only in candidate";
  }
  return "?";
}

std::string failed_names(int bits) {
  std::string out;
  const std::pair<int, const char*> names[] = {
      {kGateSpeed, "speed"}, {kGateAccuracy, "accuracy"}, {kGateMemory, "memory"}, {kGateNonFinite, "non-finite"}};
  for (const auto& [bit, name] : names) {
    if ((bits & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

CompareMetrics parse_compare_metrics(std::string_view list) {
  CompareMetrics m{false, false, false, false};
  std::size_t start = 0;
  bool any = false;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view item = list.substr(start, comma - start);
    if (item == "all") {
      m = CompareMetrics{};
    } else if (item == "time") {
      m.time = true;
    } else if (item == "accuracy") {
      m.accuracy = true;
    } else if (item == "memory") {
      m.memory = true;
    } else if (item == "nonfinite") {
      m.nonfinite = true;
    } else {
      throw ConfigError(fmt::format("--metrics: unknown metric family '{}' (expected a comma-separated list of "
                                    "time, accuracy, memory, nonfinite, or all)", item));
    }
    any = true;
    start = comma + 1;
  }
  if (!any) throw ConfigError("--metrics: empty list");
  return m;
}

int compare_exit_code(const CompareVerdict& v) { return v.options.mode == CompareMode::report ? 0 : v.bits; }

}  // namespace bnb::app
