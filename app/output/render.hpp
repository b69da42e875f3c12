#pragma once
// The renderings of a run's results: JSON (the self-describing document of DESIGN.md §3.2),
// a terminal table, CSV and Markdown.
#include <string>
#include <vector>

#include "output_format.hpp"
#include "results.hpp"

namespace bnb::app {

std::string render_json(const RunResult& r);
std::string render_table(const RunResult& r);
std::string render_csv(const RunResult& r);
std::string render_markdown(const RunResult& r);
std::string render(const RunResult& r, OutputFormat f);

/// The summary columns shared by the table and the Markdown rendering.
struct SummaryTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
};
SummaryTable summary_table(const RunResult& r);
/// The paged entries' paging figures, the time under the budget beside the time without it
/// (no rows when no entry pages its state).
SummaryTable paging_table(const RunResult& r);

}  // namespace bnb::app
