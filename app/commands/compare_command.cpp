#include "compare_command.hpp"

// GCC 12 reports a false null dereference inside libstdc++ string code inlined from CLI11.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "bnb/errors.hpp"
#include "output_format.hpp"
#include "output_paths.hpp"
#include "report/report_command.hpp"
#include "results_reader.hpp"

namespace bnb::app {
namespace {

constexpr const char* kCompareFooter = R"(
Entries are matched by label; an entry whose configuration differs is reported, not compared.
Time: slower/faster when a two-sided Mann-Whitney U test over the recorded samples gives
p < --alpha AND the medians differ by more than --min-effect; a larger change that is not
significant is "ambiguous". Only compared when CPU model, threads, ISA variant and build type
match, and then "not comparable" (no speed bit) when the runs' machine.load.per_cpu differ by more
than --max-load-change or an entry's time spread (iqr/median, 2% and less counting as 2%) is more
than --max-spread-ratio times the other run's; --force-time compares anyway. When raw times are
not comparable (contexts, loads or spreads), an entry is judged by its roofline fraction (step
time relative to the memory-traffic floor measured in the same run): slower when the baseline's
fraction is more than 1 + max(--roofline-min-effect, both runs' time and floor spreads in
quadrature) times the candidate's. Each entry's "speed verdict" says which judged it (raw time,
roofline fraction, or none and why). Accuracy: an error field that grows by more than
max(--error-rel-tol x baseline, --error-abs-tol). Memory: any growth of state bytes; peak RSS
growth beyond max(--rss-rel-tol x baseline, --rss-abs-tol bytes). Non-finite: any new NaN/Inf.
Exit codes (gate mode): 0 no regression; 1-15 bit mask (1 speed, 2 accuracy, 4 memory,
8 non-finite); 64 usage error; 65 malformed results file (or, with --require-match,
entries that do not correspond); 74 unreadable file. --mode report
always exits 0. The rules are documented in docs/compare.md.)";

/// The --format/--output-format value (CLI11 has checked it against the names); table when unset.
OutputFormat parse_compare_format(const std::string& f) {
  return parse_output_format(f, kCompareFormats).value_or(OutputFormat::table);
}

/// The file's format by the shared extension rules; table for any other extension.
OutputFormat format_from_extension(const std::string& path) {
  return output_format_for_file(path, kCompareFormats, OutputFormat::table);
}

}  // namespace

CLI::App* add_compare_command(CLI::App& app, CompareCommand& cmd) {
  auto* c = app.add_subcommand("compare", "Compare a candidate results file with a baseline (CI regression gate)");
  c->add_option("baseline", cmd.baseline, "Baseline results (JSON written by `bnb-bench run`)")->required();
  c->add_option("candidate", cmd.candidate, "Candidate results (JSON written by `bnb-bench run`)")->required();
  c->add_option("-f,--format", cmd.format, "Output on stdout: " + output_format_names(kCompareFormats) + " (table by default)")
      ->check(CLI::IsMember(output_format_choices(kCompareFormats)));
  c->add_option("--mode", cmd.mode, "gate (default): exit with the regression bit mask; report: always exit 0")
      ->check(CLI::IsMember({"gate", "report"}));
  c->add_option("--metrics", cmd.metrics,
                "Metric families to compare: comma-separated time, accuracy, memory, nonfinite (default all)");
  c->add_flag("--force-time", cmd.force_time,
              "Compare time even when the machine contexts differ or the loads or spreads make it not comparable");
  c->add_flag("--require-match", cmd.require_match,
              "Exit 65 when an entry is missing from either file or configured differently (gate mode)");
  c->add_option("-o,--output", cmd.output, "Also write the verdict to FILE atomically (format from the extension: "
                                           ".json, .md or .markdown, otherwise table; or --output-format)");
  c->add_option("--report", cmd.report,
                "Also write an HTML report with the figures of both files (as `bnb-bench report`); Markdown output "
                "links its figures");
  c->add_option("--output-format", cmd.output_format, "Format of --output: " + output_format_names(kCompareFormats))
      ->check(CLI::IsMember(output_format_choices(kCompareFormats)));
  CompareThresholds& t = cmd.thresholds;
  c->add_option("--alpha", t.time_alpha, "Significance of the time rank test")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 0.5));
  c->add_option("--min-effect", t.time_min_effect, "Smallest relative change of the median time that counts")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  c->add_option("--max-load-change", t.max_load_change,
                "Time is not comparable when the runs' load averages per CPU differ by more than this")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->add_option("--max-spread-ratio", t.max_spread_ratio,
                "Time is not comparable when one run's time spread is more than this many times the other's")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1000.0));
  c->add_option("--roofline-min-effect", t.roofline_min_effect,
                "Smallest relative change of the roofline fraction that counts (when raw times are not comparable)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  c->add_option("--error-rel-tol", t.error_rel_tol, "Allowed relative growth of an error field")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->add_option("--error-abs-tol", t.error_abs_tol, "Allowed absolute growth of an error field")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->add_option("--max-rel-travel", cmd.max_rel_travel,
                "Absolute bound on the candidate's error.param.rel_travel (error / distance travelled)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--max-rel-l2", cmd.max_rel_l2, "Absolute bound on the candidate's error.param.rel_l2")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--rss-rel-tol", t.rss_rel_tol, "Allowed relative growth of the peak RSS")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->add_option("--rss-abs-tol", t.rss_abs_tol, "Allowed growth of the peak RSS in bytes (the larger allowance wins)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->footer(kCompareFooter);
  return c;
}

int compare_command(const CompareCommand& cmd) {
  CompareOptions options;
  options.metrics = parse_compare_metrics(cmd.metrics);
  options.thresholds = cmd.thresholds;
  if (cmd.max_rel_travel) options.thresholds.max_rel_travel = cmd.max_rel_travel;
  if (cmd.max_rel_l2) options.thresholds.max_rel_l2 = cmd.max_rel_l2;
  options.force_time = cmd.force_time;
  options.mode = cmd.mode == "report" ? CompareMode::report : CompareMode::gate;
  if (!cmd.output.empty() || !cmd.report.empty()) {
    std::vector<NamedPath> outputs;
    if (!cmd.output.empty()) outputs.push_back({"--output", cmd.output});
    if (!cmd.report.empty()) outputs.push_back({"--report", cmd.report});
    check_no_collisions({{"the baseline", cmd.baseline}, {"the candidate", cmd.candidate}}, outputs);
  }
  if (!cmd.output.empty()) check_writable_file(cmd.output, "--output");
  if (!cmd.report.empty()) check_writable_file(cmd.report, "--report");

  const nlohmann::json baseline = load_results(cmd.baseline);
  const nlohmann::json candidate = load_results(cmd.candidate);
  const CompareVerdict verdict = compare_results(baseline, candidate, options, cmd.baseline, cmd.candidate);

  std::string links;  // Markdown verdicts link the report's figures
  if (!cmd.report.empty()) {
    report::ReportInput in;
    in.runs.push_back({cmd.baseline, run_result_from_json(baseline, cmd.baseline)});
    in.runs.push_back({cmd.candidate, run_result_from_json(candidate, cmd.candidate)});
    in.verdict = verdict;
    report::write_report(in, cmd.report);
    links = report::markdown_figure_links(cmd.report);
  }
  auto rendered = [&](OutputFormat f) { return render_compare(verdict, f) + (f == OutputFormat::markdown ? links : ""); };
  const std::string text = rendered(parse_compare_format(cmd.format));
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!cmd.output.empty()) {
    const OutputFormat f =
        cmd.output_format.empty() ? format_from_extension(cmd.output) : parse_compare_format(cmd.output_format);
    write_file_atomic(cmd.output, rendered(f));
  }
  if (cmd.require_match && options.mode == CompareMode::gate && (verdict.unmatched || verdict.mismatched)) {
    throw DataError(fmt::format("--require-match: {} entries unmatched and {} configured differently between {} and "
                                "{}; update the baseline (scripts/update-baseline.sh) if the change is intended",
                                verdict.unmatched, verdict.mismatched, cmd.baseline, cmd.candidate));
  }
  return compare_exit_code(verdict);
}

}  // namespace bnb::app
