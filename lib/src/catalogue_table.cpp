// The catalogue of SPEC.md §1 (names, algorithms, state widths, paging) and the argument lists
// with defaults of SPEC.md §2, built once as data.
#include <algorithm>
#include <array>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"
#include "bnb/kernels/algorithms/all.hpp"

namespace bnb {
namespace {

ArgSpec number(std::string name, double value, std::string help) {
  return {std::move(name), ArgKind::number, value, false, true, std::move(help)};
}
ArgSpec required_number(std::string name, std::string help) {
  return {std::move(name), ArgKind::number, std::monostate{}, true, true, std::move(help)};
}
ArgSpec integer(std::string name, double value, std::string help) {
  return {std::move(name), ArgKind::integer, value, false, true, std::move(help)};
}
ArgSpec boolean(std::string name, bool value, std::string help) {
  return {std::move(name), ArgKind::boolean, value, false, true, std::move(help)};
}
ArgSpec betas(std::vector<double> values, std::string help) {
  return {"betas", ArgKind::betas, std::move(values), false, true, std::move(help)};
}
ArgSpec optional_number(std::string name, std::string help) {
  return {std::move(name), ArgKind::optional_number, std::monostate{}, false, true, std::move(help)};
}
/// Accepted for compatibility with bitsandbytes, but the algorithm does not use it (SPEC.md §2).
ArgSpec without_effect(ArgSpec spec) {
  spec.has_effect = false;
  spec.help += " (accepted, no effect)";
  return spec;
}

/// A decay in (0, 1): 0 is rejected, unlike a beta (SPEC.md §2).
ArgSpec decay_rate(ArgSpec spec) {
  spec.decay_rate = true;
  return spec;
}

ArgSpec lr(double value) { return number("lr", value, "learning rate"); }
ArgSpec weight_decay(double value) { return number("weight_decay", value, "weight decay"); }
ArgSpec eps(double value) { return number("eps", value, "denominator term"); }
ArgSpec optim_bits(int fixed_bits) {
  ArgSpec spec = integer("optim_bits", fixed_bits != 0 ? fixed_bits : 32,
                         "state width: 8 or 32; 4 or \"fp8\" (extensions) for moment states");
  spec.kind = ArgKind::state_width;
  return spec;
}
ArgSpec min_8bit_size() {
  return integer("min_8bit_size", 4096, "tensors with fewer elements keep 32-bit state");
}
ArgSpec percentile_clipping() {
  return integer("percentile_clipping", 100, "gradient clipping percentile, 100 = off");
}
ArgSpec block_wise(bool value) { return boolean("block_wise", value, "one 8-bit scale per 256-element block"); }
ArgSpec is_paged() { return boolean("is_paged", false, "paged state memory"); }
ArgSpec skip_zeros(bool has_effect) {
  ArgSpec spec = boolean("skip_zeros", false, "leave elements with a zero gradient untouched");
  return has_effect ? spec : without_effect(spec);
}
/// Our extension (docs/param_rounding.md): how a 16-bit parameter stores its update.
ArgSpec param_rounding() {
  ArgSpec spec{"param_rounding", ArgKind::choice, std::string("nearest"), false, true,
               "16-bit parameters: nearest, stochastic (seeded) or compensated (a buffer of the parameter's dtype); "
               "no effect on fp32 parameters"};
  for (ParamRounding m : kAllParamRoundings) spec.choices.emplace_back(param_rounding_name(m));
  spec.extension = true;
  return spec;
}
/// Our extension (docs/eight_bit.md): not a bitsandbytes argument, off by default so that the
/// bitsandbytes names stay bit-compatible.
ArgSpec underflow_guard() {
  ArgSpec spec = boolean("underflow_guard", false,
                         "8-bit state: an element whose v would be stored as 0 stores 0 momentum too, and a "
                         "state value whose code would not move rounds stochastically toward its value "
                         "(bnb-bench extension, not in bitsandbytes)");
  spec.extension = true;
  return spec;
}
ArgSpec amsgrad() { return boolean("amsgrad", false, "not supported: must be false"); }

/// The 8-bit state arguments shared by most families.
void add_state_args(std::vector<ArgSpec>& args, int fixed_bits) {
  args.push_back(optim_bits(fixed_bits));
  args.push_back(min_8bit_size());
}

std::vector<ArgSpec> adam_args(double default_weight_decay, int fixed_bits, Paging paging) {
  std::vector<ArgSpec> args{lr(1e-3), betas({0.9, 0.999}, "first and second moment decay"), eps(1e-8),
                            weight_decay(default_weight_decay), amsgrad()};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  args.push_back(block_wise(true));
  if (paging == Paging::optional) args.push_back(is_paged());
  args.push_back(skip_zeros(true));
  args.push_back(underflow_guard());
  return args;
}

std::vector<ArgSpec> ademamix_args(int fixed_bits, Paging paging) {
  std::vector<ArgSpec> args{lr(1e-3),
                            betas({0.9, 0.999, 0.9999}, "fast EMA, second moment and slow EMA decay"),
                            number("alpha", 5.0, "slow EMA mixing weight"),
                            optional_number("t_alpha", "alpha scheduler horizon in steps, none = off"),
                            optional_number("t_beta3", "beta3 scheduler horizon in steps, none = off"),
                            eps(1e-8),
                            weight_decay(1e-2)};
  add_state_args(args, fixed_bits);
  if (paging == Paging::optional) args.push_back(is_paged());
  args.push_back(skip_zeros(false));  // SPEC.md §4.9: not honoured by ademamix
  args.push_back(underflow_guard());
  return args;
}

std::vector<ArgSpec> lamb_args(int fixed_bits) {
  std::vector<ArgSpec> args{lr(1e-3),
                            without_effect(boolean("bias_correction", true, "bias correction")),
                            betas({0.9, 0.999}, "first and second moment decay"),
                            eps(1e-8),
                            weight_decay(0),
                            amsgrad(),
                            without_effect(boolean("adam_w_mode", true, "decoupled weight decay"))};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  args.push_back(block_wise(false));
  args.push_back(number("max_unorm", 1.0, "update norm limit relative to the parameter norm"));
  args.push_back(skip_zeros(true));
  args.push_back(underflow_guard());
  return args;
}

/// The arguments SGD and LARS share (the momentum family), up to percentile_clipping.
std::vector<ArgSpec> momentum_family_args(int fixed_bits) {
  std::vector<ArgSpec> args{required_number("lr", "learning rate (required)"),
                            number("momentum", 0, "momentum: must be > 0"),
                            without_effect(number("dampening", 0, "dampening")),
                            weight_decay(0),
                            without_effect(boolean("nesterov", false, "Nesterov momentum"))};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  return args;
}

std::vector<ArgSpec> lars_args(int fixed_bits) {
  std::vector<ArgSpec> args = momentum_family_args(fixed_bits);
  args.push_back(number("max_unorm", 0.02, "update norm limit relative to the parameter norm"));
  args.push_back(skip_zeros(true));
  return args;
}

std::vector<ArgSpec> pytorch_lars_args() {
  return {lr(0.01),
          number("momentum", 0, "momentum"),
          number("dampening", 0, "dampening"),
          weight_decay(0),
          boolean("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening 0)"),
          number("max_unorm", 0.02, "update norm limit relative to the parameter norm, 0 = off"),
          skip_zeros(true)};
}

std::vector<ArgSpec> lion_args(int fixed_bits, Paging paging) {
  std::vector<ArgSpec> args{lr(1e-4), betas({0.9, 0.99}, "sign interpolation and momentum decay"),
                            weight_decay(0)};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  args.push_back(block_wise(true));
  if (paging == Paging::optional) args.push_back(is_paged());
  args.push_back(skip_zeros(true));
  return args;
}

std::vector<ArgSpec> rmsprop_args(int fixed_bits) {
  std::vector<ArgSpec> args{lr(1e-2),
                            decay_rate(number("alpha", 0.99, "squared-gradient decay: must be > 0")),
                            eps(1e-8),
                            weight_decay(0),
                            without_effect(number("momentum", 0, "momentum")),
                            boolean("centered", false, "not supported: must be false")};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  args.push_back(block_wise(true));
  args.push_back(skip_zeros(true));
  return args;
}

std::vector<ArgSpec> sgd_args(int fixed_bits) {
  std::vector<ArgSpec> args = momentum_family_args(fixed_bits);
  args.push_back(block_wise(true));
  args.push_back(skip_zeros(true));
  return args;
}

std::vector<ArgSpec> adagrad_args(int fixed_bits) {
  std::vector<ArgSpec> args{lr(1e-2),
                            number("lr_decay", 0, "not supported: must be 0"),
                            weight_decay(0),
                            number("initial_accumulator_value", 0, "not supported: must be 0"),
                            eps(1e-10)};
  add_state_args(args, fixed_bits);
  args.push_back(percentile_clipping());
  args.push_back(block_wise(true));
  args.push_back(skip_zeros(true));
  return args;
}

// ---------------------------------------------------------------------------------------------
// Hyper-parameter mappings (SPEC.md §2): arguments into the kernel's HyperParams

void map_betas(const ArgMap& args, HyperParams& h) {
  const std::vector<double> betas = betas_or_empty(args);
  h.beta1 = betas.at(0);
  h.beta2 = betas.at(1);
}
void map_three_betas(const ArgMap& args, HyperParams& h) {
  map_betas(args, h);
  h.beta3 = betas_or_empty(args).at(2);
  h.alpha = number_or(args, "alpha", 0);
  h.t_alpha = number_or(args, "t_alpha", 0);  // none -> 0 = no scheduler
  h.t_beta3 = number_or(args, "t_beta3", 0);
}
void map_momentum(const ArgMap& args, HyperParams& h) { h.beta1 = number_or(args, "momentum", 0); }
void map_alpha_decay(const ArgMap& args, HyperParams& h) { h.beta1 = number_or(args, "alpha", 0); }
void map_nothing(const ArgMap&, HyperParams&) {}

// ---------------------------------------------------------------------------------------------
// The rows

using ArgList = std::vector<ArgSpec> (*)(int fixed_bits, Paging paging);

struct FamilyRow {
  std::string_view family;
  Algorithm algorithm;
  Paging paging;        // of the plain names
  bool paged_variants;  // the family also has Paged<family>{,8bit,32bit}
  ArgList args;
  HyperMapping map_hyper;
};

/// SPEC.md §1 in table order; PytorchLARS is added after LARS.
const std::array kFamilies{
    FamilyRow{"Adagrad", Algorithm::adagrad, Paging::never, false, [](int b, Paging) { return adagrad_args(b); },
              map_nothing},
    FamilyRow{"Adam", Algorithm::adam, Paging::optional, true, [](int b, Paging p) { return adam_args(0, b, p); },
              map_betas},
    FamilyRow{"AdamW", Algorithm::adam, Paging::optional, true, [](int b, Paging p) { return adam_args(1e-2, b, p); },
              map_betas},
    FamilyRow{"AdEMAMix", Algorithm::ademamix, Paging::optional, true, ademamix_args, map_three_betas},
    FamilyRow{"LAMB", Algorithm::lamb, Paging::never, false, [](int b, Paging) { return lamb_args(b); }, map_betas},
    FamilyRow{"LARS", Algorithm::lars, Paging::never, false, [](int b, Paging) { return lars_args(b); }, map_momentum},
    FamilyRow{"Lion", Algorithm::lion, Paging::optional, true, lion_args, map_betas},
    FamilyRow{"RMSprop", Algorithm::rmsprop, Paging::never, false, [](int b, Paging) { return rmsprop_args(b); },
              map_alpha_decay},
    FamilyRow{"SGD", Algorithm::momentum, Paging::never, false, [](int b, Paging) { return sgd_args(b); },
              map_momentum},
};

OptimizerInfo width_info(const std::string& prefix, const FamilyRow& row, Paging paging, int bits) {
  OptimizerInfo info;
  info.name = prefix + std::string(row.family) + (bits == 0 ? "" : std::to_string(bits) + "bit");
  info.family = std::string(row.family);
  info.algorithm = row.algorithm;
  info.fixed_bits = bits;
  info.paging = paging;
  info.moment_states = kernels::with_algorithm(row.algorithm, []<class A>() { return A::kMomentStates; });
  info.args = row.args(bits, paging);
  info.args.push_back(param_rounding());
  info.map_hyper = row.map_hyper;
  return info;
}

void add_widths(std::vector<OptimizerInfo>& out, const std::string& prefix, const FamilyRow& row,
                Paging paging) {
  for (int bits : {0, 8, 32}) out.push_back(width_info(prefix, row, paging, bits));
}

/// `info` with optim_bits fixed to "fp8" (AdamWFp8, docs/fp8.md).
OptimizerInfo fp8_info(OptimizerInfo info) {
  info.name = info.family + "Fp8";
  info.fixed_fp8 = true;
  for (ArgSpec& a : info.args) {
    if (a.name == "optim_bits") a.default_value = std::string("fp8");
  }
  return info;
}

/// The extensions beyond bitsandbytes' names, after all of them (docs/four_bit.md, docs/fp8.md).
void add_extensions(std::vector<OptimizerInfo>& out) {
  for (const FamilyRow& row : kFamilies) {
    if (row.family != "Adam" && row.family != "AdamW") continue;
    OptimizerInfo info = width_info("", row, row.paging, 4);
    info.extension = true;
    out.push_back(info);
    out.push_back(fp8_info(width_info("", row, row.paging, 8)));
    out.back().extension = true;
  }
}

std::vector<OptimizerInfo> build_catalogue() {
  std::vector<OptimizerInfo> out;
  for (const FamilyRow& row : kFamilies) {
    add_widths(out, "", row, row.paging);
    if (row.paged_variants) add_widths(out, "Paged", row, Paging::always);
    if (row.family == "LARS") {
      OptimizerInfo info;
      info.name = "PytorchLARS";
      info.family = "PytorchLARS";
      info.algorithm = Algorithm::lars;
      info.fixed_bits = 32;
      info.reference_form = true;
      info.args = pytorch_lars_args();
      info.map_hyper = row.map_hyper;
      out.push_back(std::move(info));
    }
  }
  add_extensions(out);
  return out;
}

}  // namespace

const ArgSpec* OptimizerInfo::find_arg(std::string_view arg_name) const {
  const auto it = std::find_if(args.begin(), args.end(), [&](const ArgSpec& a) { return a.name == arg_name; });
  return it == args.end() ? nullptr : &*it;
}

std::vector<std::string> OptimizerInfo::arg_names() const {
  std::vector<std::string> names;
  names.reserve(args.size());
  for (const auto& a : args) names.push_back(a.name);
  return names;
}

const std::vector<OptimizerInfo>& catalogue() {
  static const std::vector<OptimizerInfo> table = build_catalogue();
  return table;
}

const OptimizerInfo* find_optimizer(std::string_view name) {
  const auto& table = catalogue();
  const auto it = std::find_if(table.begin(), table.end(), [&](const OptimizerInfo& i) { return i.name == name; });
  return it == table.end() ? nullptr : &*it;
}

const OptimizerInfo& require_optimizer(std::string_view name) {
  if (const OptimizerInfo* info = find_optimizer(name)) return *info;
  throw ConfigError("unknown optimizer '" + std::string(name) + "' (did you mean '" + nearest_optimizer_name(name) +
                    "'?); `bnb-bench list` shows every name");
}

std::string nearest_optimizer_name(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& info : catalogue()) names.push_back(info.name);
  return nearest_name(name, names);
}

const std::vector<std::string>& overridable_keys() {
  static const std::vector<std::string> keys{
      "lr",         "betas",         "eps",       "weight_decay", "alpha",      "t_alpha",
      "t_beta3",    "optim_bits",    "min_8bit_size", "max_unorm", "skip_zeros", "percentile_clipping",
      "block_wise", "param_rounding"};
  return keys;
}

std::string_view paging_name(Paging p) {
  switch (p) {
    case Paging::never: return "never";
    case Paging::optional: return "optional (is_paged)";
    case Paging::always: return "always";
  }
  return "unknown";
}

}  // namespace bnb
