#pragma once
// How series are told apart in every figure: colour names the entry (consecutive entries, such
// as a 32-bit entry and its 8-bit twin, get a dark and a light shade of one hue), the line's dash
// pattern names the results file (the baseline dashed, the last file solid).
#include <cstddef>
#include <string>

namespace bnb::app::report {

std::string entry_colour(std::size_t entry_index);
/// "" (solid) for the last of `run_count` files, a dash pattern for the others.
std::string run_dash(std::size_t run_index, std::size_t run_count);

}  // namespace bnb::app::report
