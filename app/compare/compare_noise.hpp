#pragma once
// When two runs' step times cannot be judged (docs/compare.md, "Comparable time"): the machine
// was busier in one run than in the other, or one run's samples were much noisier than the
// other's. Time is then "not comparable" — said in the verdict, no speed bit — rather than a
// regression caused by the machine instead of the code.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bnb::app {

/// machine.load.per_cpu of a results document (nullopt when not recorded or not a number).
std::optional<double> load_per_cpu(const nlohmann::json& doc);

/// Why the loads keep the times from being compared: both recorded and differing by more than
/// `max_change` per CPU. "" when they do not (or a load is unknown).
std::string load_incomparability(const nlohmann::json& baseline, const nlohmann::json& candidate, double max_change);

/// Why the entries' spreads (iqr / median of the time samples) keep them from being compared:
/// the larger exceeds `max_ratio` times the smaller, spreads below kQuietSpread counting as
/// kQuietSpread. "" when they do not (or a spread is unknown).
std::string spread_incomparability(std::optional<double> baseline_spread, std::optional<double> candidate_spread,
                                   double max_ratio);

/// Spreads below this are all "quiet": a 0.1% vs 0.5% difference says nothing about the machine.
inline constexpr double kQuietSpread = 0.02;

}  // namespace bnb::app
