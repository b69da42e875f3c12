#pragma once
// Reads a results document (DESIGN.md §3.2, as render_json writes it) back into a RunResult, so
// the renderings of a run (table, pairs, the HTML report) work on saved files too. Absent fields
// stay at their defaults; null numbers (a NaN or Inf written by the JSON library) read as NaN.
#include <nlohmann/json.hpp>
#include <string_view>

#include "results.hpp"

namespace bnb::app {

/// `doc` must have passed validate_results (compare.hpp); a field of the wrong type throws
/// DataError naming `name` and the JSON path.
RunResult run_result_from_json(const nlohmann::json& doc, std::string_view name);

}  // namespace bnb::app
