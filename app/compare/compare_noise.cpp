#include "compare_noise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bnb::app {

std::optional<double> load_per_cpu(const nlohmann::json& doc) {
  if (!doc.is_object()) return std::nullopt;
  const auto machine = doc.find("machine");
  if (machine == doc.end() || !machine->is_object()) return std::nullopt;
  const auto load = machine->find("load");
  if (load == machine->end() || !load->is_object()) return std::nullopt;
  const auto per_cpu = load->find("per_cpu");
  if (per_cpu == load->end() || !per_cpu->is_number()) return std::nullopt;
  const double v = per_cpu->get<double>();
  return std::isfinite(v) && v >= 0 ? std::optional<double>(v) : std::nullopt;
}

std::string load_incomparability(const nlohmann::json& baseline, const nlohmann::json& candidate, double max_change) {
  const auto b = load_per_cpu(baseline);
  const auto c = load_per_cpu(candidate);
  if (!b || !c || std::abs(*b - *c) <= max_change) return {};
  return fmt::format("machine load {:.2f} vs {:.2f} per CPU (machine.load.per_cpu) differs by more than {:g}", *b, *c,
                     max_change);
}

std::string spread_incomparability(std::optional<double> baseline_spread, std::optional<double> candidate_spread,
                                   double max_ratio) {
  if (!baseline_spread || !candidate_spread) return {};
  const double b = std::max(*baseline_spread, kQuietSpread);
  const double c = std::max(*candidate_spread, kQuietSpread);
  if (std::max(b, c) <= max_ratio * std::min(b, c)) return {};
  return fmt::format("time spread (iqr/median) {:.1f}% vs {:.1f}% differs by more than {:g}x", *baseline_spread * 100,
                     *candidate_spread * 100, max_ratio);
}

}  // namespace bnb::app
