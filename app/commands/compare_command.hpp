#pragma once
// `bnb-bench compare BASELINE CANDIDATE`: registration of the subcommand's options and its
// execution. Errors are thrown (ConfigError 64, DataError 65, IoError 74) for main() to report.
#include <optional>
#include <string>

#include "compare.hpp"

namespace CLI {
class App;
}

namespace bnb::app {

struct CompareCommand {
  std::string baseline, candidate;
  std::string format = "table";
  std::string mode = "gate";
  std::string metrics = "all";
  std::string output;  // also write the verdict here (format from --output-format, else the extension)
  std::string output_format;
  std::string report;  // also write the HTML report of both files here
  bool force_time = false;
  bool require_match = false;  // entries missing on either side or configured differently: exit 65
  CompareThresholds thresholds;
  std::optional<double> max_rel_travel, max_rel_l2;
};

/// Adds the `compare` subcommand to `app`, its values stored in `cmd`.
CLI::App* add_compare_command(CLI::App& app, CompareCommand& cmd);

/// Runs the comparison, prints the verdict on stdout and returns the exit code.
int compare_command(const CompareCommand& cmd);

}  // namespace bnb::app
