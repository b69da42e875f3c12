#include "figure.hpp"

#include <algorithm>
#include <filesystem>

#include "style.hpp"

namespace bnb::app::report {
namespace {

constexpr double kLegendRowHeight = 15;  // axes.cpp's legend row

}  // namespace

std::vector<LegendItem> legend_for(const ReportInput& in, bool lines) {
  std::vector<LegendItem> items;
  const auto labels = in.labels();
  for (std::size_t i = 0; i < labels.size(); ++i) items.push_back({labels[i], entry_colour(i), "", lines});
  if (in.runs.size() > 1) {
    for (std::size_t r = 0; r < in.runs.size(); ++r) {
      const std::string role = r == 0 ? "baseline" : r + 1 == in.runs.size() ? "candidate" : "run " + std::to_string(r + 1);
      items.push_back({role + ": " + std::filesystem::path(in.runs[r].name).filename().string(), "",
                       run_dash(r, in.runs.size()), true});
    }
  }
  return items;
}

Frame frame_for(const std::vector<LegendItem>& legend, double height) {
  Frame f;
  f.height = std::max(height, f.top + 16 + kLegendRowHeight * static_cast<double>(legend.size()) + f.bottom);
  return f;
}

Attributes mark_attributes(const std::string& mark_class, const std::string& label, std::size_t run) {
  return {{"class", mark_class}, {"data-entry", label}, {"data-run", std::to_string(run)}};
}

}  // namespace bnb::app::report
