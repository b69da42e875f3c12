#pragma once
// The 41 public names of SPEC.md §1 with their arguments, defaults and validation (§2), and the
// resolution of user arguments (plus per-parameter overrides, §8) into an effective
// configuration the kernels run.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bnb/arguments.hpp"
#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/param_rounding.hpp"

namespace bnb {

enum class ArgKind {
  number,           // double
  integer,          // double holding a whole number (optim_bits, min_8bit_size, percentile_clipping)
  boolean,          // bool
  betas,            // list of numbers: as many as the default has
  optional_number,  // none or a number (t_alpha, t_beta3)
  choice,           // one word of ArgSpec::choices (param_rounding)
  state_width,      // a whole number or the word "fp8" (optim_bits)
};

struct ArgSpec {
  std::string name;
  ArgKind kind;
  ArgValue default_value;    // monostate with required = true: no default (SGD/LARS lr)
  bool required = false;
  bool has_effect = true;    // false: accepted, a non-default value warns (SPEC.md §2)
  std::string help;
  bool decay_rate = false;   // a decay that must be in (0, 1), not [0, 1) (SPEC.md §2)
  std::vector<std::string> choices = {};  // ArgKind::choice: the accepted words
  bool extension = false;    // not a bitsandbytes argument (param_rounding): `bnb-bench list` marks it
};

enum class Paging { never, optional, always };  // optional: the is_paged argument decides

/// A family's hyper-parameter mapping: its arguments (defaults filled) into the kernel's
/// HyperParams fields beyond lr, weight_decay, eps and skip_zeros (SPEC.md §2: a decay named alpha is
/// beta1, momentum's momentum is beta1, ...).
using HyperMapping = void (*)(const ArgMap& args, HyperParams& h);

struct OptimizerInfo {
  std::string name;          // e.g. "PagedAdamW8bit"
  std::string family;        // e.g. "AdamW" (the row of SPEC.md §2)
  Algorithm algorithm;
  int fixed_bits = 0;        // 4, 8 or 32 for *4bit / *8bit / *32bit / *Fp8 classes; 0 = optim_bits decides
  bool fixed_fp8 = false;    // *Fp8 classes: optim_bits fixed to "fp8" (fixed_bits 8, docs/fp8.md)
  bool extension = false;    // not a bitsandbytes name (Adam4bit, ...): `bnb-bench list` marks it
  Paging paging = Paging::never;
  bool reference_form = false;  // PytorchLARS: the plain fp32 form of SPEC.md §4.8
  bool moment_states = false;   // its states are moments: optim_bits 4 and "fp8" allowed (docs/four_bit.md, docs/fp8.md)
  std::vector<ArgSpec> args;
  HyperMapping map_hyper = nullptr;

  /// The argument called `arg_name`, nullptr when the optimizer has none.
  const ArgSpec* find_arg(std::string_view arg_name) const;
  std::vector<std::string> arg_names() const;
};

/// Every public optimizer name, in SPEC.md §1 order: 40 entries (the 41st public name,
/// GlobalOptimManager, is the override mechanism of SPEC.md §8, not an optimizer).
const std::vector<OptimizerInfo>& catalogue();

/// nullptr when the name is unknown (names are case-sensitive).
const OptimizerInfo* find_optimizer(std::string_view name);

/// The entry called `name`; throws ConfigError "unknown optimizer 'Adma' (did you mean 'Adam'?)".
const OptimizerInfo& require_optimizer(std::string_view name);

/// The catalogue name nearest to `name` (case-insensitive edit distance), for "did you mean".
std::string nearest_optimizer_name(std::string_view name);

/// The keys an override may set (SPEC.md §8), in the order SPEC.md lists them.
const std::vector<std::string>& overridable_keys();


/// "never", "optional (is_paged)", "always".
std::string_view paging_name(Paging p);

/// Markdown tables of every name (algorithm, state bits, paging) and of every family's
/// arguments and defaults, rendered from catalogue(); docs/catalogue.md is this text.
std::string catalogue_markdown();

/// Everything a tensor's step needs, after defaults, validation and overrides.
struct EffectiveConfig {
  std::string optimizer;            // catalogue name
  Algorithm algorithm = Algorithm::adam;
  bool reference_form = false;      // PytorchLARS
  int optim_bits = 32;              // 4, 8 or 32 (state width, before the min_8bit_size rule)
  bool fp8 = false;                 // optim_bits "fp8": optim_bits is 8, the codes e4m3 (docs/fp8.md)
  bool paged = false;
  bool block_wise = true;
  std::size_t min_8bit_size = 4096;
  bool underflow_guard = false;     // 8-bit state: never store a non-zero value as 0 (our extension)
  double percentile_clipping = 100;
  bool nesterov = false;            // PytorchLARS only
  double dampening = 0;             // PytorchLARS only
  ParamRounding param_rounding = ParamRounding::nearest;  // 16-bit parameters (docs/param_rounding.md)
  HyperParams hyper;                // kernel hyper-parameters (betas mapped per SPEC.md §2)
  /// Every argument of the optimizer with its effective value, plus the override keys that are
  /// not arguments of the class but take effect (e.g. max_unorm on a clipping algorithm, block_wise
  /// on a class without that argument). Override keys without effect are not added; they appear in
  /// `ignored`.
  ArgMap args;
  std::vector<std::string> ignored; // arguments set to a non-default value that have no effect
};

/// Validates `args` for the optimizer (unknown names, types, ranges, SPEC.md §2 rules) and fills
/// the defaults. Throws ConfigError naming the optimizer, the argument and the accepted range.
EffectiveConfig resolve_config(const OptimizerInfo& info, const ArgMap& args);

/// The configuration of one parameter: `base` with the override values applied on top (only
/// overridable keys), validated again. An override's optim_bits wins over a fixed-width class
/// (SPEC.md §8: {"optim_bits": 32} keeps an embedding 32-bit inside Adam8bit). Overridable keys
/// the optimizer does not use are accepted and listed in `ignored`. Throws ConfigError.
EffectiveConfig apply_override(const OptimizerInfo& info, const EffectiveConfig& base, const ArgMap& values);

}  // namespace bnb
