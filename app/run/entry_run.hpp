#pragma once
// What one optimizer entry owns across the passes of a run (runner.cpp: accuracy; timing_pass.cpp:
// timing and roofline), and the step the passes share.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "bnb/optimizer.hpp"
#include "config.hpp"
#include "device_tensors.hpp"
#include "floors.hpp"
#include "peers/peer_run.hpp"
#include "progress.hpp"
#include "results.hpp"
#include "shards.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

using Clock = std::chrono::steady_clock;

/// Everything one optimizer entry owns across the accuracy and timing passes.
struct EntryRun {
  const OptimizerEntry* entry = nullptr;
  std::unique_ptr<Optimizer> opt;
  const Shards* shards = nullptr;
  std::vector<TensorBuffer> params;  // whole tensors (on every rank of a sharded run)
  std::vector<TensorBuffer> grads;   // this rank's range of each tensor
  std::size_t numel = 0;  // of the whole tensors
  std::string resume_file;
  bool skipped = false;
  EntryResult result;
  std::unique_ptr<PeerRun> peer;  // set: another library runs this entry (opt unused)
  std::unique_ptr<DeviceTensors> device;  // device runs: the parameters and gradients the steps use
  // This rank's timed steps (after the warm-up), their seconds and the part in collectives.
  std::int64_t timed_steps = 0;
  double timed_seconds = 0, timed_communication_seconds = 0;
};

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Tensor i's step on the host; in a sharded run this rank's range, then the parameter gathered.
inline StepReport step_tensor(EntryRun& e, std::size_t i) {
  const StepReport report = e.opt->step(i, e.shards->local(i, e.params[i]), e.grads[i].data());
  e.shards->gather(i, e.params[i]);
  return report;
}

/// One step of every tensor: on a device only enqueued (timing_pass.cpp waits with events).
inline void full_step(EntryRun& e) {
  for (std::size_t i = 0; i < e.params.size(); ++i) {
    if (e.device) {
      e.opt->step(i, e.device->param(i), e.device->grad(i));
    } else {
      step_tensor(e, i);
    }
  }
}

/// Writes the entry's dump into `dir` (dumps.cpp): DIR/<label>.safetensors, or in a sharded run
/// one file per rank and DIR/<label>.shards.json.
void dump_entry(const Config& c, EntryRun& e, const std::string& dir);
/// Loads e.resume_file (a dump file or a sharded dump's index) into the entry's optimizer and
/// parameters, the ranges of this rank.
void load_dump(EntryRun& e);

/// Timing (DESIGN.md §4), then for the paged entries under a budget the same again unbudgeted.
/// `floors`, when given, take one sample per round of the first pass, interleaved with the entries'.
void timing_passes(const TimingConfig& t, const std::vector<EntryRun*>& entries, FloorSet* floors, Progress& progress);

/// The floor probes of the entries' access patterns (DESIGN.md §5), per entry each pattern with
/// the elements it covers; sampled in the timing pass.
FloorSet make_floors(int threads, const std::vector<EntryRun*>& entries);
/// Samples the floors of a run without a timing pass (a few rounds of their own).
void sample_floors_untimed(FloorSet& floors);
/// The throughput figures of each entry from its step time and its floor.
void throughput_pass(const FloorSet& floors, std::vector<EntryRun*>& entries);
/// The same figures on a device: the floor is the step's bytes at the device's copy bandwidth,
/// sampled with a copy kernel in this run (device_floor.cpp).
void device_throughput_pass(kernels::DeviceBackend& backend, std::vector<EntryRun*>& entries);

}  // namespace bnb::app
