#pragma once
// The run loop of `bnb-bench run`: for every optimizer entry an accuracy pass (the workload's
// steps, with the fp64 reference alongside or re-synced every step), optionally a dump, then a
// timing pass over all entries round-robin, continuing from where the accuracy pass ended (so
// timing never disturbs the accuracy measurement), and the floor of each entry's memory traffic.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnb/kernels/device_backend.hpp"
#include "bnb/trace.hpp"
#include "config.hpp"
#include "distributed/process_group.hpp"
#include "results.hpp"

namespace bnb::app {

struct RunOptions {
  std::optional<std::string> dump_dir;
  std::optional<std::string> resume;  // a dump directory, or one dump file
  bool quiet = false;
  std::string python;  // --python: the interpreter of the peer bridge (docs/peers.md)
  /// device "cuda": the device to run on; null = the CUDA runtime's. Tests pass the emulation.
  std::shared_ptr<kernels::DeviceBackend> device;
  const ProcessGroup* group = nullptr;  // set: a sharded run over the group's ranks (docs/distributed.md)
};

RunResult run_benchmark(const Config& c, std::shared_ptr<const Trace> trace, const RunOptions& options);

/// DIR/<label>.safetensors: where --dump writes an entry and --resume DIR reads it.
std::string dump_file_path(const std::string& dir, const std::string& label);

/// Which entries a --resume path applies to and the file of each ("" = starts fresh, not run
/// when a single file was given). Throws ConfigError / DataError before any work.
std::vector<std::string> resume_files(const Config& c, const std::string& resume);

/// Applies the gates of the config to the entries (sets gate_failures and exit_bits).
void apply_gates(const Config& c, RunResult& r);

}  // namespace bnb::app
