#pragma once
// The subcommands of bnb-bench. Each returns an exit code (exit_codes.hpp) and throws the
// library's errors (ConfigError, DataError, IoError), which main() turns into messages.
#include <optional>
#include <string>
#include <vector>

#include "distributed/process_group.hpp"
#include "render.hpp"

namespace bnb::app {

struct RunCommand {
  std::string config;  // "" = the built-in default suite
  std::string output;
  std::string format;  // "" = table on stdout; with --output, from the extension (else json)
  std::string dump_dir;
  std::string report;  // also write the HTML report (bnb-bench report) here
  std::string resume;
  std::optional<int> threads;
  std::string device;
  std::optional<long long> steps;
  std::optional<double> paging_budget_mib;
  bool quiet = false;
  bool no_timing = false;
  std::string python;  // interpreter of the peer bridge ("" = BNB_BENCH_PYTHON, else python3)
  std::vector<std::string> argv;
  const ProcessGroup* group = nullptr;  // started by mpirun: the ranks of a sharded run
};

int run_command(const RunCommand& cmd);
int list_command(bool json);
int validate_command(const std::string& config, const std::string& python);

}  // namespace bnb::app
