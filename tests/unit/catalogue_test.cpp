// The optimizer catalogue (SPEC.md §1), its arguments and defaults (§2), validation, overrides
// (§8), and the generated docs/catalogue.md.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "bnb/catalogue.hpp"
#include "bnb/errors.hpp"

namespace bnb {
namespace {

using Betas = std::vector<double>;

const OptimizerInfo& info_of(const std::string& name) {
  const OptimizerInfo* info = find_optimizer(name);
  if (!info) throw std::runtime_error("no optimizer " + name);
  return *info;
}

/// The smallest arguments that construct: SGD and LARS need lr and a non-zero momentum.
ArgMap minimal_args(const OptimizerInfo& info) {
  if (info.family == "SGD" || info.family == "LARS") return {{"lr", 0.1}, {"momentum", 0.9}};
  return {};
}

/// The message of the ConfigError `f` throws; fails the test when it does not throw one.
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

std::string resolve_error(const std::string& name, ArgMap args) {
  const auto& info = info_of(name);
  ArgMap all = minimal_args(info);
  for (auto& [k, v] : args) all[k] = v;
  return config_error([&] { resolve_config(info, all); });
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(Catalogue, HasTheFortyOptimizerNamesOfSpecInOrder) {
  const std::vector<std::string> expected{
      "Adagrad", "Adagrad8bit", "Adagrad32bit", "Adam", "Adam8bit", "Adam32bit", "PagedAdam", "PagedAdam8bit",
      "PagedAdam32bit", "AdamW", "AdamW8bit", "AdamW32bit", "PagedAdamW", "PagedAdamW8bit", "PagedAdamW32bit",
      "AdEMAMix", "AdEMAMix8bit", "AdEMAMix32bit", "PagedAdEMAMix", "PagedAdEMAMix8bit", "PagedAdEMAMix32bit",
      "LAMB", "LAMB8bit", "LAMB32bit", "LARS", "LARS8bit", "LARS32bit", "PytorchLARS", "Lion", "Lion8bit",
      "Lion32bit", "PagedLion", "PagedLion8bit", "PagedLion32bit", "RMSprop", "RMSprop8bit", "RMSprop32bit",
      "SGD", "SGD8bit", "SGD32bit"};
  std::vector<std::string> names;
  for (const auto& info : catalogue()) {
    if (!info.extension) names.push_back(info.name);
  }
  EXPECT_EQ(names, expected);
  // SPEC.md §1 counts 41 public names: these 40 optimizers and GlobalOptimManager (overrides).
  EXPECT_EQ(names.size(), 40u);
  EXPECT_EQ(find_optimizer("GlobalOptimManager"), nullptr);
}

TEST(Catalogue, ExtensionsFollowTheBitsandbytesNames) {
  // docs/four_bit.md, docs/fp8.md: the 4-bit and fp8 classes, after every bitsandbytes name and
  // marked as extensions.
  std::vector<std::string> extensions;
  bool seen_extension = false;
  for (const auto& info : catalogue()) {
    if (info.extension) {
      extensions.push_back(info.name);
      EXPECT_EQ(info.fixed_bits, info.fixed_fp8 ? 8 : 4) << info.name;
    }
    EXPECT_TRUE(info.extension || !seen_extension) << info.name << " follows an extension";
    seen_extension = seen_extension || info.extension;
  }
  EXPECT_EQ(extensions, (std::vector<std::string>{"Adam4bit", "AdamFp8", "AdamW4bit", "AdamWFp8"}));
  EXPECT_EQ(std::get<std::string>(info_of("AdamWFp8").find_arg("optim_bits")->default_value), "fp8");
  EXPECT_EQ(find_optimizer("GlobalOptimManager"), nullptr);
}

TEST(Catalogue, AlgorithmWidthAndPagingFollowTheName) {
  const std::map<std::string, Algorithm> algorithm_of_family{
      {"Adagrad", Algorithm::adagrad}, {"Adam", Algorithm::adam},   {"AdamW", Algorithm::adam},
      {"AdEMAMix", Algorithm::ademamix}, {"LAMB", Algorithm::lamb}, {"LARS", Algorithm::lars},
      {"PytorchLARS", Algorithm::lars}, {"Lion", Algorithm::lion},  {"RMSprop", Algorithm::rmsprop},
      {"SGD", Algorithm::momentum}};
  const std::set<std::string> optionally_paged{"Adam", "AdamW", "AdEMAMix", "Lion"};
  for (const auto& info : catalogue()) {
    SCOPED_TRACE(info.name);
    ASSERT_TRUE(algorithm_of_family.count(info.family));
    EXPECT_EQ(info.algorithm, algorithm_of_family.at(info.family));
    const bool paged_name = info.name.rfind("Paged", 0) == 0;
    const bool ends_8 = info.name.size() > 4 && info.name.substr(info.name.size() - 4) == "8bit";
    const bool ends_32 = info.name.size() > 5 && info.name.substr(info.name.size() - 5) == "32bit";
    const bool ends_4 = !ends_32 && info.name.size() > 4 && info.name.substr(info.name.size() - 4) == "4bit";
    const bool ends_fp8 = info.name.size() > 3 && info.name.substr(info.name.size() - 3) == "Fp8";
    EXPECT_EQ(info.fixed_fp8, ends_fp8);
    EXPECT_EQ(info.fixed_bits, ends_8 || ends_fp8 ? 8 : ends_32 ? 32 : ends_4 ? 4 : info.reference_form ? 32 : 0);
    const Paging paging = paged_name ? Paging::always : optionally_paged.count(info.family) ? Paging::optional : Paging::never;
    EXPECT_EQ(info.paging, paging);
    EXPECT_EQ(info.find_arg("is_paged") != nullptr, paging == Paging::optional);
    EXPECT_EQ(info.reference_form, info.name == "PytorchLARS");
    EXPECT_NE(info.find_arg("skip_zeros"), nullptr);
  }
}

TEST(Catalogue, FindAndNearestNames) {
  EXPECT_EQ(find_optimizer("AdamW8bit")->name, "AdamW8bit");
  EXPECT_EQ(find_optimizer("adamw8bit"), nullptr);  // names are exact
  EXPECT_EQ(nearest_optimizer_name("adamw8bit"), "AdamW8bit");
  EXPECT_EQ(nearest_optimizer_name("Adma"), "Adam");
  EXPECT_EQ(nearest_optimizer_name("pagedlion"), "PagedLion");
  EXPECT_EQ(nearest_optimizer_name("SGD8bt"), "SGD8bit");
  EXPECT_EQ(&require_optimizer("Lion8bit"), find_optimizer("Lion8bit"));
  EXPECT_EQ(config_error([] { require_optimizer("Adma"); }).rfind("unknown optimizer 'Adma' (did you mean 'Adam'?)", 0), 0u);
}

TEST(Catalogue, OverridableKeysAreThoseOfSpecSection8) {
  EXPECT_EQ(overridable_keys(),
            (std::vector<std::string>{"lr", "betas", "eps", "weight_decay", "alpha", "t_alpha", "t_beta3",
                                      "optim_bits", "min_8bit_size", "max_unorm", "skip_zeros",
                                      "percentile_clipping", "block_wise", "param_rounding"}));
}

// ---------------------------------------------------------------------------------------------
// Defaults: every argument of every family as SPEC.md §2 lists it

const std::map<std::string, ArgMap>& spec_defaults() {
  static const std::map<std::string, ArgMap> table = [] {
    const ArgMap state{{"optim_bits", 32.0}, {"min_8bit_size", 4096.0}, {"skip_zeros", false}};
    auto with = [&](ArgMap m) {
      for (const auto& [k, v] : state) m.emplace(k, v);
      return m;
    };
    std::map<std::string, ArgMap> t;
    t["Adam"] = with({{"lr", 1e-3}, {"betas", Betas{0.9, 0.999}}, {"eps", 1e-8}, {"weight_decay", 0.0},
                      {"amsgrad", false}, {"percentile_clipping", 100.0}, {"block_wise", true}, {"is_paged", false}});
    t["AdamW"] = t["Adam"];
    t["AdamW"]["weight_decay"] = 1e-2;
    t["AdEMAMix"] = with({{"lr", 1e-3}, {"betas", Betas{0.9, 0.999, 0.9999}}, {"alpha", 5.0},
                          {"t_alpha", std::monostate{}}, {"t_beta3", std::monostate{}}, {"eps", 1e-8},
                          {"weight_decay", 1e-2}, {"is_paged", false}});
    t["LAMB"] = with({{"lr", 1e-3}, {"bias_correction", true}, {"betas", Betas{0.9, 0.999}}, {"eps", 1e-8},
                      {"weight_decay", 0.0}, {"amsgrad", false}, {"adam_w_mode", true},
                      {"percentile_clipping", 100.0}, {"block_wise", false}, {"max_unorm", 1.0}});
    // underflow_guard: our extension (docs/eight_bit.md), not a SPEC.md §2 argument; off by default.
    for (const char* family : {"Adam", "AdamW", "AdEMAMix", "LAMB"}) t[family]["underflow_guard"] = false;
    t["LARS"] = with({{"lr", std::monostate{}}, {"momentum", 0.0}, {"dampening", 0.0}, {"weight_decay", 0.0},
                      {"nesterov", false}, {"percentile_clipping", 100.0}, {"max_unorm", 0.02}});
    t["PytorchLARS"] = {{"lr", 0.01}, {"momentum", 0.0}, {"dampening", 0.0}, {"weight_decay", 0.0},
                        {"nesterov", false}, {"max_unorm", 0.02}, {"skip_zeros", false}};
    t["Lion"] = with({{"lr", 1e-4}, {"betas", Betas{0.9, 0.99}}, {"weight_decay", 0.0},
                      {"percentile_clipping", 100.0}, {"block_wise", true}, {"is_paged", false}});
    t["RMSprop"] = with({{"lr", 1e-2}, {"alpha", 0.99}, {"eps", 1e-8}, {"weight_decay", 0.0}, {"momentum", 0.0},
                         {"centered", false}, {"percentile_clipping", 100.0}, {"block_wise", true}});
    t["SGD"] = with({{"lr", std::monostate{}}, {"momentum", 0.0}, {"dampening", 0.0}, {"weight_decay", 0.0},
                     {"nesterov", false}, {"percentile_clipping", 100.0}, {"block_wise", true}});
    t["Adagrad"] = with({{"lr", 1e-2}, {"lr_decay", 0.0}, {"weight_decay", 0.0},
                         {"initial_accumulator_value", 0.0}, {"eps", 1e-10}, {"percentile_clipping", 100.0},
                         {"block_wise", true}});
    return t;
  }();
  return table;
}

TEST(CatalogueDefaults, EveryArgumentAndDefaultMatchesSpec) {
  for (const auto& info : catalogue()) {
    SCOPED_TRACE(info.name);
    ArgMap expected = spec_defaults().at(info.family);
    if (info.paging == Paging::always) expected.erase("is_paged");
    if (info.fixed_bits != 0 && expected.count("optim_bits")) expected["optim_bits"] = double(info.fixed_bits);
    // Our extension (docs/param_rounding.md), on every class but the fp32-only PytorchLARS.
    if (!info.reference_form) expected["param_rounding"] = std::string("nearest");
    if (info.fixed_fp8) expected["optim_bits"] = std::string("fp8");
    ArgMap actual;
    for (const auto& spec : info.args) {
      actual[spec.name] = spec.default_value;
      EXPECT_EQ(spec.required, spec.name == "lr" && (info.family == "SGD" || info.family == "LARS"));
    }
    EXPECT_EQ(actual, expected);
  }
}

TEST(CatalogueDefaults, EveryNameResolvesWithDefaults) {
  for (const auto& info : catalogue()) {
    SCOPED_TRACE(info.name);
    const EffectiveConfig c = resolve_config(info, minimal_args(info));
    EXPECT_EQ(c.optimizer, info.name);
    EXPECT_EQ(c.algorithm, info.algorithm);
    EXPECT_EQ(c.optim_bits, info.fixed_bits != 0 ? info.fixed_bits : 32);
    EXPECT_EQ(c.paged, info.paging == Paging::always);
    EXPECT_EQ(c.block_wise, info.family != "LAMB" && info.algorithm != Algorithm::lars);
    EXPECT_EQ(c.min_8bit_size, 4096u);
    EXPECT_EQ(c.percentile_clipping, 100.0);
    EXPECT_TRUE(c.ignored.empty());
    // Every argument, defaults filled; param_rounding only when it is not nearest (baselines).
    EXPECT_EQ(c.args.size(), info.args.size() - (info.find_arg("param_rounding") ? 1 : 0));
    EXPECT_FALSE(c.hyper.skip_zeros);
  }
}

TEST(CatalogueDefaults, SgdAndLarsNeedLrAndMomentum) {
  for (const std::string name : {"SGD", "SGD8bit", "LARS", "LARS32bit"}) {
    SCOPED_TRACE(name);
    const std::string no_lr = config_error([&] { resolve_config(info_of(name), {{"momentum", 0.9}}); });
    EXPECT_NE(no_lr.find(name + ": lr: is required"), std::string::npos) << no_lr;
    const std::string no_momentum = config_error([&] { resolve_config(info_of(name), {{"lr", 0.1}}); });
    EXPECT_NE(no_momentum.find(name + ": momentum: 0 is not supported"), std::string::npos) << no_momentum;
    EXPECT_NE(no_momentum.find("without momentum is not supported"), std::string::npos) << no_momentum;
  }
  EXPECT_NO_THROW(resolve_config(info_of("PytorchLARS"), {}));  // momentum 0 is fine there
}

// ---------------------------------------------------------------------------------------------
// Hyper-parameter mapping (SPEC.md §2)

TEST(HyperParams, BetasMapOntoTheKernels) {
  const HyperParams adam = resolve_config(info_of("AdamW8bit"), {}).hyper;
  EXPECT_EQ(adam.beta1, 0.9);
  EXPECT_EQ(adam.beta2, 0.999);
  EXPECT_EQ(adam.eps, 1e-8);
  EXPECT_EQ(adam.weight_decay, 1e-2);
  EXPECT_EQ(adam.lr, 1e-3);
  EXPECT_EQ(adam.max_unorm, 0.0);

  const HyperParams mix =
      resolve_config(info_of("AdEMAMix"), {{"betas", Betas{0.8, 0.99, 0.999}}, {"alpha", 8.0}, {"t_alpha", 100.0}}).hyper;
  EXPECT_EQ(mix.beta1, 0.8);
  EXPECT_EQ(mix.beta2, 0.99);
  EXPECT_EQ(mix.beta3, 0.999);
  EXPECT_EQ(mix.alpha, 8.0);
  EXPECT_EQ(mix.t_alpha, 100.0);
  EXPECT_EQ(mix.t_beta3, 0.0);  // none -> no scheduler

  const HyperParams sgd = resolve_config(info_of("SGD"), {{"lr", 0.5}, {"momentum", 0.7}}).hyper;
  EXPECT_EQ(sgd.beta1, 0.7);
  EXPECT_EQ(sgd.lr, 0.5);
  EXPECT_EQ(sgd.eps, 0.0);

  const EffectiveConfig lars = resolve_config(info_of("LARS8bit"), {{"lr", 0.5}, {"momentum", 0.8}});
  EXPECT_EQ(lars.hyper.beta1, 0.8);
  EXPECT_EQ(lars.hyper.max_unorm, 0.02);
  EXPECT_EQ(lars.hyper.eps, 0.0);
  EXPECT_FALSE(lars.block_wise);

  const HyperParams rms = resolve_config(info_of("RMSprop"), {{"alpha", 0.95}}).hyper;
  EXPECT_EQ(rms.beta1, 0.95);
  EXPECT_EQ(rms.eps, 1e-8);
  EXPECT_EQ(rms.max_unorm, 0.0);

  const HyperParams lion = resolve_config(info_of("PagedLion"), {}).hyper;
  EXPECT_EQ(lion.beta1, 0.9);
  EXPECT_EQ(lion.beta2, 0.99);
  EXPECT_EQ(lion.eps, 0.0);
  EXPECT_EQ(lion.lr, 1e-4);

  const HyperParams adagrad = resolve_config(info_of("Adagrad"), {}).hyper;
  EXPECT_EQ(adagrad.eps, 1e-10);
  EXPECT_EQ(adagrad.lr, 1e-2);

  const HyperParams lamb = resolve_config(info_of("LAMB"), {}).hyper;
  EXPECT_EQ(lamb.max_unorm, 1.0);
  EXPECT_EQ(lamb.beta2, 0.999);
}

TEST(HyperParams, StateWidthPagingAndReferenceForm) {
  EXPECT_EQ(resolve_config(info_of("Adam"), {{"optim_bits", 8.0}}).optim_bits, 8);
  EXPECT_TRUE(resolve_config(info_of("Adam"), {{"is_paged", true}}).paged);
  EXPECT_TRUE(resolve_config(info_of("PagedAdamW8bit"), {}).paged);
  EXPECT_FALSE(resolve_config(info_of("Adam"), {{"block_wise", false}}).block_wise);
  EXPECT_EQ(resolve_config(info_of("Adam"), {{"min_8bit_size", 0.0}}).min_8bit_size, 0u);
  EXPECT_EQ(resolve_config(info_of("Lion"), {{"percentile_clipping", 5.0}}).percentile_clipping, 5.0);
  const EffectiveConfig plars =
      resolve_config(info_of("PytorchLARS"), {{"momentum", 0.9}, {"nesterov", true}, {"max_unorm", 0.0}});
  EXPECT_TRUE(plars.reference_form);
  EXPECT_TRUE(plars.nesterov);
  EXPECT_EQ(plars.dampening, 0.0);
  EXPECT_EQ(plars.optim_bits, 32);
  EXPECT_EQ(plars.hyper.max_unorm, 0.0);
  EXPECT_EQ(plars.hyper.beta1, 0.9);
  EXPECT_TRUE(plars.ignored.empty());  // nesterov works in the reference form
  EXPECT_TRUE(resolve_config(info_of("Adam"), {{"skip_zeros", true}}).hyper.skip_zeros);
}

// ---------------------------------------------------------------------------------------------
// Validation (SPEC.md §2 table): each rule names the optimizer and the argument

struct Violation {
  std::string optimizer;
  ArgMap args;
  std::string expected_prefix;  // "<Optimizer>: <argument>: "
};

TEST(Validation, EveryRuleNamesOptimizerAndArgument) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Violation> cases{
      {"Adam", {{"lr", inf}}, "Adam: lr: "},
      {"Adam", {{"eps", nan}}, "Adam: eps: "},
      {"Adam", {{"betas", Betas{0.9, inf}}}, "Adam: betas: "},
      {"Adam", {{"lr", -1e-3}}, "Adam: lr: "},
      {"AdamW", {{"eps", -1.0}}, "AdamW: eps: "},
      {"Lion", {{"weight_decay", -0.1}}, "Lion: weight_decay: "},
      {"Adam", {{"betas", Betas{1.0, 0.999}}}, "Adam: betas[0]: "},
      {"Adam8bit", {{"betas", Betas{0.9, -0.1}}}, "Adam8bit: betas[1]: "},
      {"AdEMAMix", {{"betas", Betas{0.9, 0.999, 1.0}}}, "AdEMAMix: betas[2]: "},
      {"SGD", {{"momentum", 1.0}}, "SGD: momentum: "},
      {"LARS", {{"dampening", -0.5}}, "LARS: dampening: "},
      {"RMSprop", {{"alpha", 1.5}}, "RMSprop: alpha: "},
      {"RMSprop8bit", {{"momentum", 1.0}}, "RMSprop8bit: momentum: "},
      {"Adam", {{"optim_bits", 16.0}}, "Adam: optim_bits: "},
      {"Adam", {{"optim_bits", 8.5}}, "Adam: optim_bits: "},
      {"Adagrad", {{"min_8bit_size", -1.0}}, "Adagrad: min_8bit_size: "},
      {"LAMB", {{"max_unorm", -1.0}}, "LAMB: max_unorm: "},
      {"Lion", {{"percentile_clipping", 0.0}}, "Lion: percentile_clipping: "},
      {"Adam", {{"percentile_clipping", 101.0}}, "Adam: percentile_clipping: "},
      {"SGD32bit", {{"momentum", 0.0}}, "SGD32bit: momentum: "},
      {"LARS8bit", {{"momentum", 0.0}}, "LARS8bit: momentum: "},
      {"RMSprop", {{"alpha", 0.0}}, "RMSprop: alpha: "},
      {"RMSprop32bit", {{"centered", true}}, "RMSprop32bit: centered: "},
      {"Adagrad8bit", {{"lr_decay", 0.1}}, "Adagrad8bit: lr_decay: "},
      {"Adagrad", {{"initial_accumulator_value", 0.1}}, "Adagrad: initial_accumulator_value: "},
      {"Adam", {{"amsgrad", true}}, "Adam: amsgrad: "},
      {"AdamW32bit", {{"amsgrad", true}}, "AdamW32bit: amsgrad: "},
      {"PagedAdam8bit", {{"amsgrad", true}}, "PagedAdam8bit: amsgrad: "},
      {"LAMB8bit", {{"amsgrad", true}}, "LAMB8bit: amsgrad: "},
      {"LAMB8bit", {{"max_unorm", 0.5}}, "LAMB8bit: max_unorm: "},
      {"PytorchLARS", {{"nesterov", true}}, "PytorchLARS: nesterov: "},
      {"PytorchLARS", {{"nesterov", true}, {"momentum", 0.9}, {"dampening", 0.1}}, "PytorchLARS: nesterov: "},
      {"AdEMAMix", {{"alpha", -1.0}}, "AdEMAMix: alpha: "},
      {"AdEMAMix", {{"t_beta3", -5.0}}, "AdEMAMix: t_beta3: "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.optimizer + " " + c.expected_prefix);
    const std::string message = resolve_error(c.optimizer, c.args);
    EXPECT_EQ(message.rfind(c.expected_prefix, 0), 0u) << message;
    EXPECT_NE(message.find("(accepted: "), std::string::npos) << message;
  }
}

TEST(Validation, WrongTypesAndBetaCounts) {
  EXPECT_EQ(resolve_error("AdEMAMix", {{"betas", Betas{0.9, 0.999}}}),
            "AdEMAMix: betas: expected 3 numbers, got 2 (accepted: a list of 3 numbers, each in [0, 1))");
  EXPECT_EQ(resolve_error("Adam", {{"betas", Betas{0.9, 0.999, 0.9}}}).rfind("Adam: betas: expected 2 numbers, got 3", 0), 0u);
  EXPECT_EQ(resolve_error("Adam", {{"betas", 0.9}}).rfind("Adam: betas: expected a list of 2 numbers, got 0.9", 0), 0u);
  EXPECT_EQ(resolve_error("Adam", {{"lr", true}}).rfind("Adam: lr: expected a number, got true", 0), 0u);
  EXPECT_EQ(resolve_error("Adam", {{"amsgrad", 1.0}}).rfind("Adam: amsgrad: expected true or false, got 1", 0), 0u);
  EXPECT_EQ(resolve_error("SGD", {{"lr", std::monostate{}}}).rfind("SGD: lr: expected a number, got none", 0), 0u);
  EXPECT_NO_THROW(resolve_config(info_of("AdEMAMix"), {{"t_alpha", std::monostate{}}}));
}

TEST(Validation, FixedWidthClassesRejectAContradictingOptimBits) {
  for (const auto& info : catalogue()) {
    if (info.fixed_bits == 0 || info.reference_form || info.fixed_fp8) continue;  // fp8: Fp8StateIsForMomentStates
    SCOPED_TRACE(info.name);
    ArgMap args = minimal_args(info);
    args["optim_bits"] = double(info.fixed_bits);
    EXPECT_EQ(resolve_config(info, args).optim_bits, info.fixed_bits);
    args["optim_bits"] = info.fixed_bits == 8 ? 32.0 : 8.0;
    const std::string message = config_error([&] { resolve_config(info, args); });
    EXPECT_EQ(message.rfind(info.name + ": optim_bits: ", 0), 0u) << message;
    EXPECT_NE(message.find("fixed " + std::to_string(info.fixed_bits) + "-bit"), std::string::npos) << message;
  }
}

TEST(Validation, FourBitStateIsForMomentStates) {
  // docs/four_bit.md: optim_bits 4 for the families whose states are moments, as an argument
  // and as an override; the others name the widths they accept.
  for (const char* name : {"Adam", "AdamW", "PagedAdamW", "AdEMAMix", "Lion", "RMSprop"}) {
    EXPECT_EQ(resolve_config(info_of(name), {{"optim_bits", 4.0}}).optim_bits, 4) << name;
  }
  EXPECT_EQ(resolve_config(info_of("SGD"), {{"lr", 0.01}, {"momentum", 0.9}, {"optim_bits", 4.0}}).optim_bits, 4);
  EXPECT_EQ(resolve_error("Adagrad", {{"optim_bits", 4.0}}),
            "Adagrad: optim_bits: 4 is not a state width of Adagrad (4-bit state is for moment states) "
            "(accepted: 8 or 32)");
  EXPECT_EQ(resolve_error("LAMB", {{"optim_bits", 4.0}}).rfind("LAMB: optim_bits: 4 is not a state width", 0), 0u);
  const OptimizerInfo& adam8 = info_of("Adam8bit");
  EXPECT_EQ(apply_override(adam8, resolve_config(adam8, {}), {{"optim_bits", 4.0}}).optim_bits, 4);
}

TEST(Validation, Fp8StateIsForMomentStates) {
  // docs/fp8.md: optim_bits "fp8" for the families whose states are moments, as an argument and
  // as an override; AdamWFp8 fixes it; other words and other families are errors.
  const ArgValue fp8 = std::string("fp8");
  for (const char* name : {"Adam", "AdamW", "PagedAdamW", "AdEMAMix", "Lion", "RMSprop"}) {
    const EffectiveConfig c = resolve_config(info_of(name), {{"optim_bits", fp8}});
    EXPECT_TRUE(c.fp8) << name;
    EXPECT_EQ(c.optim_bits, 8) << name;
  }
  EXPECT_TRUE(resolve_config(info_of("AdamWFp8"), {}).fp8);
  EXPECT_FALSE(resolve_config(info_of("AdamW8bit"), {}).fp8);
  EXPECT_EQ(resolve_error("Adagrad", {{"optim_bits", fp8}}),
            "Adagrad: optim_bits: fp8 is not a state width of Adagrad (fp8 state is for moment states) "
            "(accepted: 8 or 32)");
  EXPECT_EQ(resolve_error("Adam", {{"optim_bits", ArgValue(std::string("fp16"))}}),
            "Adam: optim_bits: expected a whole number or \"fp8\", got fp16 (accepted: a whole number or \"fp8\")");
  EXPECT_EQ(resolve_error("AdamWFp8", {{"optim_bits", 8.0}}),
            "AdamWFp8: optim_bits: 8 contradicts the class's fixed fp8 state (accepted: fp8)");
  EXPECT_NE(resolve_error("Adam", {{"optim_bits", 16.0}}).find("(accepted: 4, 8, 32 or \"fp8\")"), std::string::npos);
  const OptimizerInfo& adam8 = info_of("Adam8bit");
  EXPECT_TRUE(apply_override(adam8, resolve_config(adam8, {}), {{"optim_bits", fp8}}).fp8);
  const OptimizerInfo& adamw_fp8 = info_of("AdamWFp8");
  const EffectiveConfig back = apply_override(adamw_fp8, resolve_config(adamw_fp8, {}), {{"optim_bits", 32.0}});
  EXPECT_FALSE(back.fp8);
  EXPECT_EQ(back.optim_bits, 32) << "an override takes an fp8 class back to 32-bit state";
}

TEST(Validation, UnknownArgumentSuggestsTheNearest) {
  const std::string message = resolve_error("AdamW8bit", {{"beta", Betas{0.9, 0.99}}});
  EXPECT_EQ(message.rfind("AdamW8bit: beta: unknown argument, did you mean 'betas'?", 0), 0u) << message;
  EXPECT_NE(message.find("accepted: lr, betas, eps"), std::string::npos) << message;
  EXPECT_NE(resolve_error("Lion", {{"eps", 1e-8}}).find("did you mean"), std::string::npos);  // Lion has no eps
  EXPECT_NE(resolve_error("PagedAdam", {{"is_paged", true}}).find("PagedAdam: is_paged: unknown argument"),
            std::string::npos);
  EXPECT_NE(resolve_error("SGD", {{"weight_decy", 0.1}}).find("did you mean 'weight_decay'"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Accepted arguments without effect

TEST(IgnoredArguments, NonDefaultValuesWarn) {
  const EffectiveConfig sgd =
      resolve_config(info_of("SGD"), {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}, {"dampening", 0.1}});
  EXPECT_EQ(sgd.ignored, (std::vector<std::string>{"SGD: dampening=0.1 is accepted but has no effect (SPEC.md §2)",
                                                    "SGD: nesterov=true is accepted but has no effect (SPEC.md §2)"}));
  EXPECT_EQ(resolve_config(info_of("RMSprop8bit"), {{"momentum", 0.5}}).ignored.size(), 1u);
  EXPECT_EQ(resolve_config(info_of("LAMB"), {{"bias_correction", false}, {"adam_w_mode", false}}).ignored.size(), 2u);
  EXPECT_EQ(resolve_config(info_of("LARS"), {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}}).ignored.size(), 1u);
  EXPECT_EQ(resolve_config(info_of("AdEMAMix"), {{"skip_zeros", true}}).ignored.size(), 1u);  // SPEC.md §4.9
  // Default values given explicitly do not warn.
  EXPECT_TRUE(resolve_config(info_of("LAMB"), {{"bias_correction", true}}).ignored.empty());
}

// ---------------------------------------------------------------------------------------------
// Overrides (SPEC.md §8)

TEST(Overrides, LrOverrideChangesOnlyLr) {
  const auto& info = info_of("Adam8bit");
  const EffectiveConfig base = resolve_config(info, {});
  const EffectiveConfig c = apply_override(info, base, {{"lr", 0.5}});
  EXPECT_EQ(c.hyper.lr, 0.5);
  EXPECT_EQ(std::get<double>(c.args.at("lr")), 0.5);
  EXPECT_EQ(c.hyper.beta2, base.hyper.beta2);
  EXPECT_EQ(c.optim_bits, 8);
  EXPECT_EQ(base.hyper.lr, 1e-3);  // the base is untouched
}

TEST(Overrides, OptimBits32WinsInsideAnEightBitClass) {
  const auto& info = info_of("Adam8bit");
  const EffectiveConfig c = apply_override(info, resolve_config(info, {}), {{"optim_bits", 32.0}});
  EXPECT_EQ(c.optim_bits, 32);
  EXPECT_TRUE(c.ignored.empty());
  const EffectiveConfig back = apply_override(info, c, {{"optim_bits", 8.0}});  // later entries win
  EXPECT_EQ(back.optim_bits, 8);
}

TEST(Overrides, NonOverridableKeyIsRejected) {
  const auto& info = info_of("SGD");
  const EffectiveConfig base = resolve_config(info, {{"lr", 0.1}, {"momentum", 0.9}});
  const std::string message = config_error([&] { apply_override(info, base, {{"momentum", 0.5}}); });
  EXPECT_NE(message.find("override key 'momentum' cannot be overridden; overridable: lr, betas"), std::string::npos)
      << message;
}

TEST(Overrides, ValuesAreValidatedLikeArguments) {
  const auto& mix = info_of("AdEMAMix8bit");
  const EffectiveConfig base = resolve_config(mix, {});
  EXPECT_EQ(config_error([&] { apply_override(mix, base, {{"betas", Betas{0.9, 0.99}}}); }).rfind(
                "AdEMAMix8bit: betas: expected 3 numbers, got 2", 0),
            0u);
  EXPECT_EQ(config_error([&] { apply_override(mix, base, {{"lr", -1.0}}); }).rfind("AdEMAMix8bit: lr: ", 0), 0u);
  EXPECT_EQ(config_error([&] { apply_override(mix, base, {{"optim_bits", 16.0}}); }).rfind("AdEMAMix8bit: optim_bits: ", 0), 0u);
  const EffectiveConfig c = apply_override(mix, base, {{"betas", Betas{0.8, 0.9, 0.99}}, {"t_beta3", 1000.0}});
  EXPECT_EQ(c.hyper.beta3, 0.99);
  EXPECT_EQ(c.hyper.t_beta3, 1000.0);

  const auto& rms = info_of("RMSprop");
  EXPECT_EQ(config_error([&] { apply_override(rms, resolve_config(rms, {}), {{"alpha", 0.0}}); }).rfind("RMSprop: alpha: ", 0), 0u);
  const auto& lamb8 = info_of("LAMB8bit");
  EXPECT_EQ(config_error([&] { apply_override(lamb8, resolve_config(lamb8, {}), {{"max_unorm", 0.5}}); }).rfind(
                "LAMB8bit: max_unorm: ", 0),
            0u);
}

TEST(Overrides, MaxUnormClipsOnlyLambLarsAndRmsprop) {
  const auto& rms = info_of("RMSprop8bit");
  const EffectiveConfig clipped = apply_override(rms, resolve_config(rms, {}), {{"max_unorm", 0.1}});
  EXPECT_EQ(clipped.hyper.max_unorm, 0.1);
  EXPECT_EQ(std::get<double>(clipped.args.at("max_unorm")), 0.1);
  EXPECT_TRUE(clipped.ignored.empty());

  const auto& adam = info_of("Adam");
  const EffectiveConfig unclipped = apply_override(adam, resolve_config(adam, {}), {{"max_unorm", 0.1}});
  EXPECT_EQ(unclipped.hyper.max_unorm, 0.0);
  EXPECT_EQ(unclipped.args.count("max_unorm"), 0u);
  ASSERT_EQ(unclipped.ignored.size(), 1u);
  EXPECT_NE(unclipped.ignored[0].find("Adam: override max_unorm=0.1 has no effect"), std::string::npos);
}

TEST(Overrides, KeysTheClassLacks) {
  const auto& mix = info_of("AdEMAMix");
  const EffectiveConfig mixed = apply_override(mix, resolve_config(mix, {}), {{"block_wise", false}, {"percentile_clipping", 50.0}});
  EXPECT_FALSE(mixed.block_wise);
  EXPECT_EQ(mixed.percentile_clipping, 50.0);
  EXPECT_TRUE(mixed.ignored.empty());

  const auto& lion = info_of("Lion");
  const EffectiveConfig no_eps = apply_override(lion, resolve_config(lion, {}), {{"eps", 1e-6}});
  EXPECT_EQ(no_eps.hyper.eps, 0.0);
  EXPECT_EQ(no_eps.ignored.size(), 1u);

  const auto& plars = info_of("PytorchLARS");
  const EffectiveConfig fp32 = apply_override(plars, resolve_config(plars, {}), {{"optim_bits", 8.0}});
  EXPECT_EQ(fp32.optim_bits, 32);
  EXPECT_EQ(fp32.ignored,
            std::vector<std::string>{"PytorchLARS: override optim_bits=8 has no effect (PytorchLARS is the plain fp32 form)"});

  const auto& lars = info_of("LARS");
  const EffectiveConfig one_scale =
      apply_override(lars, resolve_config(lars, {{"lr", 0.1}, {"momentum", 0.9}}), {{"block_wise", true}});
  EXPECT_FALSE(one_scale.block_wise);
  EXPECT_EQ(one_scale.ignored.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Text

TEST(Arguments, ToString) {
  EXPECT_EQ(to_string(ArgValue{}), "none");
  EXPECT_EQ(to_string(ArgValue{true}), "true");
  EXPECT_EQ(to_string(ArgValue{0.001}), "0.001");
  EXPECT_EQ(to_string(ArgValue{4096.0}), "4096");
  EXPECT_EQ(to_string(ArgValue{Betas{0.9, 0.999}}), "[0.9, 0.999]");
  EXPECT_EQ(edit_distance("Adma", "adam"), 2u);
  EXPECT_EQ(nearest_name("lrr", {"lr", "eps"}), "lr");
}

TEST(Docs, CommittedCatalogueMarkdownMatchesTheRendering) {
  const std::string path = std::string(BNB_TEST_DATA_DIR) + "/../../docs/catalogue.md";
  if (std::getenv("BNB_UPDATE_DOCS") != nullptr) {  // BNB_UPDATE_DOCS=1 catalogue_test rewrites it
    std::ofstream out(path, std::ios::binary);
    out << catalogue_markdown();
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  std::stringstream committed;
  committed << file.rdbuf();
  EXPECT_EQ(committed.str(), catalogue_markdown())
      << "docs/catalogue.md is stale: regenerate it with BNB_UPDATE_DOCS=1 catalogue_test";
  EXPECT_NE(catalogue_markdown().find("| PytorchLARS | PytorchLARS | lars (plain fp32 reference form) | 32"),
            std::string::npos);
}

}  // namespace
}  // namespace bnb
