#pragma once
// Gates beyond the config's global thresholds (config.hpp GatesConfig): per-label thresholds and
// relative speed gates between two entries of the same run ("8-bit no slower than 32-bit"),
// decided with the noise-aware rule of `compare` (docs/compare.md). Config keys:
//   "gates": {"per_label": [{"labels": "adam-8*", "max_rel_travel": 0.05, "max_rel_l2": 1e-3, "max_ns_per_param_step": 2,
//                            "max_state_bytes_per_param": 2.1, "allow_nonfinite": false}],
//             "relative_speed": [{"entry": "adam-8", "baseline": "adam-32", "max_ratio": 1.0,
//                                 "noise": 0.05}]}
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results.hpp"

namespace bnb::app {

struct LabelGates {
  std::string labels;  // glob over entry labels (glob.hpp)
  std::optional<double> max_ns_per_param_step, max_rel_travel, max_rel_l2, max_state_bytes_per_param, max_step_lr;
  std::optional<bool> allow_nonfinite;
};

/// `entry` fails the speed gate when its median step time exceeds max_ratio x the baseline entry's
/// by more than `noise` AND a Mann-Whitney U test of their samples (alpha 0.01) confirms it.
struct RelativeSpeedGate {
  std::string entry, baseline;
  double max_ratio = 1.0;
  double noise = 0.05;
};

struct ExtraGates {
  std::vector<LabelGates> per_label;
  std::vector<RelativeSpeedGate> relative_speed;
  bool empty() const { return per_label.empty() && relative_speed.empty(); }
};

/// The keys of "gates" that parse_extra_gates reads (for the strict key check of the config).
inline const std::vector<std::string> kExtraGateKeys = {"per_label", "relative_speed"};

/// Reads "per_label" and "relative_speed" of a "gates" object; ConfigError naming the JSON path.
ExtraGates parse_extra_gates(const nlohmann::json& gates, std::string_view path);

/// ConfigError (before any work) when a per-label pattern matches none of `labels` or a relative
/// speed gate names a label that is not among them.
void check_extra_gate_labels(const ExtraGates& g, const std::vector<std::string>& labels);

/// Whether an entry's final parameter error breaks a bound (a non-finite error breaks any bound);
/// false without an error measurement (reference off).
bool exceeds_accuracy_bounds(const EntryResult& e, std::optional<double> max_rel_travel,
                             std::optional<double> max_rel_l2);

/// Whether an 8-bit entry's largest element step (in units of lr, the underflow hazard of
/// docs/eight_bit.md) breaks the bound; false for entries without 8-bit state.
bool exceeds_step_bound(const EntryResult& e, std::optional<double> max_step_lr);

/// Checks labels named by the gates exist in the run (ConfigError otherwise), applies them,
/// ORs the failed bits into each entry's gate_failures and returns their union; `notes` receives
/// one line per failure.
int apply_extra_gates(const ExtraGates& g, RunResult& r, std::vector<std::string>* notes = nullptr);

}  // namespace bnb::app
