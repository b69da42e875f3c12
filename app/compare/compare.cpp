#include "compare.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"
#include "input_file.hpp"
#include "exit_codes.hpp"

namespace bnb::app {
namespace {

using Json = nlohmann::json;

// Above this many samples per side (or with ties) the normal approximation is used: the exact
// distribution costs O((m n)^2) and the approximation is good to ~1e-3 there.
constexpr std::size_t kExactMaxSamples = 30;
// state_bytes_per_param is a quotient printed as a double: "any growth" ignores the last bits.
constexpr double kPerParamRoundoff = 1e-12;

/// A number read from a results document: absent (not recorded), null (a NaN or Inf written by the
/// JSON library as null), or a finite number.
struct Reading {
  enum Kind { absent, nonfinite, number } kind = absent;
  double value = 0;
};

[[noreturn]] void data_fail(std::string_view doc, std::string_view path, std::string_view message) {
  throw DataError(fmt::format("{}: {}: {}", doc, path, message));
}

std::string type_of(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

/// The value at a '.'-separated path below `root` (nullptr when any part is absent or null).
const Json* find_path(const Json& root, std::string_view path) {
  const Json* node = &root;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key(path.substr(start, dot - start));
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    start = dot + 1;
  }
  return node;
}

class EntryReader {
 public:
  EntryReader(const Json& entry, std::string doc, std::size_t index)
      : entry_(entry), doc_(std::move(doc)), prefix_(fmt::format("entries[{}]", index)) {}

  const Json& json() const { return entry_; }

  Reading number(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    if (v == nullptr) return {};
    if (v->is_null()) return {Reading::nonfinite, 0};
    if (!v->is_number()) data_fail(doc_, fmt::format("{}.{}", prefix_, path), "expected a number, got " + type_of(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d)) return {Reading::nonfinite, 0};
    return {Reading::number, d};
  }

  /// An object-valued field: nullptr when absent or null, DataError when of another type.
  const Json* object(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) data_fail(doc_, fmt::format("{}.{}", prefix_, path), "expected an object, got " + type_of(*v));
    return v;
  }

  std::vector<double> samples(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    std::vector<double> out;
    if (v == nullptr || v->is_null()) return out;
    const std::string where = fmt::format("{}.{}", prefix_, path);
    if (!v->is_array()) data_fail(doc_, where, "expected an array of numbers, got " + type_of(*v));
    for (std::size_t i = 0; i < v->size(); ++i) {
      const Json& s = (*v)[i];
      if (!s.is_number()) data_fail(doc_, fmt::format("{}[{}]", where, i), "expected a number, got " + type_of(s));
      const double d = s.get<double>();
      if (std::isfinite(d)) out.push_back(d);
    }
    return out;
  }

 private:
  const Json& entry_;
  std::string doc_;
  std::string prefix_;
};

/// A recorded value for a message, bounded: the documents are untrusted input.
std::string show(const Json* v) {
  if (v == nullptr) return "absent";
  const std::string s = json_excerpt(*v);
  return v->is_string() ? s.substr(1, s.size() - 2) : s;
}


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

TimeVerdict compare_entry_time(const EntryReader& b, const EntryReader& c, const CompareThresholds& t) {
  const bool b_timed = b.object("time") != nullptr;
  const bool c_timed = c.object("time") != nullptr;
  if (!b_timed || !c_timed) {
    TimeVerdict v;
    v.note = fmt::format("timing off in the {}", !b_timed && !c_timed ? "baseline and the candidate"
                                                 : !b_timed            ? "baseline"
                                                                       : "candidate");
    return v;
  }
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

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Worst status of a family, for the per-entry summary.
void finish_entry(EntryVerdict& v) {
  v.bits = 0;
  for (const auto& m : v.metrics) v.bits |= m.bits;
  if (v.time.status == MetricStatus::slower) v.bits |= kGateSpeed;
}

}  // namespace

std::string_view status_name(MetricStatus s) {
  switch (s) {
    case MetricStatus::same: return "same";
    case MetricStatus::improved: return "improved";
    case MetricStatus::regressed: return "regressed";
    case MetricStatus::faster: return "faster";
    case MetricStatus::slower: return "slower";
    case MetricStatus::ambiguous: return "ambiguous";
    case MetricStatus::not_compared: return "not compared";
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

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return 1.0;
  // Ranks of the pooled samples, ties sharing their mean rank.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(m + n);
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end());
  const std::size_t total = m + n;
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < total;) {
    std::size_t j = i;
    while (j + 1 < total && pooled[j + 1].first == pooled[i].first) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    const double t = static_cast<double>(j - i + 1);
    if (j > i) ties = true;
    tie_term += t * t * t - t;
    for (std::size_t k = i; k <= j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += rank;
    }
    i = j + 1;
  }
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  const double u = rank_sum_a - md * (md + 1) / 2;  // pairs (a_i, b_j) with a_i > b_j, ties count 1/2
  if (!ties && m <= kExactMaxSamples && n <= kExactMaxSamples) {
    // Exact null distribution: ways[i][j][u] = ways[i-1][j][u-j] + ways[i][j-1][u] (the largest of
    // i + j values is either from a, beating all j values of b, or from b).
    const std::size_t umax = m * n;
    std::vector<std::vector<double>> prev(n + 1, std::vector<double>(umax + 1, 0.0));
    for (std::size_t j = 0; j <= n; ++j) prev[j][0] = 1;  // i = 0: U = 0 in one way
    for (std::size_t i = 1; i <= m; ++i) {
      std::vector<std::vector<double>> cur(n + 1, std::vector<double>(umax + 1, 0.0));
      cur[0][0] = 1;
      for (std::size_t j = 1; j <= n; ++j) {
        for (std::size_t k = 0; k <= i * j; ++k) {
          cur[j][k] = (k >= j ? prev[j][k - j] : 0.0) + cur[j - 1][k];
        }
      }
      prev = std::move(cur);
    }
    const std::vector<double>& ways = prev[n];
    double all = 0, below = 0, above = 0;
    const auto u_int = static_cast<std::size_t>(std::llround(u));
    for (std::size_t k = 0; k <= umax; ++k) {
      all += ways[k];
      if (k <= u_int) below += ways[k];
      if (k >= u_int) above += ways[k];
    }
    return std::min(1.0, 2.0 * std::min(below, above) / all);
  }
  const double nn = md + nd;
  const double var = md * nd / 12.0 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (var <= 0) return 1.0;  // every value equal
  const double z = std::max(0.0, std::abs(u - md * nd / 2) - 0.5) / std::sqrt(var);
  return std::erfc(z / std::sqrt(2.0));
}

TimeVerdict compare_time(const std::vector<double>& baseline, const std::vector<double>& candidate,
                         const CompareThresholds& t) {
  TimeVerdict v;
  v.baseline_samples = baseline.size();
  v.candidate_samples = candidate.size();
  if (baseline.empty() || candidate.empty()) {
    v.note = "no time samples recorded";
    return v;
  }
  v.baseline_median = median_of(baseline);
  v.candidate_median = median_of(candidate);
  v.ratio = v.baseline_median > 0 ? v.candidate_median / v.baseline_median : 1.0;
  v.p_value = mann_whitney_p(baseline, candidate);
  const bool significant = v.p_value < t.time_alpha;
  if (std::abs(v.ratio - 1) <= t.time_min_effect) {
    v.status = MetricStatus::same;
    v.note = fmt::format("median change within {:g}%", t.time_min_effect * 100);
  } else if (!significant) {
    v.status = MetricStatus::ambiguous;
    v.note = fmt::format("median changed by {:+.1f}% but p = {:.3g} >= {:g}: within the noise of {} vs {} samples",
                         (v.ratio - 1) * 100, v.p_value, t.time_alpha, v.baseline_samples, v.candidate_samples);
  } else {
    v.status = v.ratio > 1 ? MetricStatus::slower : MetricStatus::faster;
    v.note = fmt::format("median {:+.1f}%, p = {:.3g} < {:g}", (v.ratio - 1) * 100, v.p_value, t.time_alpha);
  }
  return v;
}

void validate_results(const Json& doc, std::string_view name) {
  if (!doc.is_object()) data_fail(name, "(document)", "expected a results object, got " + type_of(doc));
  const auto sv = doc.find("schema_version");
  if (sv == doc.end()) data_fail(name, "schema_version", "missing: not a bnb-bench results document");
  if (!sv->is_number_integer()) data_fail(name, "schema_version", "expected an integer, got " + type_of(*sv));
  if (sv->get<std::int64_t>() != 1) {
    data_fail(name, "schema_version", fmt::format("unsupported version {} (this tool reads version 1)", json_excerpt(*sv)));
  }
  const auto entries = doc.find("entries");
  if (entries == doc.end()) data_fail(name, "entries", "missing");
  if (!entries->is_array()) data_fail(name, "entries", "expected an array, got " + type_of(*entries));
  std::set<std::string> labels;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& e = (*entries)[i];
    const std::string path = fmt::format("entries[{}]", i);
    if (!e.is_object()) data_fail(name, path, "expected an object, got " + type_of(e));
    const auto label = e.find("label");
    if (label == e.end() || !label->is_string()) data_fail(name, path + ".label", "expected a string");
    if (!labels.insert(label->get<std::string>()).second) {
      data_fail(name, path + ".label", fmt::format("duplicate label {}", json_excerpt(*label)));
    }
  }
  for (const char* section : {"machine", "tool", "run"}) {
    const auto s = doc.find(section);
    if (s != doc.end() && !s->is_object() && !s->is_null()) {
      data_fail(name, section, "expected an object, got " + type_of(*s));
    }
  }
}

Json load_results(const std::filesystem::path& file) {
  const std::string text = read_input_file(file, "results file");
  Json doc;
  try {
    doc = parse_json_strict(text);
  } catch (const JsonTextError& e) {
    if (!e.path.empty()) data_fail(file.string(), e.path, e.what());
    throw DataError(fmt::format("{}: not valid JSON at byte {}: {}", file.string(), e.byte, e.what()));
  }
  validate_results(doc, file.string());
  return doc;
}

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
    verdict.time_note = "time not compared: machine contexts differ (" + why + "); --force-time compares anyway";
  }

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
    if (verdict.time_compared) {
      v.time = compare_entry_time(b, c, options.thresholds);
    } else {
      v.time.note = options.metrics.time ? "machine contexts differ" : "excluded by --metrics";
    }
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
    for (const auto& m : e.metrics) {
      if (m.status == MetricStatus::regressed) ++verdict.regressions;
      if (m.status == MetricStatus::improved) ++verdict.improvements;
    }
  }
  return verdict;
}

int compare_exit_code(const CompareVerdict& v) { return v.options.mode == CompareMode::report ? 0 : v.bits; }

}  // namespace bnb::app
