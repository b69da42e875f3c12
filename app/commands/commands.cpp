#include "commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "atomic_file.hpp"
#include "bnb/build_info.hpp"
#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "config.hpp"
#include "default_suite.hpp"
#include "exit_codes.hpp"
#include "gates_json.hpp"
#include "machine.hpp"
#include "machine_load.hpp"
#include "memory_check.hpp"
#include "output_paths.hpp"
#include "peers/peer_check.hpp"
#include "report/report_command.hpp"
#include "runner.hpp"
#include "shards.hpp"
#include "workload.hpp"

namespace bnb::app {
namespace {

// Elements of the bandwidth measurement in the machine context: 256 MiB of streams, far beyond
// the last-level cache of the machines this runs on, about 0.1 s.
constexpr std::size_t kBandwidthElements = std::size_t{1} << 24;

OutputFormat parse_run_format(const std::string& f) {
  if (const auto format = parse_output_format(f, kRunFormats)) return *format;
  throw ConfigError(fmt::format("--format: unknown format \"{}\" ({})", f, output_format_names(kRunFormats)));
}

/// The results file's format by the shared extension rules; JSON for any other extension.
OutputFormat format_for_file(const std::string& path) {
  return output_format_for_file(path, kRunFormats, OutputFormat::json);
}

/// Loads and checks a config completely (everything short of running it).
Config prepare(const std::string& path, std::shared_ptr<const Trace>& trace) {
  Config c = path.empty() ? parse_config(default_suite_json(), kDefaultSuiteSource, ".") : load_config(path);
  trace = settle_replay(c);
  return c;
}

void check_settled(Config& c, const std::shared_ptr<const Trace>& trace, const std::string& python) {
  check_optimizers(c);
  for (const auto& w : check_paging(c)) std::fprintf(stderr, "warning: %s\n", w.c_str());
  check_peers(c, python);
  std::error_code ec;
  const std::uintmax_t trace_bytes = trace ? std::filesystem::file_size(c.workload.trace, ec) : 0;
  check_memory(c, ec ? 0 : static_cast<std::size_t>(trace_bytes));
}

std::string args_text(const ArgSpec& a) {
  std::string d = a.required && std::holds_alternative<std::monostate>(a.default_value) ? "required"
                                                                                        : to_string(a.default_value);
  return a.name + "=" + d + (a.has_effect ? "" : " (no effect)") + (a.extension ? " (extension)" : "");
}

}  // namespace

int run_command(const RunCommand& cmd) {
  std::shared_ptr<const Trace> trace;
  Config c = cmd.config.empty() ? parse_config(default_suite_json(), kDefaultSuiteSource, ".")
                                : load_config(cmd.config);
  if (cmd.threads) {
    if (*cmd.threads < 1 || *cmd.threads > kMaxThreads) {
      throw ConfigError(fmt::format("--threads: must be between 1 and {}, got {}", kMaxThreads, *cmd.threads));
    }
    c.threads = *cmd.threads;
  }
  if (!cmd.device.empty()) c.device = cmd.device == "cuda" ? Device::cuda : Device::cpu;
  if (cmd.steps) {
    if (*cmd.steps < 1) throw ConfigError(fmt::format("--steps: must be at least 1, got {}", *cmd.steps));
    c.workload.steps = *cmd.steps;
  }
  if (cmd.no_timing) c.timing.enabled = false;
  if (cmd.paging_budget_mib) override_paging_budget(c.paging, *cmd.paging_budget_mib);
  // What a sharded run refuses first: the device check below would open a CUDA device.
  if (cmd.group) check_sharded_run(c, cmd.group->size());
  trace = settle_replay(c);
  check_settled(c, trace, cmd.python);
  // A sharded run: rank 0 checks and writes the outputs; every rank writes its dump files.
  const bool root = !cmd.group || cmd.group->is_root();

  // Output choices and paths, all checked before any work; the dump directory is created last,
  // so a refusal leaves nothing behind.
  const OutputFormat stdout_format =
      cmd.output.empty() && !cmd.format.empty() ? parse_run_format(cmd.format) : OutputFormat::table;
  const OutputFormat file_format = cmd.format.empty() ? format_for_file(cmd.output) : parse_run_format(cmd.format);
  std::vector<NamedPath> inputs, outputs;
  if (!cmd.config.empty()) inputs.push_back({"the config", cmd.config});
  if (trace) inputs.push_back({"the trace (workload.trace)", c.workload.trace.string()});
  if (!cmd.resume.empty()) {
    const auto files = resume_files(c, cmd.resume);
    for (std::size_t k = 0; k < files.size(); ++k) {
      if (files[k].empty()) {
        if (root) {
          std::fprintf(stderr, "note: --resume %s: entry \"%s\" has no dump there and is not run\n", cmd.resume.c_str(),
                       c.optimizers[k].label.c_str());
        }
      } else if (cmd.dump_dir.empty()) {  // resuming into the same --dump directory is allowed
        inputs.push_back({fmt::format("the --resume dump of {}", c.optimizers[k].label), files[k]});
      }
    }
  }
  if (!cmd.output.empty()) outputs.push_back({"--output", cmd.output});
  if (!cmd.report.empty()) outputs.push_back({"--report", cmd.report});
  if (!cmd.dump_dir.empty()) {
    outputs.push_back({"--dump", cmd.dump_dir});
    for (const auto& e : c.optimizers) {
      outputs.push_back({fmt::format("the --dump file of {}", e.label), dump_file_path(cmd.dump_dir, e.label)});
    }
  }
  check_no_collisions(inputs, outputs);
  if (root && !cmd.output.empty()) check_writable_file(cmd.output, "--output");
  if (root && !cmd.report.empty()) check_writable_file(cmd.report, "--report");
  std::error_code ec;
  const bool dump_dir_is_new = !cmd.dump_dir.empty() && !std::filesystem::exists(cmd.dump_dir, ec);
  if (!cmd.dump_dir.empty()) {
    if (root) {
      check_writable_dir(cmd.dump_dir, "--dump");
    } else {
      std::filesystem::create_directories(cmd.dump_dir, ec);  // rank 0 reports what fails
    }
  }

  RunOptions options;
  if (!cmd.dump_dir.empty()) options.dump_dir = cmd.dump_dir;
  if (!cmd.resume.empty()) options.resume = cmd.resume;
  options.quiet = cmd.quiet;
  options.python = cmd.python;
  options.group = cmd.group;

  const nlohmann::json load_start = machine_load_sample();
  RunResult r;
  try {
    r = run_benchmark(c, trace, options);
    // Every rank ends with rank 0's verdict; the other ranks are done (rank 0 writes the outputs).
    if (cmd.group) r.exit_bits = cmd.group->broadcast(r.exit_bits);
    if (!root) return r.exit_bits;
  } catch (...) {
    // A failed run leaves no dump directory of its own making behind (one that existed keeps its
    // older files; the dumps written are whole, each was written atomically).
    if (dump_dir_is_new) {
      for (const auto& e : c.optimizers) std::filesystem::remove(dump_file_path(cmd.dump_dir, e.label), ec);
      std::filesystem::remove(cmd.dump_dir, ec);
    }
    throw;
  }
  const nlohmann::json load_end = machine_load_sample();  // before the bandwidth measurement below
  r.tool = {{"name", "bnb-bench"},
            {"version", std::string(version())},
            {"git_revision", std::string(git_revision())},
            {"build_type", std::string(build_type())},
            {"command_line", cmd.argv}};
  r.machine.update(machine_context(c.threads, kBandwidthElements));  // keeps the run's "device"
  r.machine["load"] = machine_load(load_start, load_end);
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : c.params) {
    params.push_back({{"name", p.name}, {"shape", p.shape}, {"dtype", std::string(dtype_name(p.dtype))}, {"numel", p.numel}});
  }
  nlohmann::json workload = {{"kind", std::string(workload_kind_name(c.workload.kind))}, {"steps", c.workload.steps}};
  if (c.workload.kind == WorkloadKind::replay) workload["trace"] = c.workload.trace.string();
  if (c.workload.kind == WorkloadKind::gradients) {
    workload["distribution"] = std::string(distribution_name(c.workload.stream.distribution));
    workload["scale"] = c.workload.stream.scale;
  }
  nlohmann::json reference = {{"mode", std::string(reference_mode_name(c.reference))}};
  if (c.reference_fp32_params) reference["params"] = "fp32";  // recorded only when set (baselines read as before)
  r.run = {{"name", c.name},
           {"config", c.source},
           {"seed", c.seed},
           {"threads", c.threads},
           {"device", c.device == Device::cuda ? "cuda" : "cpu"},
           {"params", params},
           {"workload", workload},
           {"reference", reference},
           {"timing",
            {{"enabled", c.timing.enabled},
             {"warmup_steps", c.timing.warmup_steps},
             {"min_time_s", c.timing.min_time_s},
             {"min_samples", c.timing.min_samples},
             {"timeout_s", c.timing.timeout_s},
             {"noise_target", c.timing.noise_target}}},
           {"paging", paging_json(c.paging)}};
  r.run["gates"] = gates_json(c.gates);
  if (cmd.group) r.run["distributed"] = {{"ranks", cmd.group->size()}, {"shard", c.distributed.shard}};

  for (const auto& e : r.entries) {
    for (const auto& w : e.warnings) std::fprintf(stderr, "warning: %s: %s\n", e.label.c_str(), w.c_str());
  }
  std::string links;  // Markdown output links the report's figures
  if (!cmd.report.empty()) {
    report::ReportInput in;
    in.runs.push_back({cmd.output.empty() ? c.source : cmd.output, r});
    report::write_report(in, cmd.report);
    links = report::markdown_figure_links(cmd.report);
  }
  auto rendered = [&](OutputFormat f) { return render(r, f) + (f == OutputFormat::markdown ? links : ""); };
  if (!cmd.output.empty()) write_file_atomic(cmd.output, rendered(file_format));
  const std::string text = rendered(stdout_format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (r.exit_bits) {
    std::fprintf(stderr, "gates failed:%s%s%s%s\n", (r.exit_bits & 1) ? " speed" : "", (r.exit_bits & 2) ? " accuracy" : "",
                 (r.exit_bits & 4) ? " memory" : "", (r.exit_bits & 8) ? " non-finite" : "");
  }
  return r.exit_bits;
}

int validate_command(const std::string& path, const std::string& python) {
  std::shared_ptr<const Trace> trace;
  Config c = prepare(path, trace);
  check_settled(c, trace, python);
  const MemoryEstimate m = estimate_memory(c, 0);
  std::printf("%s: valid (%zu parameters, %zu elements, %zu optimizer entries, %lld steps, about %.1f MiB)\n",
              path.c_str(), c.params.size(), total_numel(c), c.optimizers.size(),
              static_cast<long long>(c.workload.steps), static_cast<double>(m.total()) / (1024.0 * 1024.0));
  return kOk;
}

int list_command(bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& info : catalogue()) {
      nlohmann::json args = nlohmann::json::array();
      for (const auto& a : info.args) {
        args.push_back({{"name", a.name},
                        {"default", a.required && std::holds_alternative<std::monostate>(a.default_value)
                                        ? nlohmann::json("required")
                                        : nlohmann::json(to_string(a.default_value))},
                        {"required", a.required},
                        {"has_effect", a.has_effect},
                        {"extension", a.extension},
                        {"help", a.help}});
      }
      out.push_back({{"name", info.name},
                     {"family", info.family},
                     {"algorithm", std::string(algorithm_name(info.algorithm))},
                     {"state_bits", info.fixed_fp8    ? nlohmann::json("fp8")
                                    : info.fixed_bits ? nlohmann::json(info.fixed_bits)
                                                      : nlohmann::json("optim_bits")},
                     {"paging", std::string(paging_name(info.paging))},
                     {"extension", info.extension},
                     {"args", args}});
    }
    const std::string text = out.dump(2) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kOk;
  }
  std::string text;
  for (const auto& info : catalogue()) {
    std::vector<std::string> args;
    for (const auto& a : info.args) args.push_back(args_text(a));
    text += fmt::format("{:<20} {:<9} {:<10} paging {:<20}{}\n    {}\n", info.name, algorithm_name(info.algorithm),
                        info.fixed_fp8    ? std::string("fp8")
                        : info.fixed_bits ? fmt::format("{}-bit", info.fixed_bits)
                                          : std::string("optim_bits"),
                        paging_name(info.paging), info.extension ? " extension (not in bitsandbytes)" : "",
                        fmt::join(args, ", "));
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kOk;
}

}  // namespace bnb::app
