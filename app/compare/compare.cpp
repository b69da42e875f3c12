#include "compare.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"
#include "compare_noise.hpp"
#include "compare_speed.hpp"
#include "input_file.hpp"
#include "exit_codes.hpp"
#include "results_reading.hpp"

namespace bnb::app {
namespace {

using namespace compare_detail;

// state_bytes_per_param is a quotient printed as a double: "any growth" ignores the last bits.
constexpr double kPerParamRoundoff = 1e-12;

// ---------------------------------------------------------------------------------------------
// Machine context and configuration matching

struct ContextField {
  const char* section;
  const char* key;
  bool when_both_record = false;  // a field older results files lack: compared only when both have it
};
// What makes step times comparable (DESIGN.md §4): same CPU (model and the kernel variants it
// supports), same thread count, same optimization level. The variant the library picked
// (machine.isa_variant) is the candidate's behaviour, compared, not a context (issue 24).
constexpr ContextField kTimeContext[] = {
    {"machine", "cpu_model"}, {"machine", "isa_supported", true}, {"machine", "threads"}, {"tool", "build_type"}};

/// "; the candidate ran the 'scalar' kernels, the baseline 'avx2' (below the widest its machine
/// supports, 'avx2')" when the two runs picked different variants, else "".
std::string isa_behaviour_note(const Json& baseline, const Json& candidate) {
  const Json* vb = find_path(baseline, "machine.isa_variant");
  const Json* vc = find_path(candidate, "machine.isa_variant");
  if (vb == nullptr || vc == nullptr || *vb == *vc) return {};
  std::string note = fmt::format("; the candidate ran the '{}' kernels, the baseline '{}'", show(vc), show(vb));
  const Json* supported = find_path(candidate, "machine.isa_supported");
  if (supported != nullptr && supported->is_array() && !supported->empty() && supported->back() != *vc) {
    note += fmt::format(" (below the widest its machine supports, '{}')", show(&supported->back()));
  }
  return note;
}

std::vector<ContextDifference> context_differences(const Json& a, const Json& b) {
  std::vector<ContextDifference> out;
  for (const auto& f : kTimeContext) {
    const Json* va = find_path(a, std::string(f.section) + "." + f.key);
    const Json* vb = find_path(b, std::string(f.section) + "." + f.key);
    if (f.when_both_record && (va == nullptr || vb == nullptr)) continue;
    const bool same = (va == nullptr && vb == nullptr) || (va != nullptr && vb != nullptr && *va == *vb);
    if (!same) out.push_back({std::string(f.section) + "." + f.key, show(va), show(vb)});
  }
  return out;
}

// The run-level settings that make two runs' numbers comparable at all; compared when both
// documents record them.
constexpr const char* kRunIdentity[] = {"seed", "workload", "params", "reference", "device"};
// The entry-level settings; an entry whose configuration differs is reported, not compared.
constexpr const char* kEntryIdentity[] = {"optimizer", "algorithm", "state_bits", "paged", "start_step", "steps"};

/// A replayed trace is identified by its file name: the directory differs between checkouts.
Json comparable_run_value(const char* key, const Json& v) {
  if (std::string_view(key) != "workload" || !v.is_object() || !v.contains("trace") || !v["trace"].is_string()) return v;
  Json copy = v;
  copy["trace"] = std::filesystem::path(v["trace"].get<std::string>()).filename().string();
  return copy;
}

std::vector<std::string> run_mismatches(const Json& a, const Json& b) {
  std::vector<std::string> out;
  for (const char* key : kRunIdentity) {
    const Json* va = find_path(a, std::string("run.") + key);
    const Json* vb = find_path(b, std::string("run.") + key);
    if (va != nullptr && vb != nullptr && comparable_run_value(key, *va) != comparable_run_value(key, *vb)) {
      std::string sa = show(va), sb = show(vb);
      if (sa.size() + sb.size() > 120) {
        out.push_back(fmt::format("run.{} differs", key));
      } else {
        out.push_back(fmt::format("run.{}: {} vs {}", key, sa, sb));
      }
    }
  }
  return out;
}

std::vector<std::string> entry_mismatches(const Json& a, const Json& b) {
  std::vector<std::string> out;
  for (const char* key : kEntryIdentity) {
    const Json* va = find_path(a, key);
    const Json* vb = find_path(b, key);
    if (va != nullptr && vb != nullptr && *va != *vb) out.push_back(fmt::format("{}: {} vs {}", key, show(va), show(vb)));
  }
  // Hyper-parameters and overrides as resolved by the run (defaults filled in).
  const Json* ea = find_path(a, "effective_config");
  const Json* eb = find_path(b, "effective_config");
  if (ea != nullptr && eb != nullptr && !ea->is_null() && !eb->is_null() && *ea != *eb) {
    const Json patch = Json::diff(*ea, *eb);
    std::string where = patch.empty() ? "" : patch.front().value("path", "");
    out.push_back(fmt::format("effective_config differs at {}", where.empty() ? "/" : where));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metric rules

MetricVerdict compare_error(std::string name, const Reading& b, const Reading& c, const CompareOptions& o) {
  const CompareThresholds& t = o.thresholds;
  MetricVerdict m{"accuracy", std::move(name), {}, {}, MetricStatus::same, 0, {}};
  if (b.kind == Reading::number) m.baseline = b.value;
  if (c.kind == Reading::number) m.candidate = c.value;
  if (b.kind == Reading::absent || c.kind == Reading::absent) {
    m.status = MetricStatus::not_compared;
    m.note = fmt::format("not recorded in the {}", b.kind == Reading::absent ? "baseline" : "candidate");
    return m;
  }
  if (c.kind == Reading::nonfinite) {
    if (b.kind == Reading::nonfinite) {
      m.note = "non-finite in both";
      return m;
    }
    m.family = "nonfinite";
    if (!o.metrics.nonfinite) {
      m.status = MetricStatus::not_compared;
      m.note = "new non-finite value (non-finite metrics not compared)";
      return m;
    }
    m.status = MetricStatus::regressed;
    m.bits = kGateNonFinite;
    m.note = "new non-finite value";
    return m;
  }
  if (b.kind == Reading::nonfinite) {
    m.status = MetricStatus::improved;
    m.note = "finite again (baseline was non-finite)";
    return m;
  }
  const double tol = std::max(t.error_rel_tol * std::abs(b.value), t.error_abs_tol);
  if (c.value > b.value + tol) {
    m.status = MetricStatus::regressed;
    m.bits = kGateAccuracy;
    m.note = fmt::format("grew by more than max({} x baseline, {})", t.error_rel_tol, t.error_abs_tol);
  } else if (c.value < b.value - tol) {
    m.status = MetricStatus::improved;
  }
  return m;
}

MetricVerdict compare_count(std::string name, const Reading& b, const Reading& c) {
  MetricVerdict m{"nonfinite", std::move(name), {}, {}, MetricStatus::same, 0, {}};
  if (b.kind == Reading::number) m.baseline = b.value;
  if (c.kind == Reading::number) m.candidate = c.value;
  if (b.kind != Reading::number || c.kind != Reading::number) {
    m.status = MetricStatus::not_compared;
    m.note = "not recorded in both";
  } else if (c.value > b.value) {
    m.status = MetricStatus::regressed;
    m.bits = kGateNonFinite;
    m.note = "more non-finite values than the baseline";
  } else if (c.value < b.value) {
    m.status = MetricStatus::improved;
  }
  return m;
}

/// Memory grows when candidate - baseline > max(rel * baseline, abs).
MetricVerdict compare_memory(std::string name, const Reading& b, const Reading& c, double rel, double abs,
                             std::string rule) {
  MetricVerdict m{"memory", std::move(name), {}, {}, MetricStatus::same, 0, {}};
  if (b.kind == Reading::number) m.baseline = b.value;
  if (c.kind == Reading::number) m.candidate = c.value;
  if (b.kind != Reading::number || c.kind != Reading::number) {
    m.status = MetricStatus::not_compared;
    m.note = "not recorded in both";
    return m;
  }
  const double allowance = std::max(rel * std::abs(b.value), abs);
  if (c.value - b.value > allowance) {
    m.status = MetricStatus::regressed;
    m.bits = kGateMemory;
    m.note = std::move(rule);
  } else if (b.value - c.value > allowance) {
    m.status = MetricStatus::improved;
  }
  return m;
}

std::set<std::string> state_names(const EntryReader& a, const EntryReader& b) {
  std::set<std::string> names;
  for (const EntryReader* r : {&a, &b}) {
    if (const Json* s = r->object("error.states")) {
      for (auto it = s->begin(); it != s->end(); ++it) names.insert(it.key());
    }
  }
  return names;
}

constexpr const char* kErrorFields[] = {"max_abs", "mean_abs", "rel_l2", "max_rel"};

void compare_accuracy(const EntryReader& b, const EntryReader& c, const CompareOptions& o, EntryVerdict& v) {
  const bool b_has = b.object("error") != nullptr;
  const bool c_has = c.object("error") != nullptr;
  if (!b_has || !c_has) {
    if (b_has || c_has) {
      v.metrics.push_back({"accuracy", "error", {}, {}, MetricStatus::not_compared, 0,
                           fmt::format("no error measurement in the {} (reference off)", b_has ? "candidate" : "baseline")});
    }
    return;
  }
  std::vector<std::string> paths = {"error.param.rel_travel"};  // the parameters' error relative to their travel
  std::vector<std::string> groups = {"error.param"};
  for (const auto& s : state_names(b, c)) groups.push_back("error.states." + s);
  for (const auto& g : groups) {
    for (const char* f : kErrorFields) paths.push_back(g + "." + f);
  }
  for (const auto& path : paths) {
    const Reading br = b.number(path), cr = c.number(path);
    if (br.kind == Reading::absent && cr.kind == Reading::absent) continue;  // e.g. rel_travel in older files
    MetricVerdict m = compare_error(path, br, cr, o);
    if (m.family == "accuracy" && !o.metrics.accuracy) continue;
    v.metrics.push_back(std::move(m));
  }
  const std::pair<const char*, std::optional<double>> bounds[] = {
      {"error.param.rel_travel", o.thresholds.max_rel_travel}, {"error.param.rel_l2", o.thresholds.max_rel_l2}};
  for (const auto& [path, bound] : bounds) {
    if (!o.metrics.accuracy || !bound) continue;
    const Reading r = c.number(path);
    if (r.kind == Reading::number && r.value > *bound) {
      MetricVerdict m{"accuracy", std::string(path) + " (bound)", {}, r.value, MetricStatus::regressed, kGateAccuracy,
                      fmt::format("above the absolute bound {}", *bound)};
      v.metrics.push_back(std::move(m));
    }
  }
}

void compare_nonfinite_counts(const EntryReader& b, const EntryReader& c, EntryVerdict& v) {
  for (const char* f : {"gradients", "params", "states"}) {
    const std::string path = std::string("nonfinite.") + f;
    v.metrics.push_back(compare_count(path, b.number(path), c.number(path)));
  }
}

void compare_memory_fields(const EntryReader& b, const EntryReader& c, const CompareThresholds& t, EntryVerdict& v) {
  v.metrics.push_back(compare_memory("memory.state_bytes", b.number("memory.state_bytes"),
                                     c.number("memory.state_bytes"), 0, 0, "state bytes grew (any growth)"));
  v.metrics.push_back(compare_memory("memory.state_bytes_per_param", b.number("memory.state_bytes_per_param"),
                                     c.number("memory.state_bytes_per_param"), kPerParamRoundoff, 0,
                                     "state bytes per parameter grew (any growth)"));
  v.metrics.push_back(compare_memory("memory.peak_rss_bytes", b.number("memory.peak_rss_bytes"),
                                     c.number("memory.peak_rss_bytes"), t.rss_rel_tol, t.rss_abs_tol,
                                     fmt::format("peak RSS grew by more than max({:g}%, {:g} MiB)", t.rss_rel_tol * 100,
                                                 t.rss_abs_tol / (1024.0 * 1024.0))));
}

/// Worst status of a family, for the per-entry summary.
void finish_entry(EntryVerdict& v) {
  v.bits = 0;
  for (const auto& m : v.metrics) v.bits |= m.bits;
  if (v.time.status == MetricStatus::slower) v.bits |= kGateSpeed;
}

}  // namespace

CompareVerdict compare_results(const Json& baseline, const Json& candidate, const CompareOptions& options,
                               std::string baseline_name, std::string candidate_name) {
  validate_results(baseline, baseline_name);
  validate_results(candidate, candidate_name);
  CompareVerdict verdict;
  verdict.baseline_name = std::move(baseline_name);
  verdict.candidate_name = std::move(candidate_name);
  verdict.options = options;
  verdict.context_differences = context_differences(baseline, candidate);

  if (!options.metrics.time) {
    verdict.time_note = "time not compared (--metrics excludes time)";
  } else if (verdict.context_differences.empty()) {
    verdict.time_compared = true;
    verdict.time_note = "time compared: machine contexts match" + isa_behaviour_note(baseline, candidate);
  } else if (options.force_time) {
    verdict.time_compared = true;
    verdict.time_note = "time compared although the machine contexts differ (--force-time)";
  } else {
    std::string why;
    for (const auto& d : verdict.context_differences) {
      if (!why.empty()) why += "; ";
      why += fmt::format("{} '{}' vs '{}'", d.field, d.baseline, d.candidate);
    }
    verdict.time_note = "time not compared: machine contexts differ (" + why +
                        "); entries judged by their roofline fraction where both runs record it; --force-time "
                        "compares raw times";
  }

  const std::string load_why =
      options.force_time ? std::string() : load_incomparability(baseline, candidate, options.thresholds.max_load_change);
  if (verdict.time_compared && !load_why.empty()) {
    verdict.time_note = "time not comparable: " + load_why +
                        "; entries judged by their roofline fraction where both runs record it; --force-time "
                        "compares raw times";
  }
  const TimeSetting time_setting{options.metrics.time, verdict.time_compared, options.force_time, load_why};
  const std::vector<std::string> run_diff = run_mismatches(baseline, candidate);
  const Json& b_entries = baseline["entries"];
  const Json& c_entries = candidate["entries"];
  std::map<std::string, std::size_t> c_index;
  for (std::size_t i = 0; i < c_entries.size(); ++i) c_index[c_entries[i]["label"].get<std::string>()] = i;
  std::set<std::string> seen;

  for (std::size_t i = 0; i < b_entries.size(); ++i) {
    EntryVerdict v;
    v.label = b_entries[i]["label"].get<std::string>();
    const auto it = c_index.find(v.label);
    if (it == c_index.end()) {
      v.match = EntryMatch::only_in_baseline;
      v.time.note = "entry missing from the candidate";
      verdict.entries.push_back(std::move(v));
      continue;
    }
    seen.insert(v.label);
    const EntryReader b(b_entries[i], verdict.baseline_name, i);
    const EntryReader c(c_entries[it->second], verdict.candidate_name, it->second);
    v.mismatches = run_diff;
    for (auto& m : entry_mismatches(b.json(), c.json())) v.mismatches.push_back(std::move(m));
    if (!v.mismatches.empty()) {
      v.match = EntryMatch::config_mismatch;
      v.time.note = "configuration differs";
      verdict.entries.push_back(std::move(v));
      continue;
    }
    v.time = judge_entry_speed(b, c, time_setting, options.thresholds);
    compare_accuracy(b, c, options, v);
    if (options.metrics.nonfinite) compare_nonfinite_counts(b, c, v);
    if (options.metrics.memory) compare_memory_fields(b, c, options.thresholds, v);
    finish_entry(v);
    verdict.entries.push_back(std::move(v));
  }
  for (std::size_t i = 0; i < c_entries.size(); ++i) {
    std::string label = c_entries[i]["label"].get<std::string>();
    if (seen.count(label) != 0) continue;
    EntryVerdict v;
    v.label = std::move(label);
    v.match = EntryMatch::only_in_candidate;
    v.time.note = "new entry: no baseline";
    verdict.entries.push_back(std::move(v));
  }

  for (const auto& e : verdict.entries) {
    verdict.bits |= e.bits;
    if (e.match == EntryMatch::only_in_baseline || e.match == EntryMatch::only_in_candidate) ++verdict.unmatched;
    if (e.match == EntryMatch::config_mismatch) ++verdict.mismatched;
    if (e.time.status == MetricStatus::slower) ++verdict.regressions;
    if (e.time.status == MetricStatus::faster) ++verdict.improvements;
    if (e.time.status == MetricStatus::not_comparable) ++verdict.not_comparable;
    if (e.time.verdict == SpeedVerdict::roofline_fraction) ++verdict.by_roofline;
    for (const auto& m : e.metrics) {
      if (m.status == MetricStatus::regressed) ++verdict.regressions;
      if (m.status == MetricStatus::improved) ++verdict.improvements;
    }
  }
  return verdict;
}

}  // namespace bnb::app
