// The timing and roofline passes of a run (DESIGN.md §4, §5).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bnb/kernels/dtype.hpp"
#include "bnb/state_rules.hpp"
#include "entry_run.hpp"
#include "machine.hpp"
#include "paging_result.hpp"
#include "roofline.hpp"
#include "round_robin.hpp"
#include "timing.hpp"

namespace bnb::app {
namespace {

// The floor loop runs on at most this many elements per access pattern: far beyond the last-level
// cache, so the per-element floor is the streaming one, at a bounded cost per run.
constexpr std::size_t kMaxFloorElements = std::size_t{1} << 24;
// A floor sample lasts at least as long as a timing sample (round_robin.cpp).
constexpr double kFloorSampleSeconds = 1e-3;
// Without a timing pass the floors are still reported (bytes and floor per parameter), from a
// few rounds of their own.
constexpr int kUntimedFloorRounds = 5;
// The device floor (issue 17): copies of 256 MiB (read 256, write 256), the best of 10.
constexpr std::size_t kDeviceFloorBytes = std::size_t{256} << 20;
constexpr int kDeviceFloorSamples = 10;

AccessPattern access_pattern(const Optimizer& opt, std::size_t i) {
  const ParamState& s = opt.state(i);
  AccessPattern p;
  const FormatCodec& codec = format_codec(s.format);
  p.grad_width = dtype_size(opt.param(i).dtype);
  p.rmw_widths.push_back(p.grad_width);
  for (int r = 0; r < s.rows; ++r) p.rmw_widths.push_back(codec.row_bytes(1));
  if (codec.scale == ScaleKind::per_block) {
    p.per_block_bytes = 4 * static_cast<std::size_t>(s.rows);
    p.block = s.block_size;
  }
  return p;
}

/// Round-robin timing (DESIGN.md §4, round_robin.hpp) of our entries and the peers together.
/// Paged entries start within their budget and count paging over the samples only.
std::vector<TimedRun> timing_pass(const TimingConfig& t, const std::vector<EntryRun*>& entries, FloorSet* floors,
                                  Progress& progress) {
  std::vector<SampleFaults> faults(entries.size());
  std::vector<TimedEntry> timed;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    EntryRun* e = entries[k];
    TimedEntry te;
    te.label = e->result.label;
    te.numel = e->numel;
    if (e->peer) {
      te.run_steps = [e](std::int64_t n) { return e->peer->run_steps(n); };
    } else if (e->device) {
      // Device time between two events around the steps of all tensors; the host waits only at
      // the end of the sample (the gradients are already on the device).
      te.run_steps = [e](std::int64_t n) -> std::optional<double> {
        kernels::DeviceBackend& device = e->device->backend();
        device.timer_start();
        for (std::int64_t s = 0; s < n; ++s) full_step(*e);
        return device.timer_stop();
      };
    } else {
      te.run_steps = [e](std::int64_t n) -> std::optional<double> {
        const double communication = e->shards->communication_seconds();
        const auto start = Clock::now();
        for (std::int64_t s = 0; s < n; ++s) full_step(*e);
        const double elapsed = seconds_since(start);
        e->timed_steps += n;
        e->timed_seconds += elapsed;
        e->timed_communication_seconds += e->shards->communication_seconds() - communication;
        if (!e->shards->sharded()) return elapsed;
        // The slowest rank's: every rank then takes the same timing decisions (round_robin.cpp).
        const std::vector<double> ranks = e->shards->per_rank(elapsed);
        return *std::max_element(ranks.begin(), ranks.end());
      };
    }
    if (!e->peer) {
      // On a device the faults are the host process's: the driver's migrations of managed pages
      // are counted by the paging (restored/evicted bytes), not here.
      te.before_warmup = [e] { e->opt->enforce_paged_budget(); };
      te.after_warmup = [e] {
        e->opt->reset_paging_counters();
        e->timed_steps = 0;
        e->timed_seconds = e->timed_communication_seconds = 0;
      };
      te.before_sample = [f = &faults[k]] { f->start(); };
      te.after_sample = [f = &faults[k]](std::int64_t steps) { f->stop(steps); };
    }
    timed.push_back(std::move(te));
  }
  const auto floor_round = [floors] {
    if (floors) floors->sample_round(kFloorSampleSeconds);
  };
  std::vector<std::optional<TimeStats>> times = round_robin_timing(t, timed, progress, floor_round);
  std::vector<TimedRun> out;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const EntryRun& e = *entries[k];
    out.push_back({std::move(times[k]), e.peer ? PagedTiming{} : paged_timing(e.opt->paging_counters(), faults[k])});
  }
  return out;
}

}  // namespace

/// Timing, then for the paged entries under a budget the same again with the budget lifted: the
/// time that eviction costs, side by side. The budget is restored (and enforced) afterwards.
void timing_passes(const TimingConfig& t, const std::vector<EntryRun*>& entries, FloorSet* floors, Progress& progress) {
  const std::vector<TimedRun> timed = timing_pass(t, entries, floors, progress);
  std::vector<EntryRun*> budgeted;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    EntryResult& r = entries[k]->result;
    r.time = timed[k].time;
    if (!r.paging) continue;
    r.paging->timed = timed[k].paging;
    r.paging->resident_end_bytes = entries[k]->opt->memory().resident_paged_bytes;
    if (r.paging->budget_bytes == 0) continue;
    // Without its budget the whole paged state becomes resident; when that does not fit, the
    // kernel would page it instead and the pair would compare two kinds of paging.
    // On a device all the paged state fits in its free memory (checked when it was allocated).
    const std::size_t available = entries[k]->device ? 0 : available_memory_bytes();
    if (available == 0 || r.memory.paged_bytes <= available) {
      budgeted.push_back(entries[k]);
    } else {
      r.warnings.push_back(fmt::format("paging: not timed without its budget: its paged state ({} MiB) exceeds the "
                                       "available memory ({} MiB)", r.memory.paged_bytes >> 20, available >> 20));
    }
  }
  if (budgeted.empty()) return;
  for (auto* e : budgeted) e->opt->set_paged_budget(0);
  progress.update("timing the paged entries again without their budget");
  const std::vector<TimedRun> unlimited = timing_pass(t, budgeted, nullptr, progress);
  for (std::size_t k = 0; k < budgeted.size(); ++k) {
    PagingResult& p = *budgeted[k]->result.paging;
    p.unlimited_time = unlimited[k].time;
    p.unlimited = unlimited[k].paging;
    budgeted[k]->opt->set_paged_budget(p.budget_bytes);
    budgeted[k]->opt->enforce_paged_budget();
  }
}

FloorSet make_floors(int threads, const std::vector<EntryRun*>& entries) {
  std::vector<std::vector<FloorUse>> uses;
  for (auto* e : entries) {
    std::map<std::string, FloorUse> by_key;
    for (std::size_t i = 0; i < e->params.size(); ++i) {
      const AccessPattern p = access_pattern(*e->opt, i);
      FloorUse& u = by_key[p.key()];
      u.pattern = p;
      u.elements += e->params[i].numel();
    }
    auto& mine = uses.emplace_back();
    for (auto& [key, u] : by_key) mine.push_back(u);
  }
  return FloorSet(uses, threads, kMaxFloorElements);
}

void sample_floors_untimed(FloorSet& floors) {
  for (int round = 0; round < kUntimedFloorRounds; ++round) floors.sample_round(kFloorSampleSeconds);
}

namespace {

/// The bytes one step of every tensor moves (DESIGN.md §5).
double bytes_per_step(const EntryRun& e) {
  double bytes = 0;
  for (std::size_t i = 0; i < e.params.size(); ++i) {
    bytes += access_pattern(*e.opt, i).bytes_per_element() * static_cast<double>(e.params[i].numel());
  }
  return bytes;
}

void fill_throughput(EntryRun* e, double bytes, const EntryFloor& f) {
  Throughput& t = e->result.throughput;
  t.bytes_per_step = bytes;
  t.floor_ns_per_param = f.ns_per_param;
  t.floor_spread = f.spread;
  t.floor_samples = f.samples;
  t.floor_memory_level = f.memory_level;
  if (e->result.time && e->result.time->median > 0) {
    const double step_s = e->result.time->median * static_cast<double>(e->numel) * 1e-9;
    t.params_per_s = static_cast<double>(e->numel) / step_s;
    t.bytes_per_s = bytes / step_s;
    t.roofline_fraction = t.floor_ns_per_param / e->result.time->median;
  }
}

}  // namespace

void throughput_pass(const FloorSet& floors, std::vector<EntryRun*>& entries) {
  for (std::size_t k = 0; k < entries.size(); ++k) fill_throughput(entries[k], bytes_per_step(*entries[k]), floors.floor_of(k));
}

void device_throughput_pass(kernels::DeviceBackend& backend, std::vector<EntryRun*>& entries) {
  // Far beyond any device cache (H100/H200 L2: 50-60 MiB), at most a quarter of the free memory.
  const std::size_t free_quarter = backend.memory_info().free_bytes / 4 / 16 * 16;
  const std::size_t bytes = std::min<std::size_t>(kDeviceFloorBytes, free_quarter);
  std::vector<double> bandwidth;
  for (int s = 0; s < kDeviceFloorSamples && bytes > 0; ++s) bandwidth.push_back(backend.copy_bandwidth_sample(bytes));
  const double best = bandwidth.empty() ? 0.0 : *std::max_element(bandwidth.begin(), bandwidth.end());
  const double median = quantile(bandwidth, 0.5);
  for (EntryRun* e : entries) {
    const double step_bytes = bytes_per_step(*e);
    EntryFloor f;
    f.samples = static_cast<std::int64_t>(bandwidth.size());
    f.memory_level = "device";
    f.spread = median > 0 ? (quantile(bandwidth, 0.75) - quantile(bandwidth, 0.25)) / median : 0.0;
    if (best > 0 && e->numel > 0) f.ns_per_param = step_bytes / best / static_cast<double>(e->numel) * 1e9;
    fill_throughput(e, step_bytes, f);
  }
}

}  // namespace bnb::app
