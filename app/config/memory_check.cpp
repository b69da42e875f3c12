#include "memory_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "bnb/state_rules.hpp"
#include "glob.hpp"
#include "machine.hpp"

namespace bnb::app {
namespace {

// Beyond the tensors: error buffers, a workload's double copies of one tensor, the allocator.
constexpr double kSafetyFactor = 1.1;

/// A byte count held in a double, as a size_t: saturated, since a config can ask for more bytes
/// than a size_t counts (and the conversion of such a double is undefined).
std::size_t saturated(double bytes) {
  constexpr double kMax = 18446744073709549568.0;  // the largest double below 2^64
  return bytes >= kMax ? SIZE_MAX : static_cast<std::size_t>(bytes);
}

double gib(std::size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0); }

/// State bytes of one tensor for an entry (SPEC.md §5.4: small tensors stay 32-bit).
double state_bytes(const OptimizerInfo& info, const OptimizerEntry& e, const ParamConfig& p) {
  EffectiveConfig cfg = resolve_config(info, e.args);
  for (const auto& o : e.overrides) {
    if (glob_match(o.pattern, p.name)) cfg = apply_override(info, cfg, o.values);
  }
  return state_bytes_bound(cfg, p.numel);
}

}  // namespace

MemoryEstimate estimate_memory(const Config& c, std::size_t trace_bytes) {
  MemoryEstimate m;
  m.trace = trace_bytes;
  double params = 0, states = 0, reference = 0;
  for (const auto& p : c.params) params += static_cast<double>(p.numel * dtype_size(p.dtype));
  for (const auto& e : c.optimizers) {
    const OptimizerInfo* info = e.peer ? nullptr : find_optimizer(e.name);
    if (!info) continue;  // a peer's states live in its library (not estimated)
    double entry_states = 0, entry_reference = 0;
    for (const auto& p : c.params) {
      entry_states += state_bytes(*info, e, p);
      const double rows = kernels::state_rows(info->algorithm);
      // fp64 parameters, states and a gradient, plus two double copies for the error pass and the
      // starting parameters of rel_travel (at most 4 bytes).
      entry_reference += static_cast<double>(p.numel) * 8.0 * (rows + 4.5);
    }
    // Under a budget at most budget + one paged tensor's state is resident; the rest lives in the
    // backing files (the run skips the timing without the budget when it would not fit).
    const PagedFootprint paged = paged_footprint(c, e);
    const std::size_t budget = c.paging.budget_for(e.label).bytes();
    if (budget > 0 && paged.total > budget + paged.largest) {
      entry_states -= static_cast<double>(paged.total - budget - paged.largest);
    }
    states += entry_states;
    if (c.reference != ReferenceMode::off) reference = std::max(reference, entry_reference);
  }
  // Every entry keeps its parameters and gradients; one shared copy of the initial values.
  m.params_and_grads = saturated(params * (2.0 * static_cast<double>(c.optimizers.size()) + 1.0));
  m.states = saturated(states);
  m.reference = saturated(reference);
  return m;
}

void check_memory(const Config& c, std::size_t trace_bytes) {
  const MemoryEstimate m = estimate_memory(c, trace_bytes);
  const std::size_t available = available_memory_bytes();
  if (available == 0) return;  // unknown (no /proc): do not guess
  const double needed = static_cast<double>(m.total()) * kSafetyFactor;
  if (needed > static_cast<double>(available)) {
    throw ConfigError(fmt::format(
        "the run needs about {:.2f} GiB (parameters and gradients {:.2f} GiB, optimizer states {:.2f} GiB, "
        "reference copies {:.2f} GiB, trace {:.2f} GiB, plus 10%) but only {:.2f} GiB is available (MemAvailable); "
        "use smaller shapes, fewer optimizer entries or \"reference\": {{\"mode\": \"off\"}}",
        needed / (1024.0 * 1024.0 * 1024.0), gib(m.params_and_grads), gib(m.states), gib(m.reference), gib(m.trace),
        gib(available)));
  }
}

}  // namespace bnb::app
