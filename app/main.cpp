// bnb-bench: the command line. Parses arguments, runs a subcommand, and turns every error into a
// message on stderr and an exit code (DESIGN.md §3). The library never prints or exits.
// GCC 12 reports a false null dereference inside libstdc++ string code inlined from CLI11.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <new>

#include "bnb/build_info.hpp"
#include "bnb/errors.hpp"
#include "commands.hpp"
#include "distributed/process_group.hpp"
#include "compare_command.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "output_format.hpp"
#include "report/report_command.hpp"
#include "run/kernel_environment.hpp"

namespace {

constexpr const char* kRunFooter = R"(
With no CONFIG, runs the built-in default suite: every algorithm with 8-bit and 32-bit state on a
262k-element synthetic workload, compared against the fp64 reference, with timing.
Exit codes: 0 ok; 1-15 failed gates (1 speed, 2 accuracy, 4 memory, 8 non-finite);
64 usage or configuration error; 65 bad input data; 70 internal error; 74 I/O error.
The config format is documented in docs/cli.md.)";

}  // namespace

int main(int argc, char** argv) {
  // First: under mpirun, MPI_Init (it may take its own arguments out of argv).
  std::unique_ptr<bnb::app::ProcessGroup> group;
  try {
    group = bnb::app::join_process_group(argc, argv);
  } catch (const bnb::ConfigError& e) {
    std::fprintf(stderr, "bnb-bench: error: %s\n", e.what());
    return bnb::app::kUsage;
  }
  bnb::app::install_interrupt_handlers();
  CLI::App app{"bnb-bench: benchmark and validate low-memory (8-bit, paged) optimizers"};
  app.set_version_flag("--version", fmt::format("bnb-bench {} (git {}, {})", bnb::version(), bnb::git_revision(),
                                                bnb::build_type()));
  app.require_subcommand(1);
  app.footer("Run `bnb-bench <command> --help` for the options of each command.");

  bnb::app::RunCommand run_cmd;
  run_cmd.group = group.get();
  for (int i = 0; i < argc; ++i) run_cmd.argv.emplace_back(argv[i]);
  auto* run = app.add_subcommand("run", "Run the optimizers of a config (or the built-in default suite)");
  run->add_option("config", run_cmd.config, "Config file (JSON, schema 1); omit for the built-in default suite");
  run->add_option("-o,--output", run_cmd.output,
                  "Write the results to FILE atomically (format from --format, else the extension: .csv, .md or "
                  ".markdown, .txt, otherwise JSON); stdout then shows the table");
  run->add_option("-f,--format", run_cmd.format,
                  "Output format: " + bnb::app::output_format_names(bnb::app::kRunFormats) + " (table by default)")
      ->check(CLI::IsMember(bnb::app::output_format_choices(bnb::app::kRunFormats)));
  run->add_option("--report", run_cmd.report,
                  "Also write an HTML report with figures (as `bnb-bench report`); Markdown output links its figures");
  run->add_option("--dump", run_cmd.dump_dir, "Write DIR/<label>.safetensors per entry: final parameters and states");
  run->add_option("--resume", run_cmd.resume,
                  "Continue from a dump: a --dump directory (every entry) or one dump file (its entry only)");
  run->add_option("-t,--threads", run_cmd.threads, "Threads (overrides the config's \"threads\")");
  run->add_option("--device", run_cmd.device, "cpu or cuda (overrides the config's \"device\")")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  run->add_option("--steps", run_cmd.steps, "Override workload.steps (e.g. a short smoke run of a config)");
  run->add_flag("--no-timing", run_cmd.no_timing, "Skip the timing pass (accuracy and memory only)");
  run->add_option("--paging-budget", run_cmd.paging_budget_mib,
                  "Resident budget of each entry's paged optimizer state in MiB, 0 = unlimited (overrides the "
                  "config's paging.budget_mib); paged entries are then also timed without it, side by side");
  run->add_flag("-q,--quiet", run_cmd.quiet, "No progress display on stderr");
  constexpr const char* kPythonHelp = "Python interpreter for entries run by another library (\"implementation\": "
                                      "torch, bitsandbytes, torchao, deepspeed; docs/peers.md); default "
                                      "$BNB_BENCH_PYTHON, else python3";
  run->add_option("--python", run_cmd.python, kPythonHelp);
  run->footer(kRunFooter);

  bool list_json = false;
  auto* list = app.add_subcommand("list", "List every optimizer with its algorithm, state bits, paging and arguments");
  list->add_flag("--json", list_json, "As JSON");

  std::string validate_config;
  auto* validate = app.add_subcommand("validate", "Check a config (JSON syntax, keys, types, ranges, optimizer "
                                                  "arguments, override patterns, trace, memory) without running it");
  validate->add_option("config", validate_config, "Config file")->required();
  std::string validate_python;
  validate->add_option("--python", validate_python, kPythonHelp);
  validate->footer("Exit codes: 0 valid; 64 configuration error; 65 bad trace data; 74 unreadable file.");

  bnb::app::CompareCommand compare_cmd;
  auto* compare = bnb::app::add_compare_command(app, compare_cmd);

  bnb::app::report::ReportCommand report_cmd;
  auto* report = bnb::app::report::add_report_command(app, report_cmd);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : bnb::app::kUsage;
  }

  // An error ends this process with its message and code. In a sharded run a configuration error
  // is the same on every rank (rank 0 says it); any other ends every rank, which would otherwise
  // wait for this one in a collective.
  const auto fail = [&group](int code, const char* what, const char* message) {
    const bool config = code == bnb::app::kUsage;
    if (!group || group->size() == 1) {
      std::fprintf(stderr, "bnb-bench: %s: %s\n", what, message);
    } else if (!config || group->is_root()) {
      std::fprintf(stderr, "bnb-bench: rank %d of %d: %s: %s\n", group->rank(), group->size(), what, message);
    }
    std::fflush(stderr);
    if (!config) bnb::app::abort_group(group.get(), code);
    return code;
  };
  try {
    if (run->parsed()) {
      bnb::app::check_kernel_environment();
      return bnb::app::run_command(run_cmd);
    }
    if (list->parsed()) return bnb::app::list_command(list_json);
    if (validate->parsed()) return bnb::app::validate_command(validate_config, validate_python);
    if (compare->parsed()) return bnb::app::compare_command(compare_cmd);
    if (report->parsed()) return bnb::app::report::report_command(report_cmd);
  } catch (const bnb::ConfigError& e) {
    return fail(bnb::app::kUsage, "error", e.what());
  } catch (const bnb::DataError& e) {
    return fail(bnb::app::kDataErr, "bad input data", e.what());
  } catch (const bnb::IoError& e) {
    return fail(bnb::app::kIoErr, "I/O error", e.what());
  } catch (const std::bad_alloc&) {
    return fail(bnb::app::kSoftware, "internal error", "out of memory");
  } catch (const std::exception& e) {
    return fail(bnb::app::kSoftware, "internal error", e.what());
  }
  return bnb::app::kOk;
}
