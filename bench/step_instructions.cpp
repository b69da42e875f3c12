// The deterministic speed gate (issue 24): instructions executed per parameter-step of every
// entry of a config, counted by valgrind's callgrind, compared with a committed baseline.
//
//   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=DIR/cg.out
//            step_instructions run CONFIG   (one dump per entry, only the counted steps)
//   step_instructions check CONFIG DIR BASELINE [--tolerance F] [--write]
//
// `run` builds each entry's optimizer on the config's parameters (one thread: OpenMP spin waits
// would make counts vary), takes one untimed step (state allocation, format decision), then
// kSteps steps with callgrind's collection on, and dumps the counts under the entry's label.
// Outside valgrind the client requests do nothing. `check` divides each dump's instruction total
// by numel * kSteps and compares with the baseline within --tolerance (either way: fewer
// instructions than recorded also fails, so the baseline stays tight); --write records instead.
// scripts/step-instructions.sh runs both. Exit codes: 0 ok, 1 counts off the baseline, 64 usage,
// 65 bad dump or baseline, 74 I/O.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BNB_HAVE_CALLGRIND 1
#endif

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/optimizer.hpp"
#include "config.hpp"
#include "exit_codes.hpp"
#include "tensor_buffer.hpp"

namespace {

using namespace bnb;
using namespace bnb::app;
namespace fs = std::filesystem;

constexpr std::int64_t kSteps = 3;

struct Failure {
  int code;
  std::string message;
};

int run_entries([[maybe_unused]] const Config& c) {
#ifndef BNB_HAVE_CALLGRIND
  throw Failure{kUsage, "built without <valgrind/callgrind.h> (Debian package valgrind): cannot count"};
#else
  const std::vector<ParamSpec> specs = param_specs(c);
  std::vector<TensorBuffer> params, grads;
  for (const ParamSpec& s : specs) {
    params.emplace_back(s.dtype, s.numel);
    grads.emplace_back(s.dtype, s.numel);
  }
  for (const OptimizerEntry& e : c.optimizers) {
    // Fixed, ordinary values: the counts depend on the data only through value-dependent branches,
    // and these are the same in every run.
    for (std::size_t p = 0; p < specs.size(); ++p) {
      for (std::size_t i = 0; i < specs[p].numel; ++i) {
        params[p].set(i, static_cast<double>(static_cast<int>(i % 997) - 498) * 1e-3);
        grads[p].set(i, static_cast<double>(static_cast<int>(i % 2001) - 1000) * 1e-5);
      }
    }
    OptimizerOptions options;
    options.threads = 1;
    options.device = c.device;
    Optimizer opt(e.name, e.args, specs, e.overrides, options);
    for (std::size_t i = 0; i < specs.size(); ++i) opt.step(i, params[i].data(), grads[i].data());
    CALLGRIND_TOGGLE_COLLECT;
    for (std::int64_t t = 0; t < kSteps; ++t) {
      for (std::size_t i = 0; i < specs.size(); ++i) opt.step(i, params[i].data(), grads[i].data());
    }
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(e.label.c_str());
  }
  fmt::print("{} entries, {} counted steps each, variant {}\n", c.optimizers.size(), kSteps,
             kernels::variant_name(kernels::active_variant()));
  return kOk;
#endif
}

/// Instruction totals of the callgrind dumps in `dir`, by the label each was dumped under.
std::map<std::string, double> read_dumps(const fs::path& dir) {
  std::map<std::string, double> out;
  const std::string trigger = "desc: Trigger: Client Request: ";
  if (!fs::is_directory(dir)) throw Failure{kIoErr, fmt::format("{}: not a directory of callgrind dumps", dir.string())};
  for (const auto& f : fs::directory_iterator(dir)) {
    std::ifstream in(f.path());
    if (!in) throw Failure{kIoErr, fmt::format("{}: cannot read", f.path().string())};
    std::string line, label;
    std::optional<double> total;
    while (std::getline(in, line)) {
      if (line.starts_with(trigger)) label = line.substr(trigger.size());
      if (line.starts_with("summary: ") || line.starts_with("totals: ")) total = std::stod(line.substr(line.find(' ') + 1));
    }
    if (label.empty()) continue;  // the final dump at exit
    if (!total) throw Failure{kDataErr, fmt::format("{}: no 'summary:' line", f.path().string())};
    out[label] = *total;
  }
  return out;
}

int check(const Config& c, const fs::path& dumps, const fs::path& baseline_file, double tolerance, bool write) {
  const std::map<std::string, double> totals = read_dumps(dumps);
  const double param_steps = static_cast<double>(total_numel(c)) * static_cast<double>(kSteps);
  nlohmann::json counts = nlohmann::json::object();
  for (const OptimizerEntry& e : c.optimizers) {
    const auto it = totals.find(e.label);
    if (it == totals.end()) throw Failure{kDataErr, fmt::format("{}: no callgrind dump for entry '{}'", dumps.string(), e.label)};
    counts[e.label] = std::round(it->second / param_steps * 1000.0) / 1000.0;
  }
  if (write) {
    const char* variant = std::getenv("BNB_CPU_VARIANT");
    nlohmann::json j = {{"schema", 1},
                        {"what", "instructions per parameter-step of each entry under callgrind, 1 thread"},
                        {"cpu_variant", variant ? variant : "automatic"},
                        {"regenerate", "scripts/update-instruction-baseline.sh"},
                        {"config", c.name},
                        {"params", total_numel(c)},
                        {"counted_steps", kSteps},
                        {"instructions_per_param_step", counts}};
    std::ofstream out(baseline_file);
    out << j.dump(2) << "\n";
    if (!out) throw Failure{kIoErr, fmt::format("{}: cannot write", baseline_file.string())};
    fmt::print("wrote {}\n", baseline_file.string());
    return kOk;
  }
  std::ifstream in(baseline_file);
  if (!in) throw Failure{kIoErr, fmt::format("{}: cannot read the baseline", baseline_file.string())};
  nlohmann::json base;
  try {
    base = nlohmann::json::parse(in).at("instructions_per_param_step");
  } catch (const nlohmann::json::exception& ex) {
    throw Failure{kDataErr, fmt::format("{}: {}", baseline_file.string(), ex.what())};
  }
  int rc = kOk;
  fmt::print("{:<14} {:>12} {:>12} {:>8}  (instructions per parameter-step, tolerance {:.1f}%)\n", "label", "baseline",
             "now", "change", tolerance * 100);
  for (const auto& [label, now_json] : counts.items()) {
    const double now = now_json.get<double>();
    if (!base.contains(label)) {
      fmt::print("{:<14} {:>12} {:>12.3f}  not in the baseline\n", label, "-", now);
      rc = kGateSpeed;
      continue;
    }
    const double was = base.at(label).get<double>();
    const double change = now / was - 1.0;
    const char* verdict = change > tolerance ? "  MORE instructions: slower" : change < -tolerance ? "  fewer instructions: update the baseline" : "";
    if (*verdict) rc = kGateSpeed;
    fmt::print("{:<14} {:>12.3f} {:>12.3f} {:>+7.1f}%{}\n", label, was, now, change * 100, verdict);
  }
  if (rc != kOk) fmt::print("instruction counts off {} (regenerate with scripts/update-instruction-baseline.sh when intended)\n", baseline_file.string());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Instructions per parameter-step under callgrind, against a baseline (issue 24)"};
  app.require_subcommand(1);
  std::string config_file, dumps, baseline;
  double tolerance = 0.02;
  bool write = false;
  auto* run = app.add_subcommand("run", "take the counted steps (run under valgrind --tool=callgrind --collect-atstart=no)");
  run->add_option("config", config_file)->required();
  auto* chk = app.add_subcommand("check", "compare the dumps of `run` with the baseline");
  chk->add_option("config", config_file)->required();
  chk->add_option("dumps", dumps, "directory of callgrind dumps")->required();
  chk->add_option("baseline", baseline, "results/baseline-instructions.json")->required();
  chk->add_option("--tolerance", tolerance, "allowed relative change either way")->check(CLI::Range(0.0, 1.0));
  chk->add_flag("--write", write, "write the baseline from the dumps instead of comparing");
  CLI11_PARSE(app, argc, argv);
  try {
    const Config c = load_config(config_file);
    return run->parsed() ? run_entries(c) : check(c, dumps, baseline, tolerance, write);
  } catch (const Failure& f) {
    fmt::print(stderr, "step_instructions: {}\n", f.message);
    return f.code;
  } catch (const std::exception& ex) {
    fmt::print(stderr, "step_instructions: {}\n", ex.what());
    return kUsage;
  }
}
