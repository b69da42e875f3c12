#pragma once
// What a run measured, per optimizer entry (DESIGN.md §3.2). Rendered as JSON (results_json),
// a table, CSV or Markdown; the field names of the JSON are the names below.
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bnb::app {

/// Difference of a product tensor from its reference (all tensors of an entry together).
struct ErrorStats {
  double max_abs = 0;
  double mean_abs = 0;
  double rel_l2 = 0;   // ||x - ref|| / ||ref||
  double max_rel = 0;  // max |x - ref| / max(|ref|, kRelFloor)
  std::size_t count = 0;
};

struct TimeStats {
  double median = 0, min = 0, max = 0, iqr = 0;  // ns per parameter element per step
  std::vector<double> samples;
  std::int64_t steps_per_sample = 1;
  bool timed_out = false;
};

struct Throughput {
  double params_per_s = 0;
  double bytes_per_s = 0;
  double roofline_fraction = 0;
  double bytes_per_step = 0;          // the bytes-moved model (DESIGN.md §5)
  double floor_ns_per_param = 0;      // measured floor of the step's own streams: its best sample
  double floor_spread = 0;            // the floor samples' iqr / median
  std::int64_t floor_samples = 0;
  std::string floor_memory_level;     // where the floor's arrays live: "L1", "L2", "L3" or "dram"
};

struct MemoryStats {
  std::size_t state_bytes = 0;
  double state_bytes_per_param = 0;
  std::size_t overhead_bytes = 0;
  std::map<std::string, std::size_t> buffers;
  std::size_t peak_rss_bytes = 0;
  std::size_t paged_bytes = 0;
  std::size_t resident_state_bytes = 0;
  std::int64_t minor_faults = 0, major_faults = 0;
  // Device runs (issue 17): the device's used memory (cudaMemGetInfo) before the entry's
  // optimizer was made and after its accuracy pass; the difference is what the entry holds there.
  std::optional<std::size_t> device_used_before_bytes, device_used_after_bytes;
};

/// One timed phase of a paged entry: what paging cost per timed step (the warm-up excluded).
struct PagedTiming {
  std::int64_t steps = 0;                  // timed steps: samples x steps_per_sample
  double evicted_bytes_per_step = 0;       // written back and dropped
  double restored_bytes_per_step = 0;      // brought back before a tensor's step
  double major_faults_per_step = 0;        // of the process (getrusage), during this entry's samples
  double minor_faults_per_step = 0;
  std::size_t resident_peak_bytes = 0;     // measured after each tensor's step, before eviction
};

/// Paged entries: the budget, the measured residency and the cost of eviction. Under a budget
/// the same entry is timed again with the budget lifted (the pair shown side by side).
struct PagingResult {
  std::size_t budget_bytes = 0;            // 0 = unlimited
  std::size_t largest_tensor_bytes = 0;    // the largest paged tensor's state
  std::size_t resident_end_bytes = 0;      // measured after the timed steps under the budget
  std::optional<PagedTiming> timed;        // under the budget (absent without timing)
  std::optional<TimeStats> unlimited_time; // budget > 0: the same entry without it
  std::optional<PagedTiming> unlimited;
};

struct ErrorResult {
  ErrorStats param;
  // ||p - p_ref|| / ||p_ref - p0||: the parameters' error relative to the distance the reference
  // moved them from the starting point p0 (rel_l2 divides by their size, which hides it).
  double rel_travel = 0;
  std::map<std::string, ErrorStats> states;  // "state1", "state2"
  std::vector<double> curve;                 // per-step rel_l2 of the parameters
  std::vector<double> curve_rel_travel;      // per-step rel_travel of the parameters
  std::optional<double> loss_gap;            // objectives: loss - reference loss (final)
};

struct ObjectiveResult {
  std::vector<double> loss_curve;  // mean loss per element after each step
  double initial_loss = 0;
  double loss = 0;
  double optimum_loss = 0;
  double initial_distance = 0;     // ||x0 - x*||
  double distance_to_optimum = 0;  // ||x - x*||
  std::optional<double> reference_loss;
};

struct NonfiniteCounts {
  std::uint64_t gradients = 0;  // gradient elements seen (all steps)
  std::uint64_t params = 0;     // parameter elements after the run
  std::uint64_t states = 0;     // dequantized state elements after the run
};

/// Entries with 8-bit state: the underflow hazard of docs/eight_bit.md, counted by the kernels
/// over the run's steps (all tensors together).
struct QuantizationResult {
  std::uint64_t underflows = 0;                      // non-zero state values stored as 0
  std::optional<std::int64_t> first_underflow_step;  // 1-based step of the first one
  std::map<std::string, std::uint64_t> underflows_by_state;  // "state1", "state2"
  double max_step_lr = 0;                            // largest |p_new - p_old| / lr of any element
};

/// A sharded run (docs/distributed.md): what each rank held and spent, in rank order. The entry's
/// time is the slowest rank's; its memory.state_bytes the sum over the ranks.
struct DistributedResult {
  std::vector<std::size_t> state_bytes;
  std::vector<std::size_t> peak_rss_bytes;
  std::vector<double> step_seconds;                    // per timed step (its own clock)
  std::vector<double> communication_seconds_per_step;  // of which in collectives (timed steps)
};

struct EntryResult {
  std::string label, optimizer, algorithm;
  int state_bits = 32;
  bool paged = false;
  std::int64_t start_step = 0, steps = 0;
  nlohmann::json effective_config;  // per parameter, with ignored arguments flagged
  std::vector<std::string> warnings;
  std::optional<TimeStats> time;
  Throughput throughput;
  MemoryStats memory;
  std::optional<PagingResult> paging;  // entries with paged state
  std::optional<DistributedResult> distributed;  // sharded runs
  std::optional<ErrorResult> error;
  std::optional<ObjectiveResult> objective;
  NonfiniteCounts nonfinite;
  std::optional<QuantizationResult> quantization;  // entries with 8-bit state
  std::string dump_file;
  int gate_failures = 0;  // exit-code bits
  nlohmann::json implementation;       // peers: name, class, kwargs, versions, reference; null for ours
  std::optional<std::string> failure;  // a peer library that raised: its message (exit bit 2)
};

struct RunResult {
  nlohmann::json tool;     // version, git revision, build type, command line
  nlohmann::json machine;  // machine context
  nlohmann::json run;      // config name, seed, threads, workload, reference mode, timing
  std::vector<EntryResult> entries;
  double wall_seconds = 0;
  int exit_bits = 0;       // OR of the entries' gate failures
};

inline constexpr double kRelFloor = 1e-6;
inline constexpr int kResultsSchemaVersion = 1;

}  // namespace bnb::app
