#pragma once
// Measuring what paging costs an entry (docs/cli.md, "Paging"): the page faults of the process
// around each of the entry's timing samples, and per-step figures from the optimizer's counters.
#include <cstdint>
#include <optional>

#include "bnb/optimizer.hpp"
#include "bnb/paged_arena.hpp"
#include "results.hpp"

namespace bnb::app {

/// Page faults of this process during an entry's timing samples (getrusage deltas; the
/// round-robin runs one entry at a time, so each delta is that entry's).
class SampleFaults {
 public:
  void start() { at_start_ = process_page_faults(); }
  void stop(std::int64_t steps);
  std::int64_t minor = 0, major = 0, steps = 0;

 private:
  PageFaults at_start_;
};

/// What one timing phase of an entry measured.
struct TimedRun {
  std::optional<TimeStats> time;  // nullopt: a peer entry that failed while timed
  PagedTiming paging;  // meaningful for paged entries only
};

/// The budget and the largest paged tensor's state of a paged entry.
PagingResult paging_setup(const Optimizer& opt);

/// Per-step figures from the counters since the last reset and the faults of the samples.
PagedTiming paged_timing(const PagingCounters& c, const SampleFaults& f);

}  // namespace bnb::app
