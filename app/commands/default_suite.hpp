#pragma once
// The built-in suite of `bnb-bench run` without a config: every algorithm, 8-bit against 32-bit
// state, on a moderate synthetic workload, with error against the reference and timing. It is
// configs/default-suite.json, embedded at configure time: a 262144-element 2-D weight (8-bit
// state) and a 512-element bias (below min_8bit_size, so 32-bit in every entry), 20 steps of
// N(0, 0.01^2) gradients; SGD and LARS need lr and momentum.
#include <string_view>

namespace bnb::app {

/// The config source name of the suite (Config::source, results run.config).
inline constexpr std::string_view kDefaultSuiteSource = "<built-in default suite>";

/// The suite as config JSON (schema 1), so it is parsed and checked like any config.
std::string_view default_suite_json();

}  // namespace bnb::app
