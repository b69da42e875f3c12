// The catalogue rendered as Markdown: docs/catalogue.md and `bnb-bench list` come from here, so
// the documentation cannot drift from the table the code runs.
#include <string>

#include "bnb/catalogue.hpp"

namespace bnb {
namespace {

std::string state_bits_text(const OptimizerInfo& info) {
  if (info.reference_form) return "32 (fp32 only)";
  if (info.fixed_fp8) return "fp8 (e4m3)";
  if (info.fixed_bits != 0) return std::to_string(info.fixed_bits);
  return "optim_bits (32)";
}

std::string algorithm_text(const OptimizerInfo& info) {
  std::string text(algorithm_name(info.algorithm));
  return info.reference_form ? text + " (plain fp32 reference form)" : text;
}

std::string kind_name(const ArgSpec& spec) {
  switch (spec.kind) {
    case ArgKind::number: return "number";
    case ArgKind::integer: return "whole number";
    case ArgKind::boolean: return "bool";
    case ArgKind::betas: {
      const auto* list = std::get_if<std::vector<double>>(&spec.default_value);
      return "list of " + std::to_string(list ? list->size() : 0) + " numbers";
    }
    case ArgKind::optional_number: return "none or number";
    case ArgKind::choice: {
      std::string words;
      for (const auto& w : spec.choices) words += (words.empty() ? "" : " \\| ") + w;
      return words;
    }
    case ArgKind::state_width: return "whole number or \"fp8\"";
  }
  return "";
}

std::string names_of_family(const std::string& family) {
  std::string text;
  for (const auto& info : catalogue()) {
    if (info.family == family) text += (text.empty() ? "" : ", ") + info.name;
  }
  return text;
}

void render_names(std::string& out) {
  out += "## Names\n\n";
  out += "| name | family | algorithm | state bits | paging |\n|---|---|---|---|---|\n";
  for (const auto& info : catalogue()) {
    out += "| " + info.name + (info.extension ? " (extension)" : "") + " | " + info.family + " | " +
           algorithm_text(info) + " | " + state_bits_text(info) + " | " + std::string(paging_name(info.paging)) + " |\n";
  }
  out += "\nNames marked (extension) are not bitsandbytes names: 4-bit state, docs/four_bit.md; fp8 state, docs/fp8.md.\n\n";
}

void render_family(std::string& out, const OptimizerInfo& info) {
  out += "### " + info.family + "\n\n";
  out += "Names: " + names_of_family(info.family) + ".\n\n";
  out += "| argument | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& spec : info.args) {
    out += "| " + spec.name + " | " + kind_name(spec) + " | " + (spec.required ? "required" : to_string(spec.default_value)) +
           " | " + spec.help + (spec.extension ? " (extension, not a bitsandbytes argument)" : "") + " |\n";
  }
  out += "\n";
}

void render_families(std::string& out) {
  out += "## Arguments by family\n\n";
  out += "Each table lists the arguments of the family's plain class. The fixed-width classes (`*8bit`, "
         "`*32bit`) take `optim_bits` only at their own width, which is its default; the `Paged*` classes "
         "have no `is_paged` argument (they are always paged). Arguments marked \"accepted, no effect\" "
         "produce a warning when set to a non-default value.\n\n";
  std::vector<std::string> seen;
  for (const auto& info : catalogue()) {
    bool already = false;
    for (const auto& f : seen) already = already || f == info.family;
    if (already) continue;
    seen.push_back(info.family);
    render_family(out, info);
  }
}

void render_validation(std::string& out) {
  out += "## Validation\n\n";
  out += "Each of these is a configuration error of the form `<Optimizer>: <argument>: <problem> (accepted: ...)` "
         "(SPEC.md §2):\n\n"
         "- unknown argument names (with a \"did you mean\" suggestion) and wrong types (`betas` must be a list "
         "of 2 numbers, 3 for AdEMAMix);\n"
         "- any non-finite number; `lr`, `eps`, `weight_decay`, `max_unorm`, `min_8bit_size`, `t_alpha`, "
         "`t_beta3` < 0; AdEMAMix `alpha` < 0;\n"
         "- any beta outside [0, 1): `betas`, SGD/LARS/PytorchLARS `momentum` and `dampening`, RMSprop "
         "`alpha` and `momentum`;\n"
         "- `optim_bits` not 8 or 32 (or 4 or \"fp8\" for Adam, AdamW, AdEMAMix, Lion, SGD, RMSprop: docs/four_bit.md, "
         "docs/fp8.md), or (at construction) not the width of a `*4bit`/`*8bit`/`*32bit`/`*Fp8` class; "
         "`percentile_clipping` outside [1, 100];\n"
         "- `lr` missing or `momentum` = 0 (SGD and LARS families); RMSprop `alpha` = 0 or `centered` = true; "
         "Adagrad `lr_decay` or `initial_accumulator_value` != 0; `amsgrad` = true (every Adam, AdamW and "
         "LAMB class); LAMB8bit `max_unorm` != 1.0; PytorchLARS `nesterov` with `momentum` <= 0 or "
         "`dampening` != 0.\n\n";
}

void render_overrides(std::string& out) {
  out += "## Per-parameter overrides\n\n";
  out += "Overridable keys (SPEC.md §8): ";
  std::string keys;
  for (const auto& key : overridable_keys()) keys += (keys.empty() ? "`" : ", `") + key + "`";
  out += keys + ". An override's `optim_bits` wins over a fixed-width class (e.g. `{\"optim_bits\": 32}` "
                "keeps an embedding at 32-bit state inside `Adam8bit`). A key the optimizer does not use "
                "(e.g. `max_unorm` on Adam) is accepted with a warning.\n";
}

}  // namespace

std::string catalogue_markdown() {
  std::string out;
  out += "# Optimizer catalogue\n\n";
  out += "<!-- Generated from bnb::catalogue_markdown() (lib/src/catalogue_markdown.cpp); "
         "tests/unit/catalogue_test.cpp fails when this file differs. Do not edit by hand. -->\n\n";
  out += "The " + std::to_string(catalogue().size()) +
         " optimizer names of SPEC.md §1 with their arguments and defaults (SPEC.md §2); the 41st "
         "public name, GlobalOptimManager, is the per-parameter override mechanism (last section). "
         "Every optimizer rejects unknown arguments, wrong types and out-of-range values with a "
         "configuration error naming the optimizer and the argument.\n\n";
  render_names(out);
  render_families(out);
  render_validation(out);
  render_overrides(out);
  return out;
}

}  // namespace bnb
