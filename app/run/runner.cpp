#include "runner.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "bnb/catalogue.hpp"
#include "bnb/checkpoint.hpp"
#include "bnb/errors.hpp"
#include "interrupt.hpp"
#include "bnb/paged_arena.hpp"
#include "bnb/state_rules.hpp"
#include "entry_run.hpp"
#include "error_stats.hpp"
#include "machine.hpp"
#include "paging_result.hpp"
#include "peers/peer_run.hpp"
#include "peers/peer_scratch.hpp"
#include "progress.hpp"
#include "quantization_tally.hpp"
#include "reference_model.hpp"
#include "roofline.hpp"
#include "round_robin.hpp"
#include "travel_error.hpp"
#include "workload.hpp"

namespace bnb::app {
namespace {

nlohmann::json effective_config_json(const Optimizer& opt) {
  nlohmann::json params = nlohmann::json::object();
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const EffectiveConfig& c = opt.config(i);
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [k, v] : c.args) {
      if (std::holds_alternative<std::monostate>(v)) {
        args[k] = nullptr;
      } else if (const bool* b = std::get_if<bool>(&v)) {
        args[k] = *b;
      } else if (const double* d = std::get_if<double>(&v)) {
        args[k] = *d;
      } else if (const std::string* word = std::get_if<std::string>(&v)) {
        args[k] = *word;
      } else {
        args[k] = std::get<std::vector<double>>(v);
      }
    }
    const ParamState& s = opt.state(i);
    const std::string format = s.initialized ? std::string(state_format_name(s.format)) : "not initialized";
    params[opt.param(i).name] = {{"args", args},
                                 {"algorithm", std::string(algorithm_name(c.algorithm))},
                                 {"optim_bits", c.fp8 ? nlohmann::json("fp8") : nlohmann::json(c.optim_bits)},
                                 {"paged", c.paged},
                                 {"state_format", format},
                                 {"ignored", c.ignored}};
  }
  return params;
}

/// Tensor i's state, whole, on rank 0 (a collective in a sharded run; the rows of the other ranks
/// are empty there).
ProductState whole_state(const EntryRun& e, std::size_t i) {
  ProductState out = product_state(*e.opt, i);
  if (!e.shards->sharded()) return out;
  for (auto& row : out.rows) row = e.shards->gather_to_root(row);
  if (!e.shards->is_root()) out.rows.clear();
  return out;
}

void fill_memory(EntryRun& e) {
  const MemoryReport m = e.opt->memory();
  MemoryStats& out = e.result.memory;
  out.state_bytes = m.state_bytes;
  out.state_bytes_per_param = m.state_bytes_per_param();
  if (e.shards->sharded()) {  // the run's state: every rank's (buffers: this rank's)
    DistributedResult& d = e.result.distributed.emplace();
    for (double v : e.shards->per_rank(static_cast<double>(m.state_bytes))) {
      d.state_bytes.push_back(static_cast<std::size_t>(v));
    }
    out.state_bytes = 0;
    for (std::size_t b : d.state_bytes) out.state_bytes += b;
    out.state_bytes_per_param = static_cast<double>(out.state_bytes) / static_cast<double>(e.numel);
  }
  out.overhead_bytes = m.overhead_bytes;
  out.paged_bytes = e.shards->total(m.paged_bytes);  // sharded: every rank's, as state_bytes
  out.resident_state_bytes = out.paged_bytes ? e.shards->total(m.resident_paged_bytes) : out.state_bytes;
  for (const auto& b : m.buffers) out.buffers[b.name] = b.bytes;
  out.peak_rss_bytes = peak_rss_bytes();
  if (m.paged_bytes) {
    e.result.paging = paging_setup(*e.opt);
    e.result.paging->resident_end_bytes = m.resident_paged_bytes;  // replaced after timing
  }
}

/// A sharded run's 8-bit underflow counts: each rank counted its own range, so the run's are the
/// sums over the ranks and the earliest first step (a collective; max_step_lr is of the whole
/// parameters, the same on every rank). Every rank has the same tensors with 8-bit state.
void total_quantization(std::optional<QuantizationResult>& q, const Shards& shards) {
  if (!q || !shards.sharded()) return;
  q->underflows = shards.total(q->underflows);
  for (auto& [name, count] : q->underflows_by_state) count = shards.total(count);
  std::optional<std::int64_t> first;
  for (double step : shards.per_rank(q->first_underflow_step ? static_cast<double>(*q->first_underflow_step) : 0.0)) {
    if (step > 0 && (!first || step < static_cast<double>(*first))) first = static_cast<std::int64_t>(step);
  }
  q->first_underflow_step = first;
}

/// The accuracy pass of one entry: the workload's steps with the reference, errors, objective.
void accuracy_pass(const Config& c, const Workload& w, EntryRun& e, Progress& progress, std::size_t entry_index,
                   std::size_t entry_count) {
  const std::size_t tensors = e.params.size();
  std::int64_t start = 0;
  if (!e.resume_file.empty()) {
    load_dump(e);
    start = e.opt->state(0).step;
    for (std::size_t i = 1; i < tensors; ++i) {
      if (e.opt->state(i).step != start) {
        throw DataError(fmt::format("{}: parameters are at different steps ({} and {}); a dump of bnb-bench run "
                                    "has one step count", e.resume_file, start, e.opt->state(i).step));
      }
    }
    if (start >= c.workload.steps) {
      throw ConfigError(fmt::format("--resume: {} is already at step {} and the workload runs {} steps; raise "
                                    "workload.steps (or --steps) to continue", e.resume_file, start, c.workload.steps));
    }
  }
  e.result.start_step = start;
  e.result.steps = c.workload.steps;
  // A device run: the (possibly resumed) parameters go to the device once; the states follow at
  // their first step (the optimizer uploads a host copy that is newer, e.g. a loaded dump).
  if (e.opt->device_backend()) e.device = std::make_unique<DeviceTensors>(e.opt->device_backend(), e.params);

  const bool reference_on = c.reference != ReferenceMode::off;
  const bool resync = c.reference == ReferenceMode::resync;
  std::unique_ptr<ReferenceModel> ref;
  std::vector<TensorBuffer> start_params;  // p0 of rel_travel (travel_error.hpp)
  if (reference_on) {  // on rank 0 of a sharded run, from every rank's state
    std::vector<ProductState> states;
    for (std::size_t i = 0; i < tensors; ++i) states.push_back(whole_state(e, i));
    if (e.shards->is_root()) {
      ref = std::make_unique<ReferenceModel>(*e.opt, e.params, states, c.threads, c.reference_fp32_params);
      start_params = e.params;
    }
  }
  auto travel_of_reference = [&] {
    TravelAccumulator travel;
    for (std::size_t i = 0; i < tensors; ++i) travel.add(ref->param(i), start_params[i].to_double(c.threads));
    return travel;
  };

  ErrorResult error;
  ObjectiveResult objective;
  auto objective_loss = [&](auto&& values_of) {
    double total = 0;
    for (std::size_t i = 0; i < tensors; ++i) {
      total += w.loss(i, values_of(i)) * static_cast<double>(e.params[i].numel());
    }
    return total / static_cast<double>(e.numel);
  };
  auto distance = [&](auto&& values_of) {
    double sq = 0;
    for (std::size_t i = 0; i < tensors; ++i) sq += w.distance_squared(i, values_of(i));
    return std::sqrt(sq);
  };
  auto product_values = [&](std::size_t i) { return e.params[i].to_double(c.threads); };
  if (w.is_objective()) {
    objective.initial_loss = objective_loss(product_values);
    objective.initial_distance = distance(product_values);
  }

  std::vector<double> ref_grad;
  for (std::int64_t t = start; t < c.workload.steps; ++t) {
    for (std::size_t i = 0; i < tensors; ++i) {
      w.gradient(i, t, e.params[i], e.grads[i], e.shards->range(i));
      if (resync) {
        const ProductState state = whole_state(e, i);
        if (ref) ref->resync(i, e.params[i], state);
      }
      if (ref) {
        // Drift on an objective: the reference follows its own trajectory, so its gradient is
        // taken at its own parameters; otherwise it sees exactly the product's gradient (the
        // whole of it: rank 0 of a sharded run makes the other ranks' ranges too).
        if (w.is_objective() && !resync) {
          w.gradient(i, t, ref->param(i), ref_grad);
        } else if (!e.shards->sharded()) {
          ref_grad = e.grads[i].to_double(c.threads);
        } else {
          TensorBuffer whole(e.params[i].dtype(), e.params[i].numel());
          w.gradient(i, t, e.params[i], whole);
          ref_grad = whole.to_double(c.threads);
        }
      }
      const bool was_quantized = has_quantized_state(*e.opt, i);
      const TensorBuffer before = was_quantized ? e.params[i] : TensorBuffer();
      StepReport report;
      if (e.device) {
        // The gradient goes up and the parameter comes back outside the timed pass: the error
        // curve, the objective and the next gradient read the host copy; the step's underflow
        // counts come back with it (the non-finite count once, after the last step).
        e.device->upload_grad(i, e.grads[i]);
        e.opt->step(i, e.device->param(i), e.device->grad(i));
        e.device->download_param(i, e.params[i]);
        if (has_quantized_state(*e.opt, i)) {
          const auto counts = e.opt->take_device_underflows(i);
          std::copy(counts.begin(), counts.end(), report.underflows);
        }
      } else {
        report = step_tensor(e, i);
        e.result.nonfinite.gradients += report.nonfinite_grads;
      }
      if (has_quantized_state(*e.opt, i)) {
        tally_quantization(e.result.quantization, *e.opt, i, t + 1, report, was_quantized ? &before : nullptr,
                           e.params[i]);
      }
      if (ref) ref->step(i, ref_grad);
    }
    if (ref) {
      ErrorAccumulator acc;
      for (std::size_t i = 0; i < tensors; ++i) acc.add(e.params[i].to_double(c.threads), ref->param(i));
      error.curve.push_back(acc.stats().rel_l2);
      error.curve_rel_travel.push_back(travel_of_reference().relative(acc.difference_norm()));
    }
    if (w.is_objective()) objective.loss_curve.push_back(objective_loss(product_values));
    progress.update(fmt::format("[{}/{}] {}: step {}/{}", entry_index + 1, entry_count, e.entry->label, t + 1,
                                c.workload.steps));
  }

  e.result.nonfinite.gradients += e.opt->take_device_nonfinite_grads();  // device: counted there

  // Final errors: parameters and dequantized states against the reference (the states of a
  // sharded run gathered to rank 0 tensor by tensor).
  ErrorAccumulator param_acc;
  std::map<std::string, ErrorAccumulator> state_acc;
  for (std::size_t i = 0; reference_on && i < tensors; ++i) {
    const ProductState state = whole_state(e, i);
    e.opt->enforce_paged_budget();  // reading brought paged state back
    if (!ref) continue;
    param_acc.add(e.params[i].to_double(c.threads), ref->param(i));
    for (int r = 0; r < static_cast<int>(state.rows.size()) && r < ref->rows(i); ++r) {
      state_acc[state_name(e.opt->config(i), r)].add(state.rows[static_cast<std::size_t>(r)], ref->state(i, r));
    }
  }
  if (ref) {
    error.param = param_acc.stats();
    error.rel_travel = travel_of_reference().relative(param_acc.difference_norm());
    for (auto& [name, acc] : state_acc) error.states[name] = acc.stats();
    if (w.is_objective()) {
      objective.reference_loss = objective_loss([&](std::size_t i) { return ref->param(i); });
    }
  }
  if (w.is_objective()) {
    objective.loss = objective.loss_curve.empty() ? objective.initial_loss : objective.loss_curve.back();
    objective.distance_to_optimum = distance(product_values);
    if (objective.reference_loss) error.loss_gap = objective.loss - *objective.reference_loss;
    e.result.objective = objective;
  }
  if (ref) e.result.error = std::move(error);

  for (std::size_t i = 0; i < tensors; ++i) {
    e.result.nonfinite.params += e.params[i].count_nonfinite(c.threads);
    const ParamState& s = e.opt->state(i);
    if (!s.initialized) continue;
    for (int r = 0; r < s.rows; ++r) {
      for (float v : s.dequantized(r)) e.result.nonfinite.states += std::isfinite(v) ? 0u : 1u;
    }
    e.opt->enforce_paged_budget();
  }
  e.result.nonfinite.gradients = e.shards->total(e.result.nonfinite.gradients);
  e.result.nonfinite.states = e.shards->total(e.result.nonfinite.states);
  total_quantization(e.result.quantization, *e.shards);
  fill_memory(e);
  const PageFaults faults = process_page_faults();
  e.result.memory.minor_faults = faults.minor;
  e.result.memory.major_faults = faults.major;
}

/// The per-rank figures of a sharded run's entry (collectives: every rank, every entry in order).
void finish_distributed(EntryRun& e) {
  DistributedResult& d = *e.result.distributed;
  for (double v : e.shards->per_rank(static_cast<double>(e.result.memory.peak_rss_bytes))) {
    d.peak_rss_bytes.push_back(static_cast<std::size_t>(v));
  }
  e.result.memory.peak_rss_bytes = *std::max_element(d.peak_rss_bytes.begin(), d.peak_rss_bytes.end());
  const auto steps = static_cast<double>(std::max<std::int64_t>(e.timed_steps, 1));
  const std::vector<double> seconds = e.shards->per_rank(e.timed_seconds / steps);
  const std::vector<double> communication = e.shards->per_rank(e.timed_communication_seconds / steps);
  if (e.timed_steps == 0) return;  // no timing pass
  d.step_seconds = seconds;
  d.communication_seconds_per_step = communication;
}

}  // namespace

RunResult run_benchmark(const Config& c, std::shared_ptr<const Trace> trace, const RunOptions& options) {
  const auto t0 = Clock::now();
  RunResult result;
  Workload workload(c, std::move(trace));
  const Shards shards(options.group, c);
  Progress progress(!options.quiet && shards.is_root());

  std::vector<std::string> resume;
  if (options.resume) resume = resume_files(c, *options.resume);
  std::shared_ptr<kernels::DeviceBackend> device;
  if (c.device == Device::cuda) {
    device = options.device ? options.device : open_cuda_backend();
    result.machine["device"] = device_context_json(device->describe());
  }

  std::vector<TensorBuffer> initial;
  for (std::size_t i = 0; i < c.params.size(); ++i) initial.push_back(workload.initial_param(i));

  std::vector<std::unique_ptr<EntryRun>> runs;
  for (std::size_t k = 0; k < c.optimizers.size(); ++k) {
    auto e = std::make_unique<EntryRun>();
    e->entry = &c.optimizers[k];
    if (options.resume) {
      e->resume_file = resume[k];
      e->skipped = resume[k].empty();  // a single dump file resumes only its own entry
    }
    runs.push_back(std::move(e));
  }

  std::optional<PeerScratch> scratch;
  std::optional<PeerLauncher> launcher;
  std::vector<EntryRun*> active, ours;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    EntryRun& e = *runs[k];
    if (e.skipped) continue;
    if (e.entry->peer) {
      if (!scratch) scratch.emplace();
      if (!launcher) launcher = PeerLauncher::resolve(options.python);
      e.numel = total_numel(c);
      e.peer = std::make_unique<PeerRun>(c, *e.entry, *launcher, scratch->path(), e.result);
      e.peer->accuracy_pass(workload, initial, progress, fmt::format("[{}/{}] {}", k + 1, runs.size(), e.entry->label));
      if (options.dump_dir) e.peer->dump(*options.dump_dir);
      active.push_back(&e);  // a failed peer is skipped by the timing, but keeps its place
      continue;
    }
    OptimizerOptions opt_options;
    opt_options.threads = c.threads;
    opt_options.device = c.device;
    opt_options.paged_budget_bytes = c.paging.budget_for(e.entry->label).bytes();
    opt_options.paged_dir = paging_directory(c.paging).string();
    opt_options.seed = c.seed;  // stochastic param_rounding: (seed, tensor, step, element)
    opt_options.backend = device;
    opt_options.shards = shards.fold();
    const std::optional<std::size_t> device_used_before =
        device ? std::optional(device->memory_info().used_bytes()) : std::nullopt;
    e.opt = std::make_unique<Optimizer>(e.entry->name, e.entry->args, shards.param_specs(c), e.entry->overrides,
                                        opt_options);
    e.shards = &shards;
    e.params = initial;
    for (std::size_t i = 0; i < c.params.size(); ++i) {
      e.grads.emplace_back(c.params[i].dtype, shards.range(i).numel);
      e.numel += c.params[i].numel;
    }
    EntryResult& r = e.result;
    r.label = e.entry->label;
    r.optimizer = e.entry->name;
    const EffectiveConfig base = resolve_config(e.opt->info(), e.entry->args);
    r.algorithm = std::string(reported_algorithm(base));
    r.state_bits = base.optim_bits;
    r.paged = base.paged;
    r.warnings = e.opt->warnings();

    accuracy_pass(c, workload, e, progress, k, runs.size());
    if (device) {
      device->synchronize();
      r.memory.device_used_before_bytes = device_used_before;
      r.memory.device_used_after_bytes = device->memory_info().used_bytes();
    }
    r.effective_config = effective_config_json(*e.opt);
    if (options.dump_dir) dump_entry(c, e, *options.dump_dir);
    active.push_back(&e);
    ours.push_back(&e);
  }
  std::optional<FloorSet> floors;  // our entries' roofline floors, sampled with the timing (CPU)
  if (!ours.empty() && !device) floors.emplace(make_floors(c.threads, ours));
  if (c.timing.enabled && !active.empty()) timing_passes(c.timing, active, floors ? &*floors : nullptr, progress);
  if (floors) {
    if (!c.timing.enabled) sample_floors_untimed(*floors);
    throughput_pass(*floors, ours);
  }
  if (device && !ours.empty()) {
    progress.update("measuring the device's copy bandwidth (the roofline floor)");
    device_throughput_pass(*device, ours);
  }
  for (auto* e : active) {
    if (e->peer) {
      e->peer->finish();
      result.entries.push_back(std::move(e->result));
      continue;
    }
    e->result.memory.peak_rss_bytes = peak_rss_bytes();
    if (e->result.distributed) finish_distributed(*e);
    if (e->result.memory.paged_bytes) {
      e->result.memory.resident_state_bytes = e->shards->total(e->opt->memory().resident_paged_bytes);
    }
    result.entries.push_back(std::move(e->result));
  }
  progress.clear();
  result.wall_seconds = seconds_since(t0);
  apply_gates(c, result);
  return result;
}

void apply_gates(const Config& c, RunResult& r) {
  const GatesConfig& g = c.gates;
  for (auto& e : r.entries) {
    int bits = 0;
    if (g.max_ns_per_param_step && e.time && e.time->median > *g.max_ns_per_param_step) bits |= 1;
    if (exceeds_accuracy_bounds(e, g.max_rel_travel, g.max_rel_l2)) bits |= 2;
    if (exceeds_step_bound(e, g.max_step_lr)) bits |= 2;
    if (g.max_state_bytes_per_param && e.memory.state_bytes_per_param > *g.max_state_bytes_per_param) bits |= 4;
    if (!g.allow_nonfinite && (e.nonfinite.gradients || e.nonfinite.params || e.nonfinite.states)) bits |= 8;
    if (e.failure) bits |= 2;  // a peer library that raised: no accuracy to speak of
    e.gate_failures = bits;
    r.exit_bits |= bits;
  }
  apply_extra_gates(g.extra, r);
}

}  // namespace bnb::app
