#include "pairs.hpp"

#include <fmt/format.h>

#include <cmath>

namespace bnb::app {
namespace {

// Arguments that choose the state format rather than the update; a pair may differ in them.
constexpr const char* kFormatArgs[] = {"optim_bits", "min_8bit_size", "block_wise"};
constexpr const char* kFormatFields[] = {"optim_bits", "state_format", "ignored"};

/// The effective configuration without what decides the state format.
nlohmann::json update_identity(const EntryResult& e) {
  nlohmann::json id = {{"algorithm", e.algorithm}, {"paged", e.paged}, {"start_step", e.start_step},
                       {"steps", e.steps}, {"params", e.effective_config}};
  for (auto& [name, param] : id["params"].items()) {
    if (!param.is_object()) continue;
    for (const char* f : kFormatFields) param.erase(f);
    if (param.contains("args") && param["args"].is_object()) {
      for (const char* a : kFormatArgs) param["args"].erase(a);
    }
  }
  return id;
}

/// Per parameter: its state format's name (state_format.hpp).
nlohmann::json formats(const EntryResult& e) {
  nlohmann::json out = nlohmann::json::object();
  if (!e.effective_config.is_object()) return out;
  for (const auto& [name, param] : e.effective_config.items()) {
    out[name] = param.is_object() && param.contains("state_format") ? param["state_format"] : nlohmann::json();
  }
  return out;
}

std::optional<double> ratio(double a, double b) {
  if (!std::isfinite(a) || !std::isfinite(b) || b <= 0) return std::nullopt;
  return a / b;
}

std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  const double pct = fraction * 100;
  return pct >= 10 ? fmt::format("{:.0f}%", pct) : fmt::format("{:.2g}%", pct);  // no exponent from 10% up
}

std::string times(const std::optional<double>& r) { return r ? fmt::format("{:.3g}x", *r) : "-"; }

std::string state_kind(const EntryResult& e) { return fmt::format("{}-bit", e.state_bits); }

}  // namespace

std::vector<StatePair> state_format_pairs(const RunResult& r) {
  std::vector<StatePair> out;
  std::vector<bool> grouped(r.entries.size(), false);
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    if (grouped[i]) continue;
    const nlohmann::json id = update_identity(r.entries[i]);
    std::vector<std::size_t> group;
    for (std::size_t j = i; j < r.entries.size(); ++j) {
      if (!grouped[j] && update_identity(r.entries[j]) == id) {
        group.push_back(j);
        grouped[j] = true;
      }
    }
    std::size_t widest = group.front();
    for (std::size_t k : group) {
      if (r.entries[k].memory.state_bytes > r.entries[widest].memory.state_bytes) widest = k;
    }
    const EntryResult& wide = r.entries[widest];
    for (std::size_t k : group) {
      const EntryResult& narrow = r.entries[k];
      if (k == widest || formats(narrow) == formats(wide)) continue;
      StatePair p;
      p.wide = &wide;
      p.narrow = &narrow;
      p.state_memory_ratio = wide.memory.state_bytes > 0 ? static_cast<double>(narrow.memory.state_bytes) /
                                                               static_cast<double>(wide.memory.state_bytes)
                                                         : 1.0;
      if (narrow.error && wide.error) p.error_ratio = ratio(narrow.error->rel_travel, wide.error->rel_travel);
      if (narrow.time && wide.time) p.time_ratio = ratio(narrow.time->median, wide.time->median);
      out.push_back(p);
    }
  }
  return out;
}

std::vector<std::string> pair_header() {
  return {"entry", "vs", "state memory", "rel_travel", "vs rel_travel", "error ratio", "step time"};
}

std::vector<std::vector<std::string>> pair_rows(const std::vector<StatePair>& pairs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : pairs) {
    auto error = [](const EntryResult& e) { return e.error ? fmt::format("{:.3g}", e.error->rel_travel) : "-"; };
    rows.push_back({p.narrow->label, p.wide->label, percent(p.state_memory_ratio), error(*p.narrow), error(*p.wide),
                    times(p.error_ratio), times(p.time_ratio)});
  }
  return rows;
}

std::string pair_sentence(const StatePair& p) {
  std::string s = fmt::format("{} vs {}: {} state: {} of the state memory", p.narrow->label, p.wide->label,
                              state_kind(*p.narrow), percent(p.state_memory_ratio));
  if (p.narrow->error && p.wide->error) {
    s += fmt::format(", {} off the exact path ({}: {})", percent(p.narrow->error->rel_travel), state_kind(*p.wide),
                     percent(p.wide->error->rel_travel));
  }
  if (p.time_ratio) {
    // Two significant digits without an exponent ("1.6x", "12x", "140x").
    s += *p.time_ratio < 10 ? fmt::format(", {:.2g}x the step time", *p.time_ratio)
                            : fmt::format(", {:.0f}x the step time", *p.time_ratio);
  }
  return s;
}

}  // namespace bnb::app
