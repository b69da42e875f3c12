#pragma once
// The gates of a config as JSON, recorded in the results (run.gates) so a report can show what
// each verdict was measured against. Unset thresholds are left out.
#include <nlohmann/json.hpp>

#include "config.hpp"

namespace bnb::app {

nlohmann::json gates_json(const GatesConfig& g);

}  // namespace bnb::app
