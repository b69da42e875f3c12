// Renderings of a comparison verdict: a terminal table, a JSON document, and Markdown for a
// pull-request comment. All three say the same things: per entry a status per metric family,
// the metrics that changed, the entries that could not be compared and why, and the exit code.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "compare.hpp"

namespace bnb::app {
namespace {

using Json = nlohmann::json;

constexpr const char* kFamilies[] = {"accuracy", "memory", "nonfinite"};

/// The worst status of the metrics of one family: regressed > improved > same > not compared.
MetricStatus family_status(const EntryVerdict& e, std::string_view family) {
  bool any = false, improved = false, compared = false;
  for (const auto& m : e.metrics) {
    if (m.family != family) continue;
    any = true;
    if (m.status == MetricStatus::regressed) return MetricStatus::regressed;
    if (m.status == MetricStatus::improved) improved = true;
    if (m.status != MetricStatus::not_compared) compared = true;
  }
  if (!any || !compared) return MetricStatus::not_compared;
  return improved ? MetricStatus::improved : MetricStatus::same;
}

std::string time_cell(const TimeVerdict& t) {
  if (t.status == MetricStatus::not_compared) return "-";
  if (t.verdict == SpeedVerdict::roofline_fraction) {
    return fmt::format("{} {:.3f}x tol={:.2f}x", status_name(t.status), t.ratio, 1 + t.tolerance);
  }
  return fmt::format("{} {:.3f}x p={:.2g}", status_name(t.status), t.ratio, t.p_value);
}

/// Whether the time of a matched entry gets a row of its own in the details: a change, a time
/// that could not be judged, or any roofline verdict (its figures are the evidence).
bool time_detailed(const TimeVerdict& t) {
  return t.status == MetricStatus::slower || t.status == MetricStatus::faster || t.status == MetricStatus::ambiguous ||
         t.status == MetricStatus::not_comparable || t.verdict == SpeedVerdict::roofline_fraction;
}

/// The detail row's metric name and values: the medians for raw time, the fractions for roofline.
struct TimeFigures {
  const char* metric;
  double baseline, candidate, change;
};
TimeFigures time_figures(const TimeVerdict& t) {
  if (t.verdict == SpeedVerdict::roofline_fraction) {
    return {"throughput.roofline_fraction", t.baseline_fraction, t.candidate_fraction, t.candidate_fraction / t.baseline_fraction - 1};
  }
  return {"time.ns_per_param_step.median", t.baseline_median, t.candidate_median, t.ratio - 1};
}

/// Matched entries whose speed no verdict judged although time was asked for, with the reason.
std::vector<std::pair<std::string, std::string>> speed_not_judged(const CompareVerdict& v) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!v.options.metrics.time) return out;
  for (const auto& e : v.entries) {
    if (e.match == EntryMatch::matched && e.time.verdict == SpeedVerdict::none && !time_detailed(e.time)) {
      out.emplace_back(e.label, e.time.note);
    }
  }
  return out;
}

std::string family_cell(const EntryVerdict& e, std::string_view family) {
  const MetricStatus s = family_status(e, family);
  return s == MetricStatus::not_compared ? "-" : std::string(status_name(s));
}

std::string entry_outcome(const EntryVerdict& e) {
  if (e.match != EntryMatch::matched) return std::string(match_name(e.match));
  if (e.bits != 0) return "REGRESSED (" + failed_names(e.bits) + ")";
  return "ok";
}

std::string value_text(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : "n/a"; }

std::string change_text(const MetricVerdict& m) {
  if (!m.baseline || !m.candidate) return "";
  if (*m.baseline == 0) return *m.candidate == 0 ? "0" : "new";
  return fmt::format("{:+.3g}%", (*m.candidate / *m.baseline - 1) * 100);
}

bool changed(const MetricVerdict& m) {
  return m.status == MetricStatus::regressed || m.status == MetricStatus::improved;
}

std::string headline(const CompareVerdict& v) {
  std::string s = v.bits == 0 ? "no regression" : "REGRESSION: " + failed_names(v.bits);
  s += fmt::format(" ({} regressed metrics, {} improved", v.regressions, v.improvements);
  if (v.mismatched) s += fmt::format(", {} entries with a different configuration", v.mismatched);
  if (v.unmatched) s += fmt::format(", {} unmatched entries", v.unmatched);
  if (v.not_comparable) s += fmt::format(", time not comparable for {} entries", v.not_comparable);
  if (v.by_roofline) s += fmt::format(", time judged by the roofline fraction for {} entries", v.by_roofline);
  return s + ")";
}

std::string exit_text(const CompareVerdict& v) {
  const int code = compare_exit_code(v);
  if (v.options.mode == CompareMode::report) return fmt::format("exit code 0 (report mode; gate mode would exit {})", v.bits);
  return fmt::format("exit code {}", code);
}

/// Left-aligned columns separated by two spaces.
std::string columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string md_escape(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += "\\|";
    else out += ch;
  }
  return out;
}

}  // namespace

std::string render_compare_table(const CompareVerdict& v) {
  std::string out = fmt::format("baseline:  {}\ncandidate: {}\n{}\n\n", v.baseline_name, v.candidate_name, v.time_note);
  std::vector<std::vector<std::string>> rows = {
      {"label", "speed verdict", "time", "accuracy", "memory", "nonfinite", "verdict"}};
  for (const auto& e : v.entries) {
    if (e.match != EntryMatch::matched) {
      rows.push_back({e.label, "-", "-", "-", "-", "-", entry_outcome(e)});
      continue;
    }
    rows.push_back({e.label, std::string(speed_verdict_name(e.time.verdict)), time_cell(e.time),
                    family_cell(e, "accuracy"), family_cell(e, "memory"), family_cell(e, "nonfinite"),
                    entry_outcome(e)});
  }
  out += columns(rows);

  std::vector<std::vector<std::string>> details = {{"label", "metric", "baseline", "candidate", "change", "status", "rule"}};
  for (const auto& e : v.entries) {
    if (time_detailed(e.time)) {
      const TimeFigures f = time_figures(e.time);
      details.push_back({e.label, f.metric, fmt::format("{:.4g}", f.baseline), fmt::format("{:.4g}", f.candidate),
                         fmt::format("{:+.3g}%", f.change * 100), std::string(status_name(e.time.status)),
                         e.time.note});
    }
    for (const auto& m : e.metrics) {
      if (!changed(m)) continue;
      details.push_back({e.label, m.name, value_text(m.baseline), value_text(m.candidate), change_text(m),
                         std::string(status_name(m.status)), m.note});
    }
  }
  if (details.size() > 1) out += "\nchanged metrics and speed figures:\n" + columns(details);

  std::string notes;
  for (const auto& e : v.entries) {
    if (e.match == EntryMatch::config_mismatch) {
      std::string why;
      for (const auto& m : e.mismatches) why += (why.empty() ? "" : "; ") + m;
      notes += fmt::format("  {}: configuration differs, not compared ({})\n", e.label, why);
    } else if (e.match != EntryMatch::matched) {
      notes += fmt::format("  {}: {}, not compared\n", e.label, match_name(e.match));
    }
  }
  if (!notes.empty()) out += "\nnot compared:\n" + notes;
  std::string unjudged;
  for (const auto& [label, why] : speed_not_judged(v)) unjudged += fmt::format("  {}: {}\n", label, why);
  if (!unjudged.empty()) out += "\nspeed not judged:\n" + unjudged;
  out += fmt::format("\n{}; {}\n", headline(v), exit_text(v));
  return out;
}

Json compare_json(const CompareVerdict& v) {
  Json doc;
  doc["schema_version"] = 1;
  doc["baseline"] = v.baseline_name;
  doc["candidate"] = v.candidate_name;
  doc["mode"] = v.options.mode == CompareMode::gate ? "gate" : "report";
  const CompareMetrics& m = v.options.metrics;
  Json families = Json::array();
  if (m.time) families.push_back("time");
  if (m.accuracy) families.push_back("accuracy");
  if (m.memory) families.push_back("memory");
  if (m.nonfinite) families.push_back("nonfinite");
  doc["metrics"] = families;
  const CompareThresholds& t = v.options.thresholds;
  doc["thresholds"] = {{"time_alpha", t.time_alpha},
                       {"time_min_effect", t.time_min_effect},
                       {"error_rel_tol", t.error_rel_tol},
                       {"error_abs_tol", t.error_abs_tol},
                       {"max_rel_travel", t.max_rel_travel ? Json(*t.max_rel_travel) : Json(nullptr)},
                       {"max_rel_l2", t.max_rel_l2 ? Json(*t.max_rel_l2) : Json(nullptr)},
                       {"rss_rel_tol", t.rss_rel_tol},
                       {"rss_abs_tol", t.rss_abs_tol},
                       {"max_load_change", t.max_load_change},
                       {"max_spread_ratio", t.max_spread_ratio},
                       {"roofline_min_effect", t.roofline_min_effect}};
  doc["force_time"] = v.options.force_time;
  doc["time_compared"] = v.time_compared;
  doc["time_note"] = v.time_note;
  Json ctx = Json::array();
  for (const auto& d : v.context_differences) ctx.push_back({{"field", d.field}, {"baseline", d.baseline}, {"candidate", d.candidate}});
  doc["context_differences"] = ctx;
  Json entries = Json::array();
  for (const auto& e : v.entries) {
    Json je;
    je["label"] = e.label;
    je["match"] = std::string(match_name(e.match));
    je["mismatches"] = e.mismatches;
    Json time;
    time["status"] = std::string(status_name(e.time.status));
    time["verdict"] = std::string(speed_verdict_name(e.time.verdict));
    time["note"] = e.time.note;
    if (e.time.verdict == SpeedVerdict::roofline_fraction) {
      time["baseline_roofline_fraction"] = e.time.baseline_fraction;
      time["candidate_roofline_fraction"] = e.time.candidate_fraction;
      time["tolerance"] = e.time.tolerance;
    }
    if (e.time.status != MetricStatus::not_compared) {
      time["baseline_median"] = e.time.baseline_median;
      time["candidate_median"] = e.time.candidate_median;
      time["ratio"] = e.time.ratio;
      time["p_value"] = e.time.p_value;
      time["baseline_samples"] = e.time.baseline_samples;
      time["candidate_samples"] = e.time.candidate_samples;
    }
    je["time"] = time;
    Json metrics = Json::array();
    for (const auto& mv : e.metrics) {
      metrics.push_back({{"family", mv.family},
                         {"name", mv.name},
                         {"baseline", mv.baseline ? Json(*mv.baseline) : Json(nullptr)},
                         {"candidate", mv.candidate ? Json(*mv.candidate) : Json(nullptr)},
                         {"status", std::string(status_name(mv.status))},
                         {"note", mv.note}});
    }
    je["metrics"] = metrics;
    Json fam;
    for (const char* f : kFamilies) fam[f] = std::string(status_name(family_status(e, f)));
    je["families"] = fam;
    je["bits"] = e.bits;
    je["failed"] = failed_names(e.bits);
    entries.push_back(je);
  }
  doc["entries"] = entries;
  doc["summary"] = {{"regressions", v.regressions},
                    {"improvements", v.improvements},
                    {"mismatched", v.mismatched},
                    {"unmatched", v.unmatched},
                    {"time_not_comparable", v.not_comparable},
                    {"time_by_roofline", v.by_roofline}};
  doc["bits"] = v.bits;
  doc["failed"] = failed_names(v.bits);
  doc["exit_code"] = compare_exit_code(v);
  return doc;
}

std::string render_compare_markdown(const CompareVerdict& v) {
  std::string out = fmt::format("### bnb-bench compare: {} {}\n\n", v.bits == 0 ? ":white_check_mark:" : ":x:",
                                md_escape(headline(v)));
  out += fmt::format("Baseline `{}` vs candidate `{}`. {}. {}.\n\n", v.baseline_name, v.candidate_name,
                     md_escape(v.time_note), exit_text(v));
  out += "| entry | speed verdict | time | accuracy | memory | non-finite | verdict |\n|---|---|---|---|---|---|---|\n";
  for (const auto& e : v.entries) {
    std::string verdict = entry_outcome(e);
    if (e.bits != 0) verdict = "**" + verdict + "**";
    if (e.match != EntryMatch::matched) {
      out += fmt::format("| `{}` | - | - | - | - | - | {} |\n", e.label, verdict);
      continue;
    }
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", e.label, speed_verdict_name(e.time.verdict),
                       time_cell(e.time), family_cell(e, "accuracy"), family_cell(e, "memory"),
                       family_cell(e, "nonfinite"), verdict);
  }
  std::string rows;
  int count = 0;
  for (const auto& e : v.entries) {
    if (time_detailed(e.time)) {
      const TimeFigures f = time_figures(e.time);
      rows += fmt::format("| `{}` | `{}` | {:.4g} | {:.4g} | {:+.3g}% | {} | {} |\n", e.label, f.metric, f.baseline,
                          f.candidate, f.change * 100, status_name(e.time.status), md_escape(e.time.note));
      ++count;
    }
    for (const auto& m : e.metrics) {
      if (!changed(m)) continue;
      rows += fmt::format("| `{}` | `{}` | {} | {} | {} | {} | {} |\n", e.label, m.name, value_text(m.baseline),
                          value_text(m.candidate), change_text(m), status_name(m.status), md_escape(m.note));
      ++count;
    }
  }
  if (count > 0) {
    out += fmt::format("\n<details{}><summary>Changed metrics and speed figures ({})</summary>\n\n", v.bits != 0 ? " open" : "", count);
    out += "| entry | metric | baseline | candidate | change | status | rule |\n|---|---|---|---|---|---|---|\n" + rows;
    out += "\n</details>\n";
  }
  std::string notes;
  for (const auto& e : v.entries) {
    if (e.match == EntryMatch::config_mismatch) {
      std::string why;
      for (const auto& m : e.mismatches) why += (why.empty() ? "" : "; ") + m;
      notes += fmt::format("- `{}`: configuration differs, not compared ({})\n", e.label, md_escape(why));
    } else if (e.match != EntryMatch::matched) {
      notes += fmt::format("- `{}`: {}, not compared\n", e.label, match_name(e.match));
    }
  }
  if (!notes.empty()) out += "\n**Not compared**\n\n" + notes;
  std::string unjudged;
  for (const auto& [label, why] : speed_not_judged(v)) unjudged += fmt::format("- `{}`: {}\n", label, md_escape(why));
  if (!unjudged.empty()) out += "\n**Speed not judged**\n\n" + unjudged;
  return out;
}

std::string render_compare(const CompareVerdict& v, OutputFormat f) {
  switch (f) {
    case OutputFormat::json: return compare_json(v).dump(2) + "\n";
    case OutputFormat::markdown: return render_compare_markdown(v);
    case OutputFormat::table:
    case OutputFormat::csv: break;
  }
  return render_compare_table(v);
}

}  // namespace bnb::app
