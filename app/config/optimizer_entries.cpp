#include "optimizer_entries.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/optimizer.hpp"
#include "glob.hpp"
#include "suggest.hpp"

namespace bnb::app {
namespace {

/// A JSON value as an optimizer argument of the given kind.
ArgValue to_arg(const Json& v, const std::string& path, const ArgSpec* spec) {
  const ArgKind kind = spec ? spec->kind
                       : v.is_boolean() ? ArgKind::boolean
                       : v.is_array()   ? ArgKind::betas
                       : v.is_null()    ? ArgKind::optional_number
                       : v.is_string()  ? ArgKind::choice
                                        : ArgKind::number;
  switch (kind) {
    case ArgKind::number: return as_number(v, path);
    case ArgKind::integer: return static_cast<double>(as_integer(v, path));
    case ArgKind::state_width:
      if (v.is_string()) return v.get<std::string>();  // "fp8"; the library rejects other words
      return static_cast<double>(as_integer(v, path));
    case ArgKind::boolean: return as_boolean(v, path);
    case ArgKind::choice: return as_string(v, path);
    case ArgKind::optional_number:
      if (v.is_null()) return std::monostate{};
      return as_number(v, path);
    case ArgKind::betas: {
      std::size_t expected = 0;
      if (spec) {
        if (const auto* d = std::get_if<std::vector<double>>(&spec->default_value)) expected = d->size();
      }
      if (!v.is_array()) {
        fail(path, fmt::format("expected {} numbers, got {}", expected ? std::to_string(expected) : "a list of",
                               describe(v)));
      }
      if (expected && v.size() != expected) {
        fail(path, fmt::format("expected {} numbers, got {}", expected, v.size()));
      }
      std::vector<double> values;
      for (std::size_t i = 0; i < v.size(); ++i) values.push_back(as_number(v[i], index_path(path, i)));
      return values;
    }
  }
  fail(path, "unsupported argument kind");
}

const ArgSpec* find_arg(const OptimizerInfo& info, std::string_view name) {
  for (const auto& a : info.args) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

/// Runs a library check and puts the JSON path in front of its message.
template <class F>
auto with_path(const std::string& path, F&& f) {
  try {
    return f();
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  }
}

bool valid_label(const std::string& label) {
  return !label.empty() && label != "." && label != ".." &&
         std::all_of(label.begin(), label.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
         });
}

void check_label(const OptimizerEntry& e) {
  if (!valid_label(e.label)) {
    fail(join_path(e.path, "label"), fmt::format("{} is not a usable label (letters, digits, '_', '-', '.', '+'; "
                                                 "it names dump files)", json_excerpt(Json(e.label))));
  }
}

}  // namespace

std::vector<std::string> parse_patterns(const Json& v, const std::string& path) {
  std::vector<std::string> patterns;
  if (v.is_string()) {
    patterns.push_back(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    for (std::size_t i = 0; i < v.size(); ++i) patterns.push_back(as_string(v[i], index_path(path, i)));
  } else {
    fail(path, fmt::format("expected a parameter name, a glob pattern or a list of them, got {}", describe(v)));
  }
  for (const auto& p : patterns) {
    if (p.empty()) fail(path, "a pattern must not be empty");
  }
  return patterns;
}

OptimizerEntry parse_optimizer(const Json& v, const std::string& path) {
  if (!v.is_object()) fail(path, fmt::format("expected an object, got {}", describe(v)));
  if (is_peer_entry(v, path)) {
    OptimizerEntry e = parse_peer_entry(v, path);
    check_label(e);
    return e;
  }
  const auto name_it = v.find("name");
  if (name_it == v.end()) fail(join_path(path, "name"), "required key is missing");
  const std::string name = as_string(*name_it, join_path(path, "name"));
  const OptimizerInfo* info = find_optimizer(name);
  if (!info) {
    const std::string guess = nearest_optimizer_name(name);
    fail(join_path(path, "name"), fmt::format("unknown optimizer {}{} (bnb-bench list shows them all)", json_excerpt(*name_it),
                                              guess.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", guess)));
  }
  std::vector<std::string> known = {"name", "label", "overrides", "implementation"};
  for (const auto& a : info->args) known.push_back(a.name);
  const JsonObject o(v, path, known);

  OptimizerEntry e;
  e.name = name;
  e.path = path;
  e.label = o.string("label").value_or(name);
  check_label(e);
  for (const auto& [key, value] : v.items()) {
    if (key == "name" || key == "label" || key == "overrides" || key == "implementation") continue;
    e.args[key] = to_arg(value, o.path_of(key), find_arg(*info, key));
  }
  const EffectiveConfig base = with_path(path, [&] { return resolve_config(*info, e.args); });

  if (const Json* list = o.find("overrides")) {
    const std::string opath = o.path_of("overrides");
    if (!list->is_array()) fail(opath, fmt::format("expected a list of overrides, got {}", describe(*list)));
    std::vector<std::string> override_keys = {"params"};
    for (const auto& k : overridable_keys()) override_keys.push_back(k);
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string ipath = index_path(opath, i);
      const JsonObject ov((*list)[i], ipath, override_keys);
      const auto patterns = parse_patterns(ov.require("params"), ov.path_of("params"));
      ArgMap values;
      for (const auto& [key, value] : (*list)[i].items()) {
        if (key == "params") continue;
        values[key] = to_arg(value, ov.path_of(key), find_arg(*info, key));
      }
      if (values.empty()) fail(ipath, "an override must set at least one key besides \"params\"");
      with_path(ipath, [&] { return apply_override(*info, base, values); });
      for (const auto& p : patterns) {
        e.overrides.push_back(Override{p, values});
        e.override_paths.push_back(ov.path_of("params"));
      }
    }
  }
  return e;
}

void check_optimizers(const Config& c) {
  std::shared_ptr<kernels::DeviceBackend> device;  // one for every entry's check
  if (c.device == Device::cuda) {
    std::string why;
    if (!kernels::cuda::cuda_available(&why)) fail("device", fmt::format("\"cuda\": {}", why));
    device = open_cuda_backend();
  }
  std::vector<std::string> names;
  for (const auto& p : c.params) names.push_back(p.name);
  auto check_pattern = [&](const std::string& pattern, const std::string& path) {
    if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return glob_match(pattern, n); })) {
      fail(path, fmt::format("pattern \"{}\" matches no parameter{} (parameters: {})", pattern,
                             did_you_mean(pattern, names), fmt::join(names, ", ")));
    }
  };
  for (std::size_t i = 0; i < c.workload.overrides.size(); ++i) {
    for (const auto& p : c.workload.overrides[i].patterns) {
      check_pattern(p, fmt::format("workload.overrides[{}].params", i));
    }
  }
  const auto specs = param_specs(c);
  for (const auto& e : c.optimizers) {
    if (e.peer) continue;  // checked by the library itself (check_peers)
    for (std::size_t k = 0; k < e.overrides.size(); ++k) check_pattern(e.overrides[k].pattern, e.override_paths[k]);
    OptimizerOptions options;
    options.threads = c.threads;
    options.device = c.device;
    options.backend = device;
    with_path(e.path, [&] { return Optimizer(e.name, e.args, specs, e.overrides, options); });
  }
}

}  // namespace bnb::app
