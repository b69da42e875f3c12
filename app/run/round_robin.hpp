#pragma once
// Round-robin timing (DESIGN.md §4) over entries of any kind: warm-up, then one sample per entry
// per round until each entry has its minimum time and samples (and noise target), or its
// timeout. An entry is anything that can run N steps and say how long they took: our optimizers
// (wall time around the steps) and peers (time measured inside the bridge around
// optimizer.step(), so the IPC is not counted; docs/peers.md).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "progress.hpp"
#include "results.hpp"

namespace bnb::app {

struct TimedEntry {
  std::string label;
  std::size_t numel = 0;
  /// Runs `steps` steps; the seconds they took, or nullopt when the entry failed (its timing
  /// stops, and it gets no statistics).
  std::function<std::optional<double>(std::int64_t steps)> run_steps;
  // Optional hooks: around the warm-up, and around each sample (with its step count).
  std::function<void()> before_warmup, after_warmup, before_sample;
  std::function<void(std::int64_t steps)> after_sample;
};

/// The statistics of each entry, in order (nullopt for an entry that failed). `after_round`, when
/// set, runs after every round (the roofline floors take their samples there, floors.hpp).
std::vector<std::optional<TimeStats>> round_robin_timing(const TimingConfig& t, const std::vector<TimedEntry>& entries,
                                                         Progress& progress,
                                                         const std::function<void()>& after_round = {});

}  // namespace bnb::app
