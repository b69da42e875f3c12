#include <fmt/format.h>

#include "render.hpp"

namespace bnb::app {
namespace {

/// RFC 4180 quoting when a field needs it.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) { return fmt::format("{:.9g}", v); }

/// The paging columns: empty for an entry without paged state or without timing.
void add_paging(std::vector<std::string>& f, const std::optional<PagingResult>& p) {
  const std::size_t before = f.size();
  if (p) {
    f.push_back(std::to_string(p->budget_bytes));
    f.push_back(p->unlimited_time ? num(p->unlimited_time->median) : "");
    if (p->timed) {
      const PagedTiming& t = *p->timed;
      f.insert(f.end(), {num(t.evicted_bytes_per_step), num(t.restored_bytes_per_step), num(t.major_faults_per_step),
                         num(t.minor_faults_per_step), std::to_string(p->resident_end_bytes),
                         std::to_string(t.resident_peak_bytes)});
    }
  }
  f.resize(before + 8);
}

}  // namespace

std::string render_csv(const RunResult& r) {
  std::string out =
      "label,optimizer,algorithm,state_bits,paged,ns_per_param_step_median,ns_per_param_step_min,"
      "ns_per_param_step_max,ns_per_param_step_iqr,samples,params_per_s,bytes_per_s,roofline_fraction,state_bytes,"
      "state_bytes_per_param,peak_rss_bytes,param_max_abs,param_mean_abs,param_rel_l2,param_max_rel,state1_rel_l2,"
      "state2_rel_l2,loss,loss_gap,nonfinite_gradients,nonfinite_params,nonfinite_states,param_rel_travel,"
      "paging_budget_bytes,paging_unlimited_ns_per_param_step_median,evicted_bytes_per_step,"
      "restored_bytes_per_step,major_faults_per_step,minor_faults_per_step,resident_end_bytes,resident_peak_bytes\n";
  for (const auto& e : r.entries) {
    std::vector<std::string> f = {field(e.label), field(e.optimizer), e.algorithm, std::to_string(e.state_bits),
                                  e.paged ? "true" : "false"};
    if (e.time) {
      f.insert(f.end(), {num(e.time->median), num(e.time->min), num(e.time->max), num(e.time->iqr),
                         std::to_string(e.time->samples.size()), num(e.throughput.params_per_s)});
      // Another library's step has no bytes-moved model: empty cells, as the table's "-".
      const bool modelled = e.implementation.is_null();
      f.insert(f.end(), {modelled ? num(e.throughput.bytes_per_s) : "",
                         modelled ? num(e.throughput.roofline_fraction) : ""});
    } else {
      f.insert(f.end(), 8, "");
    }
    f.insert(f.end(), {std::to_string(e.memory.state_bytes), num(e.memory.state_bytes_per_param),
                       std::to_string(e.memory.peak_rss_bytes)});
    if (e.error) {
      const auto& p = e.error->param;
      f.insert(f.end(), {num(p.max_abs), num(p.mean_abs), num(p.rel_l2), num(p.max_rel)});
      auto s1 = e.error->states.find("state1");
      auto s2 = e.error->states.find("state2");
      f.push_back(s1 != e.error->states.end() ? num(s1->second.rel_l2) : "");
      f.push_back(s2 != e.error->states.end() ? num(s2->second.rel_l2) : "");
    } else {
      f.insert(f.end(), 6, "");
    }
    f.push_back(e.objective ? num(e.objective->loss) : "");
    f.push_back(e.error && e.error->loss_gap ? num(*e.error->loss_gap) : "");
    f.insert(f.end(), {std::to_string(e.nonfinite.gradients), std::to_string(e.nonfinite.params),
                       std::to_string(e.nonfinite.states)});
    f.push_back(e.error ? num(e.error->rel_travel) : "");
    add_paging(f, e.paging);
    out += fmt::format("{}\n", fmt::join(f, ","));
  }
  return out;
}

}  // namespace bnb::app
