#pragma once
// `bnb-bench compare`: the rules that turn two results documents (DESIGN.md §3.2) into a verdict
// per optimizer entry and metric, and the exit-code bit mask of DESIGN.md §3. Pure functions over
// parsed JSON; the rules are stated in docs/compare.md.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output_format.hpp"

namespace bnb::app {

/// Which families of metrics take part in the verdict.
struct CompareMetrics {
  bool time = true;
  bool accuracy = true;
  bool memory = true;
  bool nonfinite = true;
};

/// Parses "time,accuracy,memory,nonfinite" (any subset, or "all"); throws ConfigError.
CompareMetrics parse_compare_metrics(std::string_view list);

/// The thresholds of the comparison (defaults justified in docs/compare.md).
struct CompareThresholds {
  // Time: a change counts when the rank test is significant AND the medians differ by more than
  // the minimum effect.
  double time_alpha = 0.01;       // two-sided significance of the Mann-Whitney U test
  double time_min_effect = 0.05;  // relative change of the median ns/param/step
  // Accuracy: error fields are deterministic for a build and config; growth beyond
  // max(rel * |baseline|, abs) is a regression.
  double error_rel_tol = 1e-6;
  double error_abs_tol = 1e-12;
  std::optional<double> max_rel_travel;  // absolute bound on the candidate's error.param.rel_travel
  std::optional<double> max_rel_l2;      // absolute bound on the candidate's error.param.rel_l2
  // Memory: state bytes may not grow at all; peak RSS may grow by rss_rel_tol and rss_abs_tol bytes.
  double rss_rel_tol = 0.10;
  double rss_abs_tol = 4.0 * 1024 * 1024;
  // Comparable time (compare_noise.hpp): the runs' machine.load.per_cpu may differ by this much,
  // and one entry's time spread (iqr/median) may be this many times the other's.
  double max_load_change = 0.5;
  double max_spread_ratio = 3.0;
  // Roofline fraction (compare_roofline.hpp): the smallest change of the step time relative to its
  // floor that counts, however small the runs' spreads.
  double roofline_min_effect = 0.25;
};

/// gate: the exit code is the bit mask of regressions; report: always 0, same verdict.
enum class CompareMode { gate, report };

struct CompareOptions {
  CompareMetrics metrics;
  CompareThresholds thresholds;
  bool force_time = false;  // compare time even when the machine contexts, loads or spreads differ
  CompareMode mode = CompareMode::gate;
};

enum class MetricStatus { same, improved, regressed, faster, slower, ambiguous, not_comparable, not_compared };
std::string_view status_name(MetricStatus s);

/// One metric of one entry.
struct MetricVerdict {
  std::string family;  // "time", "accuracy", "memory", "nonfinite"
  std::string name;    // the JSON path inside the entry, e.g. "error.param.rel_l2"
  std::optional<double> baseline, candidate;  // nullopt: absent or not finite
  MetricStatus status = MetricStatus::same;
  int bits = 0;        // exit-code bits this metric contributes
  std::string note;    // the rule applied, or why it was not compared
};

/// Which figure judged an entry's speed: the raw step times (the rank test), the step time relative
/// to the run's own memory-traffic floor (when raw times are not comparable), or none.
enum class SpeedVerdict { raw_time, roofline_fraction, none };
std::string_view speed_verdict_name(SpeedVerdict v);

/// The time metric carries the statistics of the rank test too.
struct TimeVerdict {
  MetricStatus status = MetricStatus::not_compared;
  SpeedVerdict verdict = SpeedVerdict::none;
  double baseline_median = 0, candidate_median = 0;
  double ratio = 0;     // candidate / baseline median
  double p_value = 1;   // two-sided Mann-Whitney U
  std::size_t baseline_samples = 0, candidate_samples = 0;
  // The roofline verdict's figures (ratio is then baseline / candidate fraction).
  double baseline_fraction = 0, candidate_fraction = 0;
  double tolerance = 0;  // slower when ratio > 1 + tolerance
  std::string note;
};

enum class EntryMatch { matched, config_mismatch, only_in_baseline, only_in_candidate };
std::string_view match_name(EntryMatch m);

struct EntryVerdict {
  std::string label;
  EntryMatch match = EntryMatch::matched;
  std::vector<std::string> mismatches;  // why the configurations differ ("state_bits: 8 vs 32")
  TimeVerdict time;
  std::vector<MetricVerdict> metrics;   // accuracy, memory and non-finite metrics
  int bits = 0;
};

/// A difference between the two machine contexts that keeps time from being compared.
struct ContextDifference {
  std::string field;
  std::string baseline, candidate;
};

struct CompareVerdict {
  std::string baseline_name, candidate_name;
  CompareOptions options;
  bool time_compared = false;
  std::string time_note;  // why time was or was not compared
  std::vector<ContextDifference> context_differences;
  std::vector<EntryVerdict> entries;  // baseline order, then entries only in the candidate
  int bits = 0;                       // OR of the entries' bits
  /// Counts for the summary line.
  int regressions = 0, improvements = 0, unmatched = 0, mismatched = 0, not_comparable = 0;
  int by_roofline = 0;  // entries whose speed the roofline fraction judged
};

/// Two-sided p-value of the Mann-Whitney U test of `a` against `b` (exact distribution for small
/// samples without ties, normal approximation with tie and continuity correction otherwise).
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

/// Decides the time status of a candidate against a baseline from their recorded samples.
TimeVerdict compare_time(const std::vector<double>& baseline, const std::vector<double>& candidate,
                         const CompareThresholds& t);

/// Checks that a parsed document has the shape of a results document (schema_version, entries
/// with labels); throws DataError naming `name` and the JSON path.
void validate_results(const nlohmann::json& doc, std::string_view name);

/// Reads and parses a results file: IoError when unreadable, DataError when not a results document.
nlohmann::json load_results(const std::filesystem::path& file);

/// The comparison of two validated results documents.
CompareVerdict compare_results(const nlohmann::json& baseline, const nlohmann::json& candidate,
                               const CompareOptions& options, std::string baseline_name = "baseline",
                               std::string candidate_name = "candidate");

/// The process exit code of a verdict: the bit mask in gate mode, 0 in report mode.
int compare_exit_code(const CompareVerdict& v);

/// "speed, accuracy" for the bits 1|2 (empty for 0).
std::string failed_names(int bits);

using CompareFormat = OutputFormat;  // the formats of a verdict are the shared output formats
/// One of kCompareFormats (output_format.hpp); a verdict has no CSV form (table instead).
std::string render_compare(const CompareVerdict& v, OutputFormat f);
std::string render_compare_table(const CompareVerdict& v);
nlohmann::json compare_json(const CompareVerdict& v);
std::string render_compare_markdown(const CompareVerdict& v);

}  // namespace bnb::app
