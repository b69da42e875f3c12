#pragma once
// Optimizer arguments as users give them (JSON config, API): a name -> value map whose values
// are none, a bool, a number, or a list of numbers (betas).
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bnb {

using ArgValue = std::variant<std::monostate, bool, double, std::vector<double>>;
using ArgMap = std::map<std::string, ArgValue>;

/// "none", "true", "0.001", "[0.9, 0.999]" — for messages and the effective configuration.
std::string to_string(const ArgValue& v);

}  // namespace bnb
