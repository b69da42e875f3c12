#include "paging_result.hpp"

#include <algorithm>

namespace bnb::app {

void SampleFaults::stop(std::int64_t sample_steps) {
  const PageFaults now = process_page_faults();
  minor += now.minor - at_start_.minor;
  major += now.major - at_start_.major;
  steps += sample_steps;
}

PagingResult paging_setup(const Optimizer& opt) {
  PagingResult p;
  p.budget_bytes = opt.options().paged_budget_bytes;
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    p.largest_tensor_bytes = std::max(p.largest_tensor_bytes, opt.paged_state_bytes(i));
  }
  return p;
}

PagedTiming paged_timing(const PagingCounters& c, const SampleFaults& f) {
  PagedTiming t;
  t.steps = f.steps;
  t.resident_peak_bytes = c.peak_resident_bytes;
  if (f.steps == 0) return t;
  const auto steps = static_cast<double>(f.steps);
  t.evicted_bytes_per_step = static_cast<double>(c.evicted_bytes) / steps;
  t.restored_bytes_per_step = static_cast<double>(c.restored_bytes) / steps;
  t.major_faults_per_step = static_cast<double>(f.major) / steps;
  t.minor_faults_per_step = static_cast<double>(f.minor) / steps;
  return t;
}

}  // namespace bnb::app
