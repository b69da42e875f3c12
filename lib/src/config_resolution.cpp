// From user arguments (and per-parameter overrides) to the effective configuration a tensor's
// step runs: type checks, the validation table of SPEC.md §2, defaults, and the beta mapping.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"

namespace bnb {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

/// Every configuration error has the shape "<Optimizer>: <argument>: <problem> (accepted: ...)".
[[noreturn]] void fail(const OptimizerInfo& info, std::string_view arg, const std::string& problem,
                       std::string_view accepted) {
  throw ConfigError(info.name + ": " + std::string(arg) + ": " + problem + " (accepted: " +
                    std::string(accepted) + ")");
}

/// The names of the algorithms of the list that clip, alphabetical, joined "a, b and c".
std::string clipping_algorithms() {
  std::vector<std::string> names;
  for (Algorithm a : kAllAlgorithms) {
    if (kernels::clips_update_norm(a)) names.emplace_back(algorithm_name(a));
  }
  std::sort(names.begin(), names.end());
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return text;
}

bool is_sgd_or_lars_family(const OptimizerInfo& info) { return info.family == "SGD" || info.family == "LARS"; }

std::vector<std::string> choices_of(std::string_view name) {
  std::vector<std::string> words;
  if (name == "param_rounding") {
    for (ParamRounding m : kAllParamRoundings) words.emplace_back(param_rounding_name(m));
  }
  return words;
}

std::optional<ParamRounding> parse_param_rounding(const std::string& word) {
  for (ParamRounding m : kAllParamRoundings) {
    if (word == param_rounding_name(m)) return m;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Types

/// The kind of an overridable key on a class that does not take it as an argument.
ArgKind override_kind(std::string_view key) {
  if (key == "betas") return ArgKind::betas;
  if (key == "t_alpha" || key == "t_beta3") return ArgKind::optional_number;
  if (key == "optim_bits") return ArgKind::state_width;
  if (key == "min_8bit_size" || key == "percentile_clipping") return ArgKind::integer;
  if (key == "skip_zeros" || key == "block_wise") return ArgKind::boolean;
  if (key == "param_rounding") return ArgKind::choice;
  return ArgKind::number;
}

std::string_view kind_text(ArgKind kind) {
  switch (kind) {
    case ArgKind::number: return "a finite number";
    case ArgKind::integer: return "a whole number";
    case ArgKind::boolean: return "true or false";
    case ArgKind::betas: return "a list of numbers";
    case ArgKind::optional_number: return "none or a finite number";
    case ArgKind::choice: return "a word";
    case ArgKind::state_width: return "a whole number or \"fp8\"";
  }
  return "";
}

void check_finite(const OptimizerInfo& info, std::string_view name, ArgKind kind, double x) {
  if (!std::isfinite(x)) fail(info, name, "expected a finite number, got " + to_string(x), kind_text(kind));
}

/// Checks that `value` has the shape `kind` asks for; `beta_count` 0 accepts any non-empty list.
void check_type(const OptimizerInfo& info, std::string_view name, ArgKind kind, const ArgValue& value,
                std::size_t beta_count) {
  const auto wrong = [&](std::string_view expected, std::string_view accepted) {
    fail(info, name, "expected " + std::string(expected) + ", got " + to_string(value), accepted);
  };
  switch (kind) {
    case ArgKind::boolean:
      if (!std::holds_alternative<bool>(value)) wrong("true or false", kind_text(kind));
      return;
    case ArgKind::choice:
      if (!std::holds_alternative<std::string>(value)) wrong("a word", join(choices_of(name)));
      return;
    case ArgKind::state_width:
      if (const auto* word = std::get_if<std::string>(&value)) {
        if (*word != "fp8") wrong("a whole number or \"fp8\"", kind_text(kind));
        return;
      }
      check_type(info, name, ArgKind::integer, value, beta_count);
      return;
    case ArgKind::number:
    case ArgKind::integer:
    case ArgKind::optional_number: {
      if (kind == ArgKind::optional_number && std::holds_alternative<std::monostate>(value)) return;
      if (!std::holds_alternative<double>(value)) wrong(kind == ArgKind::integer ? "a whole number" : "a number", kind_text(kind));
      const double x = std::get<double>(value);
      check_finite(info, name, kind, x);
      if (kind == ArgKind::integer && x != std::floor(x)) wrong("a whole number", kind_text(kind));
      return;
    }
    case ArgKind::betas: {
      const std::string count_text = beta_count == 0 ? "numbers" : std::to_string(beta_count) + " numbers";
      const std::string accepted = "a list of " + count_text + ", each in [0, 1)";
      if (!std::holds_alternative<std::vector<double>>(value)) wrong("a list of " + count_text, accepted);
      const auto& list = std::get<std::vector<double>>(value);
      if ((beta_count != 0 && list.size() != beta_count) || list.empty()) {
        fail(info, name, "expected " + count_text + ", got " + std::to_string(list.size()), accepted);
      }
      for (double b : list) check_finite(info, name, kind, b);
      return;
    }
  }
}

std::size_t beta_count_of(const ArgSpec& spec) {
  const auto* list = std::get_if<std::vector<double>>(&spec.default_value);
  return list ? list->size() : 0;
}

// ---------------------------------------------------------------------------------------------
// Ranges (SPEC.md §2 validation table), per argument

void check_beta(const OptimizerInfo& info, std::string_view name, double b, std::string_view accepted) {
  if (b < 0 || b >= 1) fail(info, name, to_string(b) + " is outside [0, 1)", accepted);
}

void check_non_negative(const OptimizerInfo& info, std::string_view name, double x) {
  if (x < 0) fail(info, name, to_string(x) + " is negative", ">= 0");
}

void check_value(const OptimizerInfo& info, const ArgSpec* spec, const std::string& name, const ArgValue& value) {
  const auto* number = std::get_if<double>(&value);
  if (name == "betas") {
    const auto& list = std::get<std::vector<double>>(value);
    for (std::size_t i = 0; i < list.size(); ++i) {
      check_beta(info, "betas[" + std::to_string(i) + "]", list[i], "each beta in [0, 1)");
    }
  } else if (name == "lr" || name == "eps" || name == "weight_decay" || name == "max_unorm" ||
             name == "min_8bit_size" || name == "t_alpha" || name == "t_beta3") {
    // t_alpha/t_beta3 are step horizons; a negative one would flip the scheduler (decision).
    if (number) check_non_negative(info, name, *number);
    // A whole-number size must also fit the std::size_t it becomes (every double up to 2^53 does).
    if (name == "min_8bit_size" && *number > 9007199254740992.0) {
      fail(info, name, to_string(value) + " is too large", "0 to 2^53");
    }
  } else if (name == "momentum" || name == "dampening") {
    check_beta(info, name, *number, "0 <= " + name + " < 1");
  } else if (spec != nullptr && spec->decay_rate) {
    check_beta(info, name, *number, "0 < " + name + " < 1");
    if (*number == 0) fail(info, name, "0 is not supported (" + info.family + " needs a decaying average)", "0 < " + name + " < 1");
  } else if (name == "alpha") {
    check_non_negative(info, name, *number);  // a mixing weight (decision: >= 0)
  } else if (name == "optim_bits") {
    const std::string accepted = info.moment_states ? "4, 8, 32 or \"fp8\"" : "8 or 32";
    if (!number) {  // "fp8" (check_type accepts no other word)
      if (!info.moment_states) {
        fail(info, name, to_string(value) + " is not a state width of " + info.family + " (fp8 state is for moment states)",
             accepted);
      }
    } else if (*number != 8 && *number != 32 && !(*number == 4 && info.moment_states)) {
      fail(info, name, to_string(value) + " is not a state width" +
                           (*number == 4 ? " of " + info.family + " (4-bit state is for moment states)" : std::string()),
           accepted);
    }
  } else if (name == "percentile_clipping") {
    if (*number < 1 || *number > 100) fail(info, name, to_string(value) + " is outside [1, 100]", "1 to 100, 100 = off");
  } else if (name == "lr_decay" || name == "initial_accumulator_value") {
    if (*number != 0) fail(info, name, to_string(value) + " is not supported", "0");
  } else if (name == "param_rounding") {
    const auto& word = std::get<std::string>(value);
    if (!parse_param_rounding(word)) {
      fail(info, name, "'" + word.substr(0, 40) + "' is not a rounding mode, did you mean '" +
                           nearest_name(word, choices_of(name)) + "'?", join(choices_of(name)));
    }
  } else if (name == "amsgrad" || name == "centered") {
    if (std::get<bool>(value)) fail(info, name, "true is not supported", "false");
  }
}

// ---------------------------------------------------------------------------------------------
// Rules that involve the class or several arguments

void check_class_rules(const OptimizerInfo& info, const ArgMap& args, bool check_fixed_width) {
  if (is_sgd_or_lars_family(info) && number_or(args, "momentum", 0) == 0) {
    fail(info, "momentum", "0 is not supported (" + info.family + " without momentum is not supported)",
         "0 < momentum < 1");
  }
  if (check_fixed_width && info.fixed_bits != 0 && args.count("optim_bits") != 0) {
    const ArgValue& given = args.at("optim_bits");
    const ArgValue fixed = info.fixed_fp8 ? ArgValue(std::string("fp8")) : ArgValue(static_cast<double>(info.fixed_bits));
    if (given != fixed) {
      const std::string width = info.fixed_fp8 ? std::string("fp8") : std::to_string(info.fixed_bits) + "-bit";
      fail(info, "optim_bits", to_string(given) + " contradicts the class's fixed " + width + " state", to_string(fixed));
    }
  }
  if (info.family == "LAMB" && info.fixed_bits == 8 && number_or(args, "max_unorm", 1.0) != 1.0) {
    fail(info, "max_unorm", to_string(number_or(args, "max_unorm", 1.0)) + " is not supported by LAMB8bit", "1.0");
  }
  if (info.reference_form && bool_or(args, "nesterov", false)) {
    if (number_or(args, "momentum", 0) <= 0) {
      fail(info, "nesterov", "true needs momentum > 0, got momentum = " + to_string(number_or(args, "momentum", 0)),
           "nesterov with momentum > 0 and dampening = 0");
    }
    if (number_or(args, "dampening", 0) != 0) {
      fail(info, "nesterov", "true needs dampening = 0, got dampening = " + to_string(number_or(args, "dampening", 0)),
           "nesterov with momentum > 0 and dampening = 0");
    }
  }
}

/// Warnings for accepted arguments that the algorithm does not use (SPEC.md §2 Decision).
std::vector<std::string> ignored_arguments(const OptimizerInfo& info, const ArgMap& args) {
  std::vector<std::string> notes;
  for (const ArgSpec& spec : info.args) {
    if (spec.has_effect) continue;
    const auto it = args.find(spec.name);
    if (it != args.end() && it->second != spec.default_value) {
      notes.push_back(info.name + ": " + spec.name + "=" + to_string(it->second) +
                      " is accepted but has no effect (SPEC.md §2)");
    }
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------
// Effective configuration

HyperParams hyper_params(const OptimizerInfo& info, const ArgMap& args) {
  HyperParams h;
  h.lr = number_or(args, "lr", 0);
  h.weight_decay = number_or(args, "weight_decay", 0);
  h.skip_zeros = bool_or(args, "skip_zeros", false);
  h.eps = info.find_arg("eps") ? number_or(args, "eps", 0) : 0.0;  // families without eps: 0
  h.beta1 = h.beta2 = h.beta3 = h.alpha = h.t_alpha = h.t_beta3 = 0;
  info.map_hyper(args, h);  // the catalogue row's mapping
  h.max_unorm = kernels::clips_update_norm(info.algorithm) ? number_or(args, "max_unorm", 0) : 0.0;
  return h;
}

EffectiveConfig derive(const OptimizerInfo& info, const ArgMap& args) {
  EffectiveConfig c;
  c.optimizer = info.name;
  c.algorithm = info.algorithm;
  c.reference_form = info.reference_form;
  const auto bits = args.find("optim_bits");
  c.fp8 = !info.reference_form && bits != args.end() && std::holds_alternative<std::string>(bits->second);
  c.optim_bits = info.reference_form ? 32 : c.fp8 ? 8 : static_cast<int>(number_or(args, "optim_bits", 32));
  switch (info.paging) {
    case Paging::never: c.paged = false; break;
    case Paging::optional: c.paged = bool_or(args, "is_paged", false); break;
    case Paging::always: c.paged = true; break;
  }
  const bool one_scale_per_tensor = info.algorithm == Algorithm::lars;  // LARS, PytorchLARS
  c.block_wise = !one_scale_per_tensor && bool_or(args, "block_wise", true);
  c.min_8bit_size = static_cast<std::size_t>(number_or(args, "min_8bit_size", 4096));
  c.underflow_guard = bool_or(args, "underflow_guard", false);
  c.percentile_clipping = info.reference_form ? 100.0 : number_or(args, "percentile_clipping", 100);
  if (info.reference_form) {
    c.nesterov = bool_or(args, "nesterov", false);
    c.dampening = number_or(args, "dampening", 0);
  }
  c.hyper = hyper_params(info, args);
  c.args = args;
  if (!info.reference_form) {
    c.param_rounding = parse_param_rounding(string_or(args, "param_rounding", "nearest")).value();
  }
  // Recorded only when it changes a step, so that runs without it read as before (the effective
  // configuration in results/baseline.json and in existing checkpoints).
  if (c.param_rounding == ParamRounding::nearest) c.args.erase("param_rounding");
  return c;
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

// ---------------------------------------------------------------------------------------------
// Overrides of keys the class has no argument for

/// Whether an overridable key that is not an argument of the class still changes its steps.
bool takes_effect_without_argument(const OptimizerInfo& info, std::string_view key) {
  if (info.reference_form) return false;  // the plain fp32 form has no 8-bit state or clipping
  if (key == "max_unorm") return kernels::clips_update_norm(info.algorithm);
  if (key == "block_wise") return info.algorithm != Algorithm::lars;  // LARS: one scale (SPEC.md §2)
  if (key == "percentile_clipping") return true;
  return false;
}

std::string no_effect_reason(const OptimizerInfo& info, std::string_view key) {
  if (key == "max_unorm") return "max_unorm only clips " + clipping_algorithms();
  const bool state_key = key == "optim_bits" || key == "min_8bit_size" || key == "block_wise" || key == "percentile_clipping";
  if (info.reference_form && state_key) return "PytorchLARS is the plain fp32 form";
  if (key == "block_wise") return "LARS always keeps one scale per tensor";
  return info.name + " has no " + std::string(key) + " argument";
}

}  // namespace

EffectiveConfig resolve_config(const OptimizerInfo& info, const ArgMap& args) {
  for (const auto& [name, value] : args) {
    if (!info.find_arg(name)) {
      const std::vector<std::string> names = info.arg_names();
      fail(info, name, "unknown argument, did you mean '" + nearest_name(name, names) + "'?", join(names));
    }
  }
  ArgMap full;
  for (const ArgSpec& spec : info.args) {
    const auto given = args.find(spec.name);
    if (given == args.end()) {
      if (spec.required) fail(info, spec.name, "is required", std::string(kind_text(spec.kind)) + " >= 0");
      full[spec.name] = spec.default_value;
      continue;
    }
    check_type(info, spec.name, spec.kind, given->second, beta_count_of(spec));
    check_value(info, &spec, spec.name, given->second);
    full[spec.name] = given->second;
  }
  check_class_rules(info, full, /*check_fixed_width=*/true);
  EffectiveConfig c = derive(info, full);
  c.ignored = ignored_arguments(info, full);
  return c;
}

EffectiveConfig apply_override(const OptimizerInfo& info, const EffectiveConfig& base, const ArgMap& values) {
  const auto& keys = overridable_keys();
  ArgMap merged = base.args;
  std::vector<std::string> notes;
  for (const auto& [key, value] : values) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw ConfigError(info.name + ": override key '" + key + "' cannot be overridden; overridable: " + join(keys));
    }
    const ArgSpec* spec = info.find_arg(key);
    check_type(info, key, spec ? spec->kind : override_kind(key), value, spec ? beta_count_of(*spec) : 0);
    check_value(info, spec, key, value);
    if (spec || takes_effect_without_argument(info, key)) {
      merged[key] = value;
    } else {
      notes.push_back(info.name + ": override " + key + "=" + to_string(value) + " has no effect (" +
                      no_effect_reason(info, key) + ")");
    }
  }
  // An override's optim_bits wins over a fixed-width class (SPEC.md §8's canonical use).
  check_class_rules(info, merged, /*check_fixed_width=*/false);
  EffectiveConfig c = derive(info, merged);
  c.ignored = base.ignored;
  append_unique(c.ignored, ignored_arguments(info, merged));
  append_unique(c.ignored, notes);
  return c;
}

}  // namespace bnb
