#include "report_command.hpp"

// GCC 12 reports a false null dereference inside libstdc++ string code inlined from CLI11.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <fmt/core.h>

#include <cstdio>

#include "atomic_file.hpp"
#include "compare.hpp"
#include "exit_codes.hpp"
#include "output_paths.hpp"
#include "report_page.hpp"
#include "results_reader.hpp"

namespace bnb::app::report {
namespace {

constexpr const char* kReportFooter = R"(
Figures: error vs step (rel_travel = the parameters' error relative to the distance travelled,
log scale), objective loss vs step (objective workloads), memory x error x time (state bytes per
parameter against error, marker area = step time), step time (median and IQR). Also the
state-format pairs, the results tables, the gates and their verdicts, the machine and the
configuration. With several files the first is the baseline (dashed), the last the candidate
(solid). The page is self-contained: inline SVG and CSS, nothing fetched, no scripts.
Exit codes: 0 written; 64 usage error; 65 malformed results file; 74 unreadable or unwritable file.)";

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportCommand& cmd) {
  auto* c = app.add_subcommand("report", "Write an HTML report with figures of one or more results files");
  c->add_option("results", cmd.results, "Results files (JSON written by `bnb-bench run`); baseline first")
      ->required()
      ->expected(1, -1);
  c->add_option("-o,--output", cmd.output, "The HTML file to write (atomically)")->capture_default_str();
  c->footer(kReportFooter);
  return c;
}

void write_report(const ReportInput& in, const std::string& path) { write_file_atomic(path, render_report(in)); }

int report_command(const ReportCommand& cmd) {
  std::vector<NamedPath> inputs;
  for (const auto& file : cmd.results) inputs.push_back({"a results file", file});
  check_no_collisions(inputs, {{"--output", cmd.output}});
  check_writable_file(cmd.output, "--output");
  ReportInput in;
  std::vector<nlohmann::json> docs;
  for (const auto& file : cmd.results) {
    docs.push_back(load_results(file));
    in.runs.push_back({file, run_result_from_json(docs.back(), file)});
  }
  if (docs.size() >= 2) {  // the first against the last, as `compare` with its defaults would
    CompareOptions options;
    options.mode = CompareMode::report;
    in.verdict = compare_results(docs.front(), docs.back(), options, cmd.results.front(), cmd.results.back());
  }
  write_report(in, cmd.output);
  std::size_t entries = 0;
  for (const auto& run : in.runs) entries += run.result.entries.size();
  std::printf("wrote %s (%zu results file%s, %zu entries)\n", cmd.output.c_str(), in.runs.size(),
              in.runs.size() == 1 ? "" : "s", entries);
  return kOk;
}

std::string markdown_figure_links(const std::string& path) {
  std::string out = "\nFigures ([report](" + path + ")):";
  const auto links = figure_links();
  for (std::size_t i = 0; i < links.size(); ++i) {
    out += fmt::format("{} [{}]({}#{})", i ? " ·" : "", links[i].title, path, links[i].id);
  }
  return out + "\n";
}

}  // namespace bnb::app::report
