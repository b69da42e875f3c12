#pragma once
// The report as one self-contained HTML page: inline CSS and SVG only (a Content-Security-Policy
// forbids fetching anything), readable offline and as a CI artifact.
#include <string>

#include "report_input.hpp"

namespace bnb::app::report {

/// The page; its figures are anchored at #error, #loss, #tradeoff and #time.
std::string render_report(const ReportInput& in);

/// The anchors and titles of the figures, in page order (for links to them).
struct FigureLink {
  std::string id, title;
};
std::vector<FigureLink> figure_links();

}  // namespace bnb::app::report
