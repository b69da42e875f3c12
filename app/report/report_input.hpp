#pragma once
// What a report shows: one or more runs (results files), the first read as the baseline when
// there are several, and the entry labels across all of them in order of first appearance.
#include <optional>
#include <string>
#include <vector>

#include "compare.hpp"
#include "results.hpp"

namespace bnb::app::report {

struct ReportRun {
  std::string name;  // the results file, as given on the command line
  RunResult result;
};

struct ReportInput {
  std::vector<ReportRun> runs;
  std::optional<CompareVerdict> verdict;  // of the first run against the last, when compared
  /// Every label of every run, in order of first appearance: the colour index of an entry.
  std::vector<std::string> labels() const;
  std::size_t label_index(const std::string& label) const;
};

}  // namespace bnb::app::report
