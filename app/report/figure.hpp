#pragma once
// One figure of the report and what every figure shares: the legend of entries (colour) and
// results files (dash pattern), a frame tall enough for that legend, and the data marks, each of
// which carries data-entry / data-run attributes (a test counts them per figure).
#include <string>
#include <vector>

#include "axes.hpp"
#include "report_input.hpp"

namespace bnb::app::report {

struct Figure {
  std::string id;       // the HTML anchor: report.html#<id>
  std::string title;
  std::string caption;  // how to read it
  std::string svg;      // empty: nothing to draw (see notes)
  std::vector<std::string> notes;
};

/// Entries with their colours, then (with several runs) each file with its dash pattern.
std::vector<LegendItem> legend_for(const ReportInput& in, bool lines);
/// The default frame with at least `height`, taller when the legend needs it.
Frame frame_for(const std::vector<LegendItem>& legend, double height = Frame{}.height);
/// The attributes of a data mark of entry `label` in run `run` (plus its class).
Attributes mark_attributes(const std::string& mark_class, const std::string& label, std::size_t run);

// The figures (each in its own file).
Figure error_figure(const ReportInput& in);
Figure loss_figure(const ReportInput& in);
Figure tradeoff_figure(const ReportInput& in);
Figure time_figure(const ReportInput& in);

}  // namespace bnb::app::report
