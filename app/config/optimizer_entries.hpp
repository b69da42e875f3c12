#pragma once
// The optimizer entries of a config file (docs/cli.md "optimizers") and the parameter patterns
// they and the workload overrides use; config.cpp parses the rest of the file.
#include <string>
#include <vector>

#include "config.hpp"
#include "json_fields.hpp"

namespace bnb::app {

/// A list of parameter-name patterns (a string or a list of strings, glob.hpp).
std::vector<std::string> parse_patterns(const Json& v, const std::string& path);

/// One entry of "optimizers": name, label, arguments and overrides, checked against the catalogue.
OptimizerEntry parse_optimizer(const Json& v, const std::string& path);

}  // namespace bnb::app
