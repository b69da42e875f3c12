#include <nlohmann/json.hpp>

#include "render.hpp"

namespace bnb::app {
namespace {

nlohmann::json error_json(const ErrorStats& s) {
  return {{"max_abs", s.max_abs}, {"mean_abs", s.mean_abs}, {"rel_l2", s.rel_l2}, {"max_rel", s.max_rel},
          {"elements", s.count}};
}

nlohmann::json time_json(const TimeStats& t) {
  return {{"ns_per_param_step",
           {{"median", t.median}, {"min", t.min}, {"max", t.max}, {"iqr", t.iqr}, {"samples", t.samples},
            {"steps_per_sample", t.steps_per_sample}, {"timed_out", t.timed_out}}}};
}

nlohmann::json paged_timing_json(const std::optional<PagedTiming>& t) {
  if (!t) return nullptr;
  return {{"timed_steps", t->steps},
          {"evicted_bytes_per_step", t->evicted_bytes_per_step},
          {"restored_bytes_per_step", t->restored_bytes_per_step},
          {"page_faults_per_step", {{"major", t->major_faults_per_step}, {"minor", t->minor_faults_per_step}}},
          {"resident_peak_bytes", t->resident_peak_bytes}};
}

nlohmann::json paging_json(const PagingResult& p) {
  nlohmann::json j = {{"budget_bytes", p.budget_bytes},
                      {"largest_tensor_state_bytes", p.largest_tensor_bytes},
                      {"resident_end_bytes", p.resident_end_bytes},
                      {"timed", paged_timing_json(p.timed)},
                      {"unlimited", paged_timing_json(p.unlimited)}};
  if (p.unlimited && p.unlimited_time) j["unlimited"]["time"] = time_json(*p.unlimited_time);
  return j;
}

nlohmann::json entry_json(const EntryResult& e) {
  nlohmann::json j;
  j["label"] = e.label;
  j["optimizer"] = e.optimizer;
  j["algorithm"] = e.algorithm;
  j["state_bits"] = e.state_bits;
  j["paged"] = e.paged;
  j["start_step"] = e.start_step;
  j["steps"] = e.steps;
  j["effective_config"] = e.effective_config;
  j["warnings"] = e.warnings;
  j["time"] = e.time ? time_json(*e.time) : nlohmann::json(nullptr);
  const Throughput& t = e.throughput;
  j["throughput"] = {{"params_per_s", t.params_per_s},
                     {"bytes_per_s", t.bytes_per_s},
                     {"roofline_fraction", t.roofline_fraction},
                     {"bytes_per_step", t.bytes_per_step},
                     {"floor_ns_per_param", t.floor_ns_per_param},
                     {"floor_spread", t.floor_spread},
                     {"floor_samples", t.floor_samples},
                     {"floor_memory_level", t.floor_memory_level}};
  const MemoryStats& m = e.memory;
  j["memory"] = {{"state_bytes", m.state_bytes},
                 {"state_bytes_per_param", m.state_bytes_per_param},
                 {"overhead_bytes", m.overhead_bytes},
                 {"buffers", m.buffers},
                 {"peak_rss_bytes", m.peak_rss_bytes},
                 {"paged_bytes", m.paged_bytes},
                 {"resident_state_bytes", m.resident_state_bytes},
                 {"page_faults", {{"minor", m.minor_faults}, {"major", m.major_faults}}}};
  if (m.device_used_before_bytes && m.device_used_after_bytes) {
    j["memory"]["device_used_bytes"] = {{"before", *m.device_used_before_bytes}, {"after", *m.device_used_after_bytes}};
  }
  if (e.paging) j["paging"] = paging_json(*e.paging);
  if (e.distributed) {
    const DistributedResult& d = *e.distributed;
    j["distributed"] = {{"ranks", d.state_bytes.size()},
                        {"state_bytes", d.state_bytes},
                        {"peak_rss_bytes", d.peak_rss_bytes},
                        {"step_seconds", d.step_seconds},
                        {"communication_seconds_per_step", d.communication_seconds_per_step}};
  }
  if (e.error) {
    nlohmann::json states = nlohmann::json::object();
    for (const auto& [name, s] : e.error->states) states[name] = error_json(s);
    nlohmann::json param = error_json(e.error->param);
    param["rel_travel"] = e.error->rel_travel;
    j["error"] = {{"param", param}, {"states", states}, {"curve", e.error->curve},
                  {"curve_rel_travel", e.error->curve_rel_travel}};
    if (e.error->loss_gap) j["error"]["loss_gap"] = *e.error->loss_gap;
  } else {
    j["error"] = nullptr;
  }
  if (e.objective) {
    const ObjectiveResult& o = *e.objective;
    j["objective"] = {{"loss", o.loss},
                      {"initial_loss", o.initial_loss},
                      {"optimum_loss", o.optimum_loss},
                      {"distance_to_optimum", o.distance_to_optimum},
                      {"initial_distance", o.initial_distance},
                      {"loss_curve", o.loss_curve}};
    if (o.reference_loss) j["objective"]["reference_loss"] = *o.reference_loss;
  }
  if (const auto& q = e.quantization) {
    j["quantization"] = {{"underflows", q->underflows},
                         {"first_underflow_step", q->first_underflow_step ? nlohmann::json(*q->first_underflow_step) : nullptr},
                         {"underflows_by_state", q->underflows_by_state},
                         {"max_step_lr", q->max_step_lr}};
  }
  j["nonfinite"] = {{"gradients", e.nonfinite.gradients}, {"params", e.nonfinite.params}, {"states", e.nonfinite.states}};
  nlohmann::json failed = nlohmann::json::array();
  if (e.gate_failures & 1) failed.push_back("speed");
  if (e.gate_failures & 2) failed.push_back("accuracy");
  if (e.gate_failures & 4) failed.push_back("memory");
  if (e.gate_failures & 8) failed.push_back("nonfinite");
  j["gates_failed"] = failed;
  if (!e.dump_file.empty()) j["dump"] = e.dump_file;
  if (!e.implementation.is_null()) j["implementation"] = e.implementation;
  if (e.failure) j["failure"] = *e.failure;
  return j;
}

}  // namespace

std::string render_json(const RunResult& r) {
  nlohmann::json doc;
  doc["schema_version"] = kResultsSchemaVersion;
  doc["tool"] = r.tool;
  doc["machine"] = r.machine;
  doc["run"] = r.run;
  doc["run"]["wall_seconds"] = r.wall_seconds;
  nlohmann::json entries = nlohmann::json::array();
  nlohmann::json effective = nlohmann::json::object();
  for (const auto& e : r.entries) {
    entries.push_back(entry_json(e));
    effective[e.label] = e.effective_config;
  }
  doc["effective_config"] = effective;
  doc["entries"] = entries;
  doc["exit_code"] = r.exit_bits;
  return doc.dump(2) + "\n";
}

}  // namespace bnb::app
