#include "style.hpp"

namespace bnb::app::report {
namespace {

// Ten hues, each dark then light (the "tab20" palette): distinguishable for 20 entries.
constexpr const char* kPalette[] = {"#1f77b4", "#7fb5dc", "#ff7f0e", "#ffb36b", "#2ca02c", "#8fd48a", "#d62728",
                                    "#f0908f", "#9467bd", "#c8b2de", "#8c564b", "#c49c94", "#e377c2", "#f5b6d2",
                                    "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"};
constexpr const char* kDashes[] = {"6 4", "2 3", "10 3 2 3"};

}  // namespace

std::string entry_colour(std::size_t entry_index) { return kPalette[entry_index % std::size(kPalette)]; }

std::string run_dash(std::size_t run_index, std::size_t run_count) {
  if (run_index + 1 >= run_count) return "";
  return kDashes[run_index % std::size(kDashes)];
}

}  // namespace bnb::app::report
