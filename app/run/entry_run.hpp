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
#include "tensor_buffer.hpp"

namespace bnb::app {

using Clock = std::chrono::steady_clock;

/// Everything one optimizer entry owns across the accuracy and timing passes.
struct EntryRun {
  const OptimizerEntry* entry = nullptr;
  std::unique_ptr<Optimizer> opt;
  std::vector<TensorBuffer> params, grads;
  std::size_t numel = 0;
  std::string resume_file;
  bool skipped = false;
  EntryResult result;
  std::unique_ptr<PeerRun> peer;  // set: another library runs this entry (opt unused)
  std::unique_ptr<DeviceTensors> device;  // device runs: the parameters and gradients the steps use
};

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// One step of every tensor: on a device only enqueued (timing_pass.cpp waits with events).
inline void full_step(EntryRun& e) {
  for (std::size_t i = 0; i < e.params.size(); ++i) {
    if (e.device) {
      e.opt->step(i, e.device->param(i), e.device->grad(i));
    } else {
      e.opt->step(i, e.params[i].data(), e.grads[i].data());
    }
  }
}

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
