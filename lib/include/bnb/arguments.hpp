#pragma once
// Optimizer arguments as users give them (JSON config, API): a name -> value map whose values
// are none, a bool, a number, a list of numbers (betas), or a word from a fixed list (param_rounding, optim_bits "fp8").
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bnb {

using ArgValue = std::variant<std::monostate, bool, double, std::vector<double>, std::string>;
using ArgMap = std::map<std::string, ArgValue>;

/// "none", "true", "0.001", "[0.9, 0.999]", "stochastic", "fp8" — for messages and the effective configuration.
/// Numbers use the shortest text that reads back to the same double.
std::string to_string(const ArgValue& v);

/// The number, bool or list at `key`; `fallback` when the key is missing or holds another type.
double number_or(const ArgMap& args, const std::string& key, double fallback);
bool bool_or(const ArgMap& args, const std::string& key, bool fallback);
std::string string_or(const ArgMap& args, const std::string& key, const std::string& fallback);
std::vector<double> betas_or_empty(const ArgMap& args);

/// Case-insensitive Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `name` by edit_distance (the first one on ties); "" when there are
/// no candidates or `name` is longer than 64 characters (no typo of a catalogue name).
std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace bnb
