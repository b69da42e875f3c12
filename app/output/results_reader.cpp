#include "results_reader.hpp"

#include <fmt/core.h>

#include <limits>

#include "bnb/errors.hpp"

namespace bnb::app {
namespace {

using Json = nlohmann::json;

/// One entry's fields, each read at its path with the document's name in errors.
class Reader {
 public:
  Reader(const Json& node, std::string_view doc, std::string path) : node_(node), doc_(doc), path_(std::move(path)) {}

  const Json* find(std::string_view key) const {
    if (!node_.is_object()) return nullptr;
    const auto it = node_.find(key);
    return it == node_.end() ? nullptr : &*it;
  }
  /// A sub-object; nullopt when absent or null.
  std::optional<Reader> object(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_object()) fail(key, "expected an object");
    return Reader(*v, doc_, path_ + "." + std::string(key));
  }
  double number(std::string_view key, double fallback = 0) const {
    const Json* v = find(key);
    if (v == nullptr) return fallback;
    return as_number(*v, key);
  }
  std::vector<double> numbers(std::string_view key) const {
    std::vector<double> out;
    const Json* v = find(key);
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) fail(key, "expected an array of numbers");
    for (const Json& x : *v) out.push_back(as_number(x, key));
    return out;
  }
  std::string string(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_string()) fail(key, "expected a string");
    return v->get<std::string>();
  }
  bool boolean(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr || v->is_null()) return false;
    if (!v->is_boolean()) fail(key, "expected true or false");
    return v->get<bool>();
  }
  const Json& json() const { return node_; }

 private:
  double as_number(const Json& v, std::string_view key) const {
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number()) fail(key, "expected a number");
    return v.get<double>();
  }
  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw DataError(fmt::format("{}: {}.{}: {}", doc_, path_, key, what));
  }

  const Json& node_;
  std::string_view doc_;
  std::string path_;
};

ErrorStats error_stats(const Reader& r) {
  ErrorStats s;
  s.max_abs = r.number("max_abs");
  s.mean_abs = r.number("mean_abs");
  s.rel_l2 = r.number("rel_l2");
  s.max_rel = r.number("max_rel");
  s.count = static_cast<std::size_t>(r.number("elements"));
  return s;
}

TimeStats time_stats(const Reader& ns) {
  TimeStats s;
  s.median = ns.number("median");
  s.min = ns.number("min");
  s.max = ns.number("max");
  s.iqr = ns.number("iqr");
  s.samples = ns.numbers("samples");
  s.steps_per_sample = static_cast<std::int64_t>(ns.number("steps_per_sample", 1));
  s.timed_out = ns.boolean("timed_out");
  return s;
}

std::optional<PagedTiming> paged_timing(const std::optional<Reader>& t) {
  if (!t) return std::nullopt;
  PagedTiming p;
  p.steps = static_cast<std::int64_t>(t->number("timed_steps"));
  p.evicted_bytes_per_step = t->number("evicted_bytes_per_step");
  p.restored_bytes_per_step = t->number("restored_bytes_per_step");
  if (auto f = t->object("page_faults_per_step")) {
    p.major_faults_per_step = f->number("major");
    p.minor_faults_per_step = f->number("minor");
  }
  p.resident_peak_bytes = static_cast<std::size_t>(t->number("resident_peak_bytes"));
  return p;
}

PagingResult paging_from(const Reader& r) {
  PagingResult p;
  p.budget_bytes = static_cast<std::size_t>(r.number("budget_bytes"));
  p.largest_tensor_bytes = static_cast<std::size_t>(r.number("largest_tensor_state_bytes"));
  p.resident_end_bytes = static_cast<std::size_t>(r.number("resident_end_bytes"));
  p.timed = paged_timing(r.object("timed"));
  const auto unlimited = r.object("unlimited");
  p.unlimited = paged_timing(unlimited);
  if (unlimited) {
    if (auto t = unlimited->object("time")) {
      if (auto ns = t->object("ns_per_param_step")) p.unlimited_time = time_stats(*ns);
    }
  }
  return p;
}

EntryResult entry_from(const Reader& r) {
  EntryResult e;
  e.label = r.string("label");
  e.optimizer = r.string("optimizer");
  e.algorithm = r.string("algorithm");
  e.state_bits = static_cast<int>(r.number("state_bits", 32));
  e.paged = r.boolean("paged");
  e.start_step = static_cast<std::int64_t>(r.number("start_step"));
  e.steps = static_cast<std::int64_t>(r.number("steps"));
  if (const Json* c = r.find("effective_config")) e.effective_config = *c;
  if (auto t = r.object("time")) {
    if (auto ns = t->object("ns_per_param_step")) e.time = time_stats(*ns);
  }
  if (auto t = r.object("throughput")) {
    e.throughput.params_per_s = t->number("params_per_s");
    e.throughput.bytes_per_s = t->number("bytes_per_s");
    e.throughput.roofline_fraction = t->number("roofline_fraction");
    e.throughput.bytes_per_step = t->number("bytes_per_step");
    e.throughput.floor_ns_per_param = t->number("floor_ns_per_param");
  }
  if (auto m = r.object("memory")) {
    e.memory.state_bytes = static_cast<std::size_t>(m->number("state_bytes"));
    e.memory.state_bytes_per_param = m->number("state_bytes_per_param");
    e.memory.overhead_bytes = static_cast<std::size_t>(m->number("overhead_bytes"));
    e.memory.peak_rss_bytes = static_cast<std::size_t>(m->number("peak_rss_bytes"));
    e.memory.paged_bytes = static_cast<std::size_t>(m->number("paged_bytes"));
    e.memory.resident_state_bytes = static_cast<std::size_t>(m->number("resident_state_bytes"));
  }
  if (auto p = r.object("paging")) e.paging = paging_from(*p);
  if (auto er = r.object("error")) {
    ErrorResult err;
    if (auto p = er->object("param")) {
      err.param = error_stats(*p);
      err.rel_travel = p->number("rel_travel", std::numeric_limits<double>::quiet_NaN());
    }
    if (auto states = er->object("states")) {
      for (auto it = states->json().begin(); it != states->json().end(); ++it) {
        if (auto s = states->object(it.key())) err.states[it.key()] = error_stats(*s);
      }
    }
    err.curve = er->numbers("curve");
    err.curve_rel_travel = er->numbers("curve_rel_travel");
    if (er->find("loss_gap")) err.loss_gap = er->number("loss_gap");
    e.error = std::move(err);
  }
  if (auto q = r.object("quantization")) {
    QuantizationResult qr;
    qr.underflows = static_cast<std::uint64_t>(q->number("underflows"));
    if (q->find("first_underflow_step") && !q->json()["first_underflow_step"].is_null()) {
      qr.first_underflow_step = static_cast<std::int64_t>(q->number("first_underflow_step"));
    }
    if (auto by = q->object("underflows_by_state")) {
      for (auto it = by->json().begin(); it != by->json().end(); ++it) {
        qr.underflows_by_state[it.key()] = static_cast<std::uint64_t>(by->number(it.key()));
      }
    }
    qr.max_step_lr = q->number("max_step_lr");
    e.quantization = std::move(qr);
  }
  if (auto o = r.object("objective")) {
    ObjectiveResult obj;
    obj.loss_curve = o->numbers("loss_curve");
    obj.initial_loss = o->number("initial_loss");
    obj.loss = o->number("loss");
    obj.optimum_loss = o->number("optimum_loss");
    obj.initial_distance = o->number("initial_distance");
    obj.distance_to_optimum = o->number("distance_to_optimum");
    if (o->find("reference_loss")) obj.reference_loss = o->number("reference_loss");
    e.objective = std::move(obj);
  }
  if (auto n = r.object("nonfinite")) {
    e.nonfinite.gradients = static_cast<std::uint64_t>(n->number("gradients"));
    e.nonfinite.params = static_cast<std::uint64_t>(n->number("params"));
    e.nonfinite.states = static_cast<std::uint64_t>(n->number("states"));
  }
  if (const Json* failed = r.find("gates_failed"); failed && failed->is_array()) {
    for (const Json& f : *failed) {
      const std::string name = f.is_string() ? f.get<std::string>() : "";
      e.gate_failures |= name == "speed" ? 1 : name == "accuracy" ? 2 : name == "memory" ? 4 : name == "nonfinite" ? 8 : 0;
    }
  }
  e.dump_file = r.string("dump");
  return e;
}

}  // namespace

RunResult run_result_from_json(const Json& doc, std::string_view name) {
  RunResult r;
  const std::pair<const char*, Json*> sections[] = {{"tool", &r.tool}, {"machine", &r.machine}, {"run", &r.run}};
  for (const auto& [key, target] : sections) {
    if (doc.contains(key) && doc[key].is_object()) *target = doc[key];
  }
  if (r.run.is_object() && r.run.contains("wall_seconds") && r.run["wall_seconds"].is_number()) {
    r.wall_seconds = r.run["wall_seconds"].get<double>();
  }
  const Json& entries = doc.at("entries");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    r.entries.push_back(entry_from(Reader(entries[i], name, fmt::format("entries[{}]", i))));
    r.exit_bits |= r.entries.back().gate_failures;
  }
  if (doc.contains("exit_code") && doc["exit_code"].is_number_integer()) r.exit_bits = doc["exit_code"].get<int>();
  return r;
}

}  // namespace bnb::app
