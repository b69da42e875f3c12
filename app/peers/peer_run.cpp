#include "peers/peer_run.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "bnb/safetensors.hpp"
#include "bnb/state_rules.hpp"
#include "error_stats.hpp"
#include "travel_error.hpp"

namespace bnb::app {
namespace {

/// A request the library answered with an error, or a bridge that died: the entry's failure.
struct PeerFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::int64_t> shape_of(const ParamConfig& p) { return {p.shape.begin(), p.shape.end()}; }

/// The reference's arguments as the catalogue takes them (numbers, flags, lists of numbers).
ArgMap to_arg_map(const nlohmann::json& args) {
  ArgMap out;
  for (const auto& [key, v] : args.items()) {
    if (v.is_boolean()) {
      out[key] = v.get<bool>();
    } else if (v.is_number()) {
      out[key] = v.get<double>();
    } else if (v.is_array()) {
      out[key] = v.get<std::vector<double>>();
    } else if (v.is_string()) {
      out[key] = v.get<std::string>();
    } else {
      out[key] = std::monostate{};
    }
  }
  return out;
}

void write_file(const std::filesystem::path& path, const SafetensorsWriter& w) {
  const std::vector<std::byte> image = w.serialize();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  if (!out) throw IoError(fmt::format("{}: cannot write the tensors for the peer bridge", path.string()));
}

}  // namespace

PeerRun::PeerRun(const Config& c, const OptimizerEntry& entry, const PeerLauncher& launcher,
                 const std::filesystem::path& scratch, EntryResult& result)
    : config_(c), entry_(entry), result_(result), scratch_(scratch) {
  const PeerSpec& spec = *entry.peer;
  result_.label = entry.label;
  result_.optimizer = spec.implementation + "." + spec.class_name;
  result_.algorithm = "unknown";
  result_.state_bits = 0;  // unknown until the library's states are measured
  result_.steps = c.workload.steps;
  result_.implementation = {{"name", spec.implementation}, {"class", spec.class_name}, {"kwargs", spec.kwargs}};
  for (const auto& p : c.params) {
    grads_.emplace_back(p.dtype, p.numel);
    numel_ += p.numel;
  }
  process_ = std::make_unique<PeerProcess>(launcher, scratch / (entry.label + ".stderr"));
}

nlohmann::json PeerRun::call(const nlohmann::json& req) {
  nlohmann::json reply;
  try {
    reply = process_->request(req);
  } catch (const PeerCrash& e) {
    throw PeerFailed(fmt::format("{}{}", e.what(), process_->stderr_tail()));
  }
  if (!reply.value("ok", false)) throw PeerFailed(reply.value("error", std::string("(the bridge gave no message)")));
  return reply;
}

void PeerRun::start(const std::vector<TensorBuffer>& initial) {
  const std::filesystem::path init = scratch_ / (entry_.label + ".init.safetensors");
  SafetensorsWriter w;
  nlohmann::json params = nlohmann::json::array();
  for (std::size_t i = 0; i < config_.params.size(); ++i) {
    const ParamConfig& p = config_.params[i];
    const std::string dtype(tensor_dtype_name(tensor_dtype_of(p.dtype)));
    w.add("init/" + p.name, tensor_dtype_of(p.dtype), shape_of(p),
          std::span(static_cast<const std::byte*>(initial[i].data()), initial[i].bytes()));
    params.push_back({{"name", p.name}, {"shape", p.shape}, {"dtype", dtype}});
  }
  write_file(init, w);
  const PeerSpec& spec = *entry_.peer;
  const nlohmann::json reply = call({{"op", "create"},
                                     {"implementation", spec.implementation},
                                     {"class", spec.class_name},
                                     {"kwargs", spec.kwargs},
                                     {"params", params},
                                     {"threads", config_.threads},
                                     {"device", config_.device == Device::cuda ? "cuda" : "cpu"},
                                     {"init", init.string()}});
  std::filesystem::remove(init);
  result_.implementation["versions"] = reply.value("versions", nlohmann::json::object());
  nlohmann::json per_param = nlohmann::json::object();
  for (const auto& p : config_.params) {
    per_param[p.name] = {{"implementation", spec.implementation},
                         {"class", spec.class_name},
                         {"args", reply.value("kwargs", nlohmann::json::object())}};
  }
  result_.effective_config = per_param;
  set_reference(reply.value("reference", nlohmann::json()));
}

void PeerRun::set_reference(const nlohmann::json& reference) {
  const std::string no_reference = "no fp64 reference (error not measured): ";
  if (!reference.is_object()) {
    result_.warnings.push_back(no_reference + entry_.peer->class_name +
                               " with these arguments computes no update of the bnb-bench catalogue");
    return;
  }
  const std::string name = reference.value("optimizer", std::string());
  const OptimizerInfo* info = find_optimizer(name);
  if (!info) {
    result_.warnings.push_back(no_reference + fmt::format("the bridge named \"{}\", not in the catalogue", name));
    return;
  }
  // Arguments the catalogue does not know (a library's own switches such as foreach) do not
  // change the update the bridge named; the catalogue validates the rest.
  ArgMap args = to_arg_map(reference.value("args", nlohmann::json::object()));
  std::erase_if(args, [&](const auto& kv) { return info->find_arg(kv.first) == nullptr; });
  try {
    const EffectiveConfig cfg = resolve_config(*info, args);
    reference_configs_.assign(config_.params.size(), cfg);
    result_.algorithm = std::string(algorithm_name(cfg.algorithm));
    result_.implementation["reference"] = reference;
  } catch (const ConfigError& e) {
    result_.warnings.push_back(no_reference + e.what());
    return;
  }
  for (const auto& key : reference.value("states", nlohmann::json::array())) state_keys_.push_back(key.get<std::string>());
}

void PeerRun::write_grads(const std::string& file) const {
  SafetensorsWriter w;
  for (std::size_t i = 0; i < config_.params.size(); ++i) {
    const ParamConfig& p = config_.params[i];
    w.add("grad/" + p.name, tensor_dtype_of(p.dtype), shape_of(p),
          std::span(static_cast<const std::byte*>(grads_[i].data()), grads_[i].bytes()));
  }
  write_file(file, w);
}

void PeerRun::read_back(const std::string& file, bool with_states) {
  const SafetensorsFile f = SafetensorsFile::read(file);
  states_.resize(config_.params.size());
  for (std::size_t i = 0; i < config_.params.size(); ++i) {
    const ParamConfig& p = config_.params[i];
    const TensorEntry& t = f.at("param/" + p.name);
    if (t.dtype != tensor_dtype_of(p.dtype) || t.data.size() != params_[i].bytes()) {
      throw PeerFailed(fmt::format("the bridge returned param/{} as {} {}, expected {} of {} elements", p.name,
                                   tensor_dtype_name(t.dtype), shape_string(t.shape),
                                   tensor_dtype_name(tensor_dtype_of(p.dtype)), p.numel));
    }
    std::memcpy(params_[i].data(), t.data.data(), t.data.size());
    if (!with_states) continue;
    states_[i].clear();
    for (const auto& key : state_keys_) {
      const TensorEntry* s = f.find("state/" + p.name + "/" + key);
      if (!s || s->numel() != p.numel) break;  // rows after a missing one cannot be matched
      states_[i].push_back(to_f32_values(*s));
    }
  }
}

void PeerRun::accuracy_pass(const Workload& w, const std::vector<TensorBuffer>& initial, Progress& progress,
                            const std::string& progress_prefix) {
  try {
    start(initial);
    params_ = initial;
    const Config& c = config_;
    const std::size_t tensors = params_.size();
    const bool resync = c.reference == ReferenceMode::resync;
    std::unique_ptr<ReferenceModel> ref;
    if (c.reference != ReferenceMode::off && !reference_configs_.empty()) {
      ref = std::make_unique<ReferenceModel>(reference_configs_, params_, c.threads);
    }
    auto travel_of_reference = [&] {
      TravelAccumulator travel;
      for (std::size_t i = 0; i < tensors; ++i) travel.add(ref->param(i), initial[i].to_double(c.threads));
      return travel;
    };
    const std::string grads_file = (scratch_ / (entry_.label + ".grads.safetensors")).string();
    const std::string out_file = (scratch_ / (entry_.label + ".out.safetensors")).string();

    ErrorResult error;
    ObjectiveResult objective;
    auto objective_loss = [&](auto&& values_of) {
      double total = 0;
      for (std::size_t i = 0; i < tensors; ++i) total += w.loss(i, values_of(i)) * static_cast<double>(params_[i].numel());
      return total / static_cast<double>(numel_);
    };
    auto distance = [&](auto&& values_of) {
      double sq = 0;
      for (std::size_t i = 0; i < tensors; ++i) sq += w.distance_squared(i, values_of(i));
      return std::sqrt(sq);
    };
    auto product_values = [&](std::size_t i) { return params_[i].to_double(c.threads); };
    if (w.is_objective()) {
      objective.initial_loss = objective_loss(product_values);
      objective.initial_distance = distance(product_values);
    }

    std::vector<std::vector<double>> ref_grads(tensors);
    for (std::int64_t t = 0; t < c.workload.steps; ++t) {
      for (std::size_t i = 0; i < tensors; ++i) {
        w.gradient(i, t, params_[i], grads_[i]);
        result_.nonfinite.gradients += grads_[i].count_nonfinite(c.threads);
        if (!ref) continue;
        if (resync) ref->resync(i, params_[i], states_.empty() ? std::vector<std::vector<float>>{} : states_[i], t);
        if (w.is_objective() && !resync) {
          w.gradient(i, t, ref->param(i), ref_grads[i]);
        } else {
          ref_grads[i] = grads_[i].to_double(c.threads);
        }
      }
      write_grads(grads_file);
      const bool last = t + 1 == c.workload.steps;
      const bool read = ref || w.is_objective() || last;
      const bool with_states = resync || last;
      call({{"op", "step"},
            {"grads", grads_file},
            {"out", read ? nlohmann::json(out_file) : nlohmann::json()},
            {"states", with_states}});
      if (read) read_back(out_file, with_states);
      if (ref) {
        ErrorAccumulator acc;
        for (std::size_t i = 0; i < tensors; ++i) {
          ref->step(i, ref_grads[i]);
          acc.add(params_[i].to_double(c.threads), ref->param(i));
        }
        error.curve.push_back(acc.stats().rel_l2);
        error.curve_rel_travel.push_back(travel_of_reference().relative(acc.difference_norm()));
      }
      if (w.is_objective()) objective.loss_curve.push_back(objective_loss(product_values));
      progress.update(fmt::format("{}: step {}/{}", progress_prefix, t + 1, c.workload.steps));
    }
    std::filesystem::remove(grads_file);
    std::filesystem::remove(out_file);

    if (ref) {
      ErrorAccumulator param_acc;
      std::map<std::string, ErrorAccumulator> state_acc;
      for (std::size_t i = 0; i < tensors; ++i) {
        param_acc.add(params_[i].to_double(c.threads), ref->param(i));
        if (i >= states_.size()) continue;
        for (int r = 0; r < static_cast<int>(states_[i].size()) && r < ref->rows(i); ++r) {
          state_acc[state_name(reference_configs_[i], r)].add(
              states_[i][static_cast<std::size_t>(r)], ref->state(i, r));
        }
      }
      error.param = param_acc.stats();
      error.rel_travel = travel_of_reference().relative(param_acc.difference_norm());
      for (auto& [name, acc] : state_acc) error.states[name] = acc.stats();
      if (w.is_objective()) objective.reference_loss = objective_loss([&](std::size_t i) { return ref->param(i); });
    }
    if (w.is_objective()) {
      objective.loss = objective.loss_curve.empty() ? objective.initial_loss : objective.loss_curve.back();
      objective.distance_to_optimum = distance(product_values);
      if (objective.reference_loss) error.loss_gap = objective.loss - *objective.reference_loss;
      result_.objective = objective;
    }
    if (ref) result_.error = std::move(error);
    for (std::size_t i = 0; i < tensors; ++i) {
      result_.nonfinite.params += params_[i].count_nonfinite(c.threads);
      if (i >= states_.size()) continue;
      for (const auto& row : states_[i]) {
        for (float v : row) result_.nonfinite.states += std::isfinite(v) ? 0u : 1u;
      }
    }
    fill_memory();
  } catch (const PeerFailed& e) {
    result_.failure = e.what();
  }
  // From here on the peer works on its own copies (timing reuses the gradients it holds).
  params_ = {};
  grads_ = {};
  states_ = {};
}

void PeerRun::fill_memory() {
  const nlohmann::json m = call({{"op", "memory"}});
  MemoryStats& out = result_.memory;
  out.state_bytes = m.value("state_bytes", std::size_t{0});
  out.resident_state_bytes = out.state_bytes;
  out.state_bytes_per_param = numel_ ? static_cast<double>(out.state_bytes) / static_cast<double>(numel_) : 0;
  out.buffers = m.value("buffers", std::map<std::string, std::size_t>{});
  out.peak_rss_bytes = m.value("peak_rss_bytes", std::size_t{0});
  // The width of a state element, for the "bits" column: 8-bit states with their block scales
  // round to 8, fp32 ones to 32.
  if (!state_keys_.empty() && numel_) {
    const double bits = 8.0 * static_cast<double>(out.state_bytes) /
                        (static_cast<double>(numel_) * static_cast<double>(state_keys_.size()));
    result_.state_bits = static_cast<int>(std::lround(bits));
  } else {
    result_.state_bits = 0;
  }
}

void PeerRun::dump(const std::string& dir) {
  if (failed()) return;
  const std::string path = (std::filesystem::path(dir) / (entry_.label + ".safetensors")).string();
  const PeerSpec& spec = *entry_.peer;
  try {
    call({{"op", "dump"},
          {"path", path},
          {"metadata",
           {{"label", entry_.label},
            {"run_name", config_.name},
            {"seed", std::to_string(config_.seed)},
            {"steps", std::to_string(config_.workload.steps)},
            {"workload", std::string(workload_kind_name(config_.workload.kind))},
            {"produced_by", "bnb-bench run (peer bridge)"},
            {"implementation", spec.implementation},
            {"class", spec.class_name},
            {"kwargs", spec.kwargs.dump()},
            {"versions", result_.implementation.value("versions", nlohmann::json::object()).dump()}}}});
    result_.dump_file = path;
  } catch (const PeerFailed& e) {
    result_.failure = fmt::format("--dump: {}", e.what());
  }
}

std::optional<double> PeerRun::run_steps(std::int64_t steps) {
  if (failed()) return std::nullopt;
  try {
    return call({{"op", "time"}, {"steps", steps}}).at("seconds").get<double>();
  } catch (const PeerFailed& e) {
    result_.failure = e.what();
    return std::nullopt;
  }
}

void PeerRun::finish() {
  if (failed()) return;
  if (result_.time && result_.time->median > 0) result_.throughput.params_per_s = 1e9 / result_.time->median;
  try {
    fill_memory();
  } catch (const PeerFailed& e) {
    result_.failure = e.what();
  }
}

}  // namespace bnb::app
