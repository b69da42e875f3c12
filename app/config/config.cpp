#include "config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/json_text.hpp"
#include "glob.hpp"
#include "input_file.hpp"
#include "json_fields.hpp"
#include "optimizer_entries.hpp"
#include "suggest.hpp"

namespace bnb::app {
namespace {

// Beyond 2^53 elements the count is not even exactly representable in the reports; no machine
// holds such a tensor, so it is a configuration error rather than a memory refusal.
constexpr double kMaxElements = 9007199254740992.0;

const std::vector<std::string> kTopKeys = {"schema", "name", "seed", "threads", "device", "params",
                                           "workload", "optimizers", "reference", "timing", "gates",
                                           "paging", "distributed"};
const std::vector<std::string> kDtypes = {"fp32", "fp16", "bf16"};
const std::vector<std::string> kKinds = {"gradients", "replay", "quadratic", "rosenbrock", "least_squares"};
const std::vector<std::string> kDistributions = {"normal", "heavy_tailed", "sparse"};

DType parse_dtype(const Json& v, std::string_view path) {
  const std::string s = as_choice(v, path, kDtypes);
  return s == "fp16" ? DType::f16 : s == "bf16" ? DType::bf16 : DType::f32;
}

GradDistribution parse_distribution(const Json& v, std::string_view path) {
  const std::string s = as_choice(v, path, kDistributions);
  return s == "heavy_tailed" ? GradDistribution::heavy_tailed
         : s == "sparse"     ? GradDistribution::sparse
                             : GradDistribution::normal;
}

double positive(double v, std::string_view path) {
  if (!(v > 0)) fail(path, fmt::format("must be > 0, got {}", v));
  return v;
}

double non_negative(double v, std::string_view path) {
  if (v < 0) fail(path, fmt::format("must be >= 0, got {}", v));
  return v;
}

double density_value(double v, std::string_view path) {
  if (!(v > 0 && v <= 1)) fail(path, fmt::format("must be in (0, 1], got {}", v));
  return v;
}

InitSpec parse_init(const Json& v, const std::string& path) {
  InitSpec init;
  const std::vector<std::string> kinds = {"normal", "uniform", "constant"};
  auto kind_of = [&](const std::string& s) {
    return s == "uniform" ? InitKind::uniform : s == "constant" ? InitKind::constant : InitKind::normal;
  };
  if (v.is_string()) {  // shorthand: "normal" = {"distribution": "normal"}
    init.kind = kind_of(as_choice(v, path, kinds));
    if (init.kind == InitKind::constant) init.scale = 0.0;
    return init;
  }
  const JsonObject o(v, path, {"distribution", "scale", "value"});
  if (const Json* d = o.find("distribution")) init.kind = kind_of(as_choice(*d, o.path_of("distribution"), kinds));
  if (init.kind == InitKind::constant) {
    if (o.find("scale")) fail(o.path_of("scale"), "not used by a constant init (use \"value\")");
    init.scale = o.number("value").value_or(0.0);
  } else {
    if (o.find("value")) fail(o.path_of("value"), "only used by a constant init (use \"scale\")");
    init.scale = non_negative(o.number("scale").value_or(0.1), o.path_of("scale"));
  }
  return init;
}

std::vector<std::size_t> parse_shape(const Json& v, const std::string& path, std::size_t& numel) {
  if (!v.is_array()) fail(path, fmt::format("expected a list of dimensions, got {}", describe(v)));
  std::vector<std::size_t> shape;
  double count = 1;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::int64_t d = as_integer(v[i], index_path(path, i));
    if (d <= 0) fail(index_path(path, i), fmt::format("dimensions must be positive, got {}", d));
    shape.push_back(static_cast<std::size_t>(d));
    count *= static_cast<double>(d);
    if (count > kMaxElements) {
      fail(path, fmt::format("the element count of shape {} overflows (more than 2^53 elements)", json_excerpt(v)));
    }
  }
  numel = 1;
  for (auto d : shape) numel *= d;
  return shape;
}

std::vector<ParamConfig> parse_params(const Json& v, const std::string& path) {
  if (!v.is_array()) fail(path, fmt::format("expected a list of parameters, got {}", describe(v)));
  if (v.empty()) fail(path, "at least one parameter is needed");
  std::vector<ParamConfig> params;
  std::set<std::string> names;
  double total = 0;  // exact below 2^53, the limit
  for (std::size_t i = 0; i < v.size(); ++i) {
    const JsonObject o(v[i], index_path(path, i), {"name", "shape", "dtype", "init"});
    ParamConfig p;
    p.name = o.required_string("name");
    if (p.name.empty()) fail(o.path_of("name"), "must not be empty");
    if (!names.insert(p.name).second) fail(o.path_of("name"), fmt::format("duplicate parameter name \"{}\"", p.name));
    p.shape = parse_shape(o.require("shape"), o.path_of("shape"), p.numel);
    total += static_cast<double>(p.numel);
    if (total > kMaxElements) fail(path, "the parameters hold more than 2^53 elements in total");
    if (const Json* d = o.find("dtype")) p.dtype = parse_dtype(*d, o.path_of("dtype"));
    if (const Json* init = o.find("init")) p.init = parse_init(*init, o.path_of("init"));
    params.push_back(std::move(p));
  }
  return params;
}

WorkloadConfig parse_workload(const Json& v, const std::filesystem::path& base_dir) {
  const JsonObject o(v, "workload",
                     {"kind", "steps", "distribution", "scale", "density", "overrides", "trace", "condition", "noise"});
  WorkloadConfig w;
  const std::string kind = as_choice(o.require("kind"), o.path_of("kind"), kKinds);
  w.kind = kind == "replay"          ? WorkloadKind::replay
           : kind == "quadratic"     ? WorkloadKind::quadratic
           : kind == "rosenbrock"    ? WorkloadKind::rosenbrock
           : kind == "least_squares" ? WorkloadKind::least_squares
                                     : WorkloadKind::gradients;
  w.steps = o.required_integer("steps");
  if (w.steps < 1) fail(o.path_of("steps"), fmt::format("must be at least 1, got {}", w.steps));

  auto only_for = [&](std::string_view key, bool allowed, std::string_view kinds) {
    if (o.find(key) && !allowed) fail(o.path_of(key), fmt::format("only allowed with kind {}", kinds));
  };
  const bool objective = w.kind == WorkloadKind::quadratic || w.kind == WorkloadKind::rosenbrock ||
                         w.kind == WorkloadKind::least_squares;
  only_for("distribution", w.kind == WorkloadKind::gradients, "\"gradients\"");
  only_for("scale", w.kind == WorkloadKind::gradients, "\"gradients\"");
  only_for("density", w.kind == WorkloadKind::gradients, "\"gradients\"");
  only_for("overrides", w.kind == WorkloadKind::gradients, "\"gradients\"");
  only_for("trace", w.kind == WorkloadKind::replay, "\"replay\"");
  only_for("condition", w.kind == WorkloadKind::quadratic, "\"quadratic\"");
  only_for("noise", objective, "\"quadratic\", \"rosenbrock\" or \"least_squares\"");

  if (const Json* d = o.find("distribution")) w.stream.distribution = parse_distribution(*d, o.path_of("distribution"));
  if (auto s = o.number("scale")) w.stream.scale = positive(*s, o.path_of("scale"));
  if (auto d = o.number("density")) w.stream.density = density_value(*d, o.path_of("density"));
  if (const Json* list = o.find("overrides")) {
    const std::string path = o.path_of("overrides");
    if (!list->is_array()) fail(path, fmt::format("expected a list of overrides, got {}", describe(*list)));
    for (std::size_t i = 0; i < list->size(); ++i) {
      const JsonObject e((*list)[i], index_path(path, i), {"params", "distribution", "scale", "density"});
      StreamOverride so;
      so.patterns = parse_patterns(e.require("params"), e.path_of("params"));
      if (const Json* d = e.find("distribution")) so.distribution = parse_distribution(*d, e.path_of("distribution"));
      if (auto s = e.number("scale")) so.scale = positive(*s, e.path_of("scale"));
      if (auto d = e.number("density")) so.density = density_value(*d, e.path_of("density"));
      w.overrides.push_back(std::move(so));
    }
  }
  if (w.kind == WorkloadKind::replay) {
    const std::string trace = o.required_string("trace");
    if (trace.empty()) fail(o.path_of("trace"), "must name a file");
    w.trace = std::filesystem::path(trace).is_absolute() ? std::filesystem::path(trace) : base_dir / trace;
  }
  if (auto c = o.number("condition")) {
    if (*c < 1) fail(o.path_of("condition"), fmt::format("must be >= 1, got {}", *c));
    w.condition = *c;
  }
  if (auto n = o.number("noise")) w.noise = non_negative(*n, o.path_of("noise"));
  return w;
}

}  // namespace

Config parse_config(std::string_view text, std::string_view source, const std::filesystem::path& base_dir) {
  const Json doc = parse_json_text(text, source);
  const JsonObject o(doc, "", kTopKeys);
  Config c;
  c.source = std::string(source);
  const Json& schema = o.require("schema");
  const std::int64_t version = as_integer(schema, "schema");
  if (version != kConfigSchema) {
    fail("schema", fmt::format("unsupported config schema {} (this bnb-bench reads schema {})", version, kConfigSchema));
  }
  c.name = o.string("name").value_or(std::filesystem::path(std::string(source)).stem().string());
  if (auto seed = o.integer("seed")) {
    if (*seed < 0) fail("seed", fmt::format("must be >= 0, got {}", *seed));
    c.seed = static_cast<std::uint64_t>(*seed);
  }
  c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (auto t = o.integer("threads")) {
    if (*t < 1 || *t > kMaxThreads) fail("threads", fmt::format("must be between 1 and {}, got {}", kMaxThreads, *t));
    c.threads = static_cast<int>(*t);
  }
  if (const Json* d = o.find("device")) c.device = as_choice(*d, "device", {"cpu", "cuda"}) == "cuda" ? Device::cuda : Device::cpu;

  c.workload = parse_workload(o.require("workload"), base_dir);
  if (const Json* p = o.find("params")) {
    c.params = parse_params(*p, "params");
  } else if (c.workload.kind != WorkloadKind::replay) {
    fail("params", "required key is missing (only a replay takes its parameters from the trace)");
  }

  const Json& opts = o.require("optimizers");
  if (!opts.is_array()) fail("optimizers", fmt::format("expected a list of optimizer entries, got {}", describe(opts)));
  if (opts.empty()) fail("optimizers", "at least one optimizer entry is needed");
  std::map<std::string, std::size_t> labels;
  for (std::size_t i = 0; i < opts.size(); ++i) {
    OptimizerEntry e = parse_optimizer(opts[i], index_path("optimizers", i));
    if (auto [it, fresh] = labels.emplace(e.label, i); !fresh) {
      fail(join_path(e.path, opts[i].contains("label") ? "label" : "name"),
           fmt::format("label \"{}\" is already used by optimizers[{}]; give each entry a distinct \"label\"", e.label,
                       it->second));
    }
    c.optimizers.push_back(std::move(e));
  }

  if (const Json* r = o.find("reference")) {
    const JsonObject ro(*r, "reference", {"mode", "params"});
    if (const Json* m = ro.find("mode")) {
      const std::string mode = as_choice(*m, "reference.mode", {"drift", "resync", "off"});
      c.reference = mode == "resync" ? ReferenceMode::resync : mode == "off" ? ReferenceMode::off : ReferenceMode::drift;
    }
    if (const Json* p = ro.find("params")) {
      c.reference_fp32_params = as_choice(*p, "reference.params", {"dtype", "fp32"}) == "fp32";
    }
  }
  if (const Json* t = o.find("timing")) {
    const JsonObject to(*t, "timing", {"enabled", "warmup_steps", "min_time_s", "min_samples", "timeout_s", "noise_target"});
    c.timing.enabled = to.boolean("enabled").value_or(true);
    if (auto w = to.integer("warmup_steps")) {
      if (*w < 0) fail("timing.warmup_steps", fmt::format("must be >= 0, got {}", *w));
      c.timing.warmup_steps = *w;
    }
    if (auto m = to.number("min_time_s")) c.timing.min_time_s = non_negative(*m, "timing.min_time_s");
    if (auto s = to.integer("min_samples")) {
      if (*s < 1) fail("timing.min_samples", fmt::format("must be at least 1, got {}", *s));
      c.timing.min_samples = *s;
    }
    if (auto s = to.number("timeout_s")) c.timing.timeout_s = positive(*s, "timing.timeout_s");
    if (auto n = to.number("noise_target")) c.timing.noise_target = non_negative(*n, "timing.noise_target");
  }
  if (const Json* g = o.find("gates")) {
    const JsonObject go(*g, "gates",
                        {"max_ns_per_param_step", "max_rel_travel", "max_rel_l2", "max_state_bytes_per_param",
                         "max_step_lr", "allow_nonfinite", "per_label", "relative_speed"});
    if (auto v = go.number("max_ns_per_param_step")) c.gates.max_ns_per_param_step = positive(*v, "gates.max_ns_per_param_step");
    if (auto v = go.number("max_rel_travel")) c.gates.max_rel_travel = non_negative(*v, "gates.max_rel_travel");
    if (auto v = go.number("max_rel_l2")) c.gates.max_rel_l2 = non_negative(*v, "gates.max_rel_l2");
    if (auto v = go.number("max_step_lr")) c.gates.max_step_lr = non_negative(*v, "gates.max_step_lr");
    if (auto v = go.number("max_state_bytes_per_param")) {
      c.gates.max_state_bytes_per_param = non_negative(*v, "gates.max_state_bytes_per_param");
    }
    c.gates.allow_nonfinite = go.boolean("allow_nonfinite").value_or(true);
    c.gates.extra = parse_extra_gates(*g, "gates");
    std::vector<std::string> entry_labels;
    for (const auto& e : c.optimizers) entry_labels.push_back(e.label);
    check_extra_gate_labels(c.gates.extra, entry_labels);
  }
  if (const Json* d = o.find("distributed")) {
    const JsonObject dobj(*d, "distributed", {"shard"});
    if (const Json* s = dobj.find("shard")) c.distributed.shard = as_choice(*s, "distributed.shard", {"blocks"});
  }
  if (const Json* p = o.find("paging")) {
    std::vector<std::string> entry_labels;
    for (const auto& e : c.optimizers) entry_labels.push_back(e.label);
    c.paging = parse_paging(*p, "paging", entry_labels);
  }
  return c;
}

Config load_config(const std::filesystem::path& file) {
  return parse_config(read_input_file(file, "config file"), file.string(), file.parent_path());
}

std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
    case DType::f32: break;
  }
  return "fp32";
}

std::string_view workload_kind_name(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::replay: return "replay";
    case WorkloadKind::quadratic: return "quadratic";
    case WorkloadKind::rosenbrock: return "rosenbrock";
    case WorkloadKind::least_squares: return "least_squares";
    case WorkloadKind::gradients: break;
  }
  return "gradients";
}

std::string_view distribution_name(GradDistribution d) {
  switch (d) {
    case GradDistribution::heavy_tailed: return "heavy_tailed";
    case GradDistribution::sparse: return "sparse";
    case GradDistribution::normal: break;
  }
  return "normal";
}

std::string_view reference_mode_name(ReferenceMode m) {
  switch (m) {
    case ReferenceMode::resync: return "resync";
    case ReferenceMode::off: return "off";
    case ReferenceMode::drift: break;
  }
  return "drift";
}

std::size_t total_numel(const Config& c) {
  std::size_t n = 0;
  for (const auto& p : c.params) n += p.numel;
  return n;
}

GradientStream stream_for(const WorkloadConfig& w, const std::string& name) {
  GradientStream s = w.stream;
  for (const auto& o : w.overrides) {
    const bool hit = std::any_of(o.patterns.begin(), o.patterns.end(), [&](const auto& p) { return glob_match(p, name); });
    if (!hit) continue;
    if (o.distribution) s.distribution = *o.distribution;
    if (o.scale) s.scale = *o.scale;
    if (o.density) s.density = *o.density;
  }
  return s;
}

std::vector<ParamSpec> param_specs(const Config& c) {
  std::vector<ParamSpec> specs;
  for (const auto& p : c.params) specs.push_back(ParamSpec{p.name, p.dtype, p.numel});
  return specs;
}

}  // namespace bnb::app
