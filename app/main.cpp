// bnb-bench: the command line. Parses arguments, runs a subcommand, and turns every error into a
// message on stderr and an exit code (DESIGN.md §3). The library never prints or exits.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <exception>

#include "bnb/build_info.hpp"
#include "exit_codes.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bnb-bench: benchmark and validate low-memory (8-bit, paged) optimizers"};
  app.set_version_flag("--version", fmt::format("bnb-bench {} (git {}, {})", bnb::version(), bnb::git_revision(),
                                                bnb::build_type()));
  app.require_subcommand(1);
  auto* run = app.add_subcommand("run", "Run the optimizers of a config (or the built-in default suite)");
  (void)run;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : bnb::app::kUsage;
  }
  return bnb::app::kOk;
}
