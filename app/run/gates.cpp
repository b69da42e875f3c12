#include "gates.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "bnb/errors.hpp"
#include "compare.hpp"
#include "exit_codes.hpp"
#include "glob.hpp"
#include "json_fields.hpp"

namespace bnb::app {
namespace {

// A relative speed gate claims a difference only at this significance (as `compare` does).
constexpr double kSpeedAlpha = 0.01;

std::optional<double> non_negative_number(const JsonObject& o, std::string_view key) {
  const auto v = o.number(key);
  if (v && !(*v >= 0)) fail(o.path_of(key), fmt::format("must be non-negative, got {}", *v));
  return v;
}

const EntryResult* find_entry(const RunResult& r, const std::string& label) {
  for (const auto& e : r.entries) {
    if (e.label == label) return &e;
  }
  return nullptr;
}

}  // namespace

ExtraGates parse_extra_gates(const nlohmann::json& gates, std::string_view path) {
  ExtraGates g;
  if (!gates.is_object()) return g;
  const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& per_label = gates.contains("per_label") ? gates.at("per_label") : empty;
  const nlohmann::json& relative = gates.contains("relative_speed") ? gates.at("relative_speed") : empty;
  {
    const std::string p = join_path(path, "per_label");
    if (!per_label.is_array()) fail(p, "expected an array of objects, got " + describe(per_label));
    for (std::size_t i = 0; i < per_label.size(); ++i) {
      const JsonObject o(per_label[i], index_path(p, i),
                         {"labels", "max_ns_per_param_step", "max_rel_travel", "max_rel_l2", "max_state_bytes_per_param",
                          "max_step_lr", "allow_nonfinite"});
      LabelGates lg;
      lg.labels = o.required_string("labels");
      lg.max_ns_per_param_step = non_negative_number(o, "max_ns_per_param_step");
      lg.max_rel_travel = non_negative_number(o, "max_rel_travel");
      lg.max_rel_l2 = non_negative_number(o, "max_rel_l2");
      lg.max_step_lr = non_negative_number(o, "max_step_lr");
      lg.max_state_bytes_per_param = non_negative_number(o, "max_state_bytes_per_param");
      lg.allow_nonfinite = o.boolean("allow_nonfinite");
      g.per_label.push_back(std::move(lg));
    }
  }
  {
    const std::string p = join_path(path, "relative_speed");
    if (!relative.is_array()) fail(p, "expected an array of objects, got " + describe(relative));
    for (std::size_t i = 0; i < relative.size(); ++i) {
      const JsonObject o(relative[i], index_path(p, i), {"entry", "baseline", "max_ratio", "noise"});
      RelativeSpeedGate s;
      s.entry = o.required_string("entry");
      s.baseline = o.required_string("baseline");
      if (s.entry == s.baseline) fail(o.path_of("baseline"), "must name another entry than \"entry\"");
      if (auto v = o.number("max_ratio")) {
        if (!(*v > 0)) fail(o.path_of("max_ratio"), fmt::format("must be positive, got {}", *v));
        s.max_ratio = *v;
      }
      if (auto v = non_negative_number(o, "noise")) s.noise = *v;
      g.relative_speed.push_back(std::move(s));
    }
  }
  return g;
}

void check_extra_gate_labels(const ExtraGates& g, const std::vector<std::string>& labels) {
  for (std::size_t k = 0; k < g.per_label.size(); ++k) {
    bool any = false;
    for (const auto& l : labels) any = any || glob_match(g.per_label[k].labels, l);
    if (!any) {
      fail(fmt::format("gates.per_label[{}].labels", k),
           fmt::format("pattern \"{}\" matches no optimizer label", g.per_label[k].labels));
    }
  }
  auto known = [&](const std::string& l) { return std::find(labels.begin(), labels.end(), l) != labels.end(); };
  for (std::size_t k = 0; k < g.relative_speed.size(); ++k) {
    const RelativeSpeedGate& s = g.relative_speed[k];
    if (!known(s.entry)) fail(fmt::format("gates.relative_speed[{}].entry", k), fmt::format("no optimizer labelled \"{}\"", s.entry));
    if (!known(s.baseline)) {
      fail(fmt::format("gates.relative_speed[{}].baseline", k), fmt::format("no optimizer labelled \"{}\"", s.baseline));
    }
  }
}

bool exceeds_accuracy_bounds(const EntryResult& e, std::optional<double> max_rel_travel,
                             std::optional<double> max_rel_l2) {
  if (!e.error) return false;
  return (max_rel_travel && !(e.error->rel_travel <= *max_rel_travel)) ||
         (max_rel_l2 && !(e.error->param.rel_l2 <= *max_rel_l2));
}

bool exceeds_step_bound(const EntryResult& e, std::optional<double> max_step_lr) {
  return max_step_lr && e.quantization && !(e.quantization->max_step_lr <= *max_step_lr);
}

int apply_extra_gates(const ExtraGates& g, RunResult& r, std::vector<std::string>* notes) {
  auto note = [&](std::string line) {
    if (notes) notes->push_back(std::move(line));
  };
  int all = 0;
  for (std::size_t k = 0; k < g.per_label.size(); ++k) {
    const LabelGates& lg = g.per_label[k];
    bool matched = false;
    for (auto& e : r.entries) {
      if (!glob_match(lg.labels, e.label)) continue;
      matched = true;
      int bits = 0;
      if (lg.max_ns_per_param_step && e.time && e.time->median > *lg.max_ns_per_param_step) bits |= kGateSpeed;
      if (exceeds_accuracy_bounds(e, lg.max_rel_travel, lg.max_rel_l2)) bits |= kGateAccuracy;
      if (exceeds_step_bound(e, lg.max_step_lr)) bits |= kGateAccuracy;
      if (lg.max_state_bytes_per_param && e.memory.state_bytes_per_param > *lg.max_state_bytes_per_param) {
        bits |= kGateMemory;
      }
      if (lg.allow_nonfinite && !*lg.allow_nonfinite &&
          (e.nonfinite.gradients || e.nonfinite.params || e.nonfinite.states)) {
        bits |= kGateNonFinite;
      }
      if (bits) note(fmt::format("{}: per-label gate \"{}\" failed ({})", e.label, lg.labels, failed_names(bits)));
      e.gate_failures |= bits;
      all |= bits;
    }
    if (!matched) {
      throw ConfigError(fmt::format("gates.per_label[{}].labels: pattern \"{}\" matches no entry", k, lg.labels));
    }
  }
  for (std::size_t k = 0; k < g.relative_speed.size(); ++k) {
    const RelativeSpeedGate& s = g.relative_speed[k];
    const EntryResult* base = find_entry(r, s.baseline);
    const EntryResult* cand = find_entry(r, s.entry);
    if (!cand) throw ConfigError(fmt::format("gates.relative_speed[{}].entry: no entry labelled \"{}\"", k, s.entry));
    if (!base) throw ConfigError(fmt::format("gates.relative_speed[{}].baseline: no entry labelled \"{}\"", k, s.baseline));
    if (!base->time || !cand->time) continue;  // timing off: nothing to decide
    // Scaling the baseline's samples by max_ratio turns "at most max_ratio x" into "no slower".
    std::vector<double> scaled = base->time->samples;
    for (double& x : scaled) x *= s.max_ratio;
    std::vector<double> samples = cand->time->samples;
    if (scaled.empty()) scaled.push_back(base->time->median * s.max_ratio);
    if (samples.empty()) samples.push_back(cand->time->median);
    CompareThresholds t;
    t.time_alpha = kSpeedAlpha;
    t.time_min_effect = s.noise;
    const TimeVerdict v = compare_time(scaled, samples, t);
    if (v.status != MetricStatus::slower) continue;
    note(fmt::format("{}: {:.3g}x the time of {} (allowed {:g}x, {})", s.entry, v.ratio * s.max_ratio, s.baseline,
                     s.max_ratio, v.note));
    for (auto& e : r.entries) {
      if (e.label == s.entry) e.gate_failures |= kGateSpeed;
    }
    all |= kGateSpeed;
  }
  r.exit_bits |= all;
  return all;
}

}  // namespace bnb::app
