#pragma once
// `bnb-bench report RESULTS.json... [-o report.html]`: one self-contained HTML page of figures
// from one or more results files (the first the baseline, the last the candidate), and the
// links to its figures that `run`/`compare --format markdown` add when they wrote a report.
#include <string>
#include <vector>

#include "report_input.hpp"

namespace CLI {
class App;
}

namespace bnb::app::report {

struct ReportCommand {
  std::vector<std::string> results;
  std::string output = "report.html";
};

/// Adds the `report` subcommand to `app`, its values stored in `cmd`.
CLI::App* add_report_command(CLI::App& app, ReportCommand& cmd);

/// Reads the results files (IoError / DataError naming the file), writes the page atomically,
/// says where on stdout; returns the exit code.
int report_command(const ReportCommand& cmd);

/// Writes the report of `in` to `path` atomically.
void write_report(const ReportInput& in, const std::string& path);

/// A Markdown line linking the figures of the report at `path` (for pull-request comments).
std::string markdown_figure_links(const std::string& path);

}  // namespace bnb::app::report
