#pragma once
// Results documents for the tests of `bnb-bench compare`, built in the shape that
// app/output/results_json.cpp writes, and lookups into a verdict.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "compare.hpp"

namespace bnb::app::compare_documents {

using Json = nlohmann::json;

inline Json error_stats(double scale) {
  return {{"max_abs", 4 * scale}, {"mean_abs", scale}, {"rel_l2", 2 * scale}, {"max_rel", 8 * scale}, {"elements", 4096}};
}

/// Samples around `median` with a relative spread of +-`spread` (deterministic, no RNG).
inline std::vector<double> samples_around(double median, double spread, int n) {
  std::vector<double> s;
  for (int i = 0; i < n; ++i) {
    const double u = n == 1 ? 0.0 : 2.0 * i / (n - 1) - 1.0;  // -1 .. 1
    s.push_back(median * (1 + spread * u));
  }
  // Not sorted: the rank test must not depend on the order.
  std::reverse(s.begin() + n / 2, s.end());
  return s;
}

inline Json entry(const std::string& label, int state_bits, double ns, double spread = 0.02, int n = 10) {
  Json e;
  e["label"] = label;
  e["optimizer"] = state_bits == 8 ? "adam8bit" : "adam";
  e["algorithm"] = "adam";
  e["state_bits"] = state_bits;
  e["paged"] = false;
  e["start_step"] = 0;
  e["steps"] = 20;
  e["effective_config"] = {{"w", {{"args", {{"lr", 1e-3}}}, {"optim_bits", state_bits}}}};
  e["warnings"] = Json::array();
  const auto s = samples_around(ns, spread, n);
  e["time"]["ns_per_param_step"] = {{"median", ns}, {"min", ns * (1 - spread)}, {"max", ns * (1 + spread)},
                                    {"iqr", ns * spread}, {"samples", s}, {"steps_per_sample", 4},
                                    {"timed_out", false}};
  e["throughput"] = {{"params_per_s", 1e9 / ns}, {"bytes_per_s", 1e10}, {"roofline_fraction", 0.5}};
  const double per_param = state_bits == 8 ? 2.0078125 : 8.0;
  e["memory"] = {{"state_bytes", static_cast<std::int64_t>(per_param * 4096)},
                 {"state_bytes_per_param", per_param},
                 {"overhead_bytes", 0},
                 {"buffers", Json::object()},
                 {"peak_rss_bytes", 64 << 20},
                 {"paged_bytes", 0},
                 {"resident_state_bytes", 0}};
  const double err = state_bits == 8 ? 1e-3 : 1e-7;
  e["error"] = {{"param", error_stats(err)},
                {"states", {{"state1", error_stats(3 * err)}, {"state2", error_stats(5 * err)}}},
                {"curve", {err, err}}};
  e["nonfinite"] = {{"gradients", 0}, {"params", 0}, {"states", 0}};
  e["gates_failed"] = Json::array();
  return e;
}

inline Json document() {
  Json d;
  d["schema_version"] = 1;
  d["tool"] = {{"version", "0.1.0"}, {"git_revision", "abc"}, {"build_type", "RelWithDebInfo"},
               {"command_line", {"bnb-bench", "run", "configs/ci.json"}}};
  d["machine"] = {{"cpu_model", "Test CPU @ 3 GHz"}, {"logical_cpus", 2}, {"threads", 2}, {"isa_variant", "avx2"}};
  d["run"] = {{"name", "ci"},
              {"seed", 7},
              {"threads", 2},
              {"params", {{{"name", "w"}, {"shape", {64, 64}}, {"dtype", "fp32"}, {"numel", 4096}}}},
              {"workload", {{"kind", "gradients"}, {"steps", 20}, {"distribution", "normal"}, {"scale", 1.0}}},
              {"reference", {{"mode", "drift"}}}};
  d["entries"] = {entry("adam32", 32, 0.40), entry("adam8", 8, 0.30)};
  d["exit_code"] = 0;
  return d;
}

inline CompareVerdict compare(const Json& b, const Json& c, CompareOptions o = {}) { return compare_results(b, c, o); }

inline const EntryVerdict& entry_of(const CompareVerdict& v, const std::string& label) {
  for (const auto& e : v.entries) {
    if (e.label == label) return e;
  }
  throw std::runtime_error("no entry " + label);
}

inline const MetricVerdict* metric_of(const EntryVerdict& e, const std::string& name) {
  for (const auto& m : e.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace bnb::app::compare_documents
