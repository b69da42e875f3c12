// Memory × error × time: state bytes per parameter against the final error, the marker's area
// growing with the step time. The corner nearest the origin is cheap and exact.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "figure.hpp"
#include "style.hpp"

namespace bnb::app::report {
namespace {

constexpr double kMinRadius = 4, kMaxRadius = 14;  // the fastest and the slowest entry

bool plotted(const EntryResult& e) { return e.error && std::isfinite(e.error->rel_travel); }

// Marker labels are placed right, left, above or below the marker, wherever they do not cover
// another label; where every place is taken the label is left out (the legend and the marker's
// tooltip still name the entry).
constexpr double kCharWidth = 6, kLabelHeight = 11;

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

void place_label(Svg& svg, std::vector<Box>& taken, double cx, double cy, double r, const std::string& text) {
  const double w = kCharWidth * static_cast<double>(text.size()), h = kLabelHeight;
  const Box candidates[] = {{cx + r + 3, cy - h / 2, cx + r + 3 + w, cy + h / 2},
                            {cx - r - 3 - w, cy - h / 2, cx - r - 3, cy + h / 2},
                            {cx - w / 2, cy - r - 2 - h, cx + w / 2, cy - r - 2},
                            {cx - w / 2, cy + r + 2, cx + w / 2, cy + r + 2 + h}};
  for (const Box& b : candidates) {
    bool free = true;
    for (const Box& t : taken) free = free && !b.overlaps(t);
    if (!free) continue;
    taken.push_back(b);
    svg.text(b.x0, b.y1 - 2, text, {{"class", "mark-label"}});
    return;
  }
}

}  // namespace

Figure tradeoff_figure(const ReportInput& in) {
  Figure fig{"tradeoff", "Memory × error × time",
             "Each entry at its optimizer-state bytes per parameter (x) and its final error relative to the distance "
             "travelled (y, log scale); the marker's area grows with the median step time (ns per parameter). "
             "Lower left is better.",
             "", {}};
  double x_hi = 0, y_lo = std::numeric_limits<double>::infinity(), y_hi = 0, ns_hi = 0;
  bool any = false;
  for (const auto& run : in.runs) {
    for (const auto& e : run.result.entries) {
      if (!plotted(e)) {
        fig.notes.push_back(fmt::format("{} ({}): not plotted, {}", e.label, run.name,
                                        e.error ? "its error is not finite" : "no error measured (reference off)"));
        continue;
      }
      any = true;
      x_hi = std::max(x_hi, e.memory.state_bytes_per_param);
      if (e.error->rel_travel > 0) {
        y_lo = std::min(y_lo, e.error->rel_travel);
        y_hi = std::max(y_hi, e.error->rel_travel);
      }
      if (e.time) ns_hi = std::max(ns_hi, e.time->median);
    }
  }
  if (!any) return fig;
  const auto legend = legend_for(in, false);
  const Frame f = frame_for(legend);
  const Scale x = Scale::linear(0, x_hi * 1.05, f.plot_left(), f.plot_right());
  const Scale y = Scale::log(y_lo, y_hi, f.plot_bottom(), f.plot_top());
  Svg svg(f.width, f.height, fig.title, {{"data-figure", fig.id}});
  draw_axes(svg, f, x, y, "optimizer state, bytes per parameter", "error / distance travelled");
  struct Marker {
    double x, y, r;
    std::string label;
  };
  std::vector<Marker> markers;
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    for (const auto& e : in.runs[r].result.entries) {
      if (!plotted(e)) continue;
      const std::string colour = entry_colour(in.label_index(e.label));
      const double ns = e.time ? e.time->median : 0;
      // Area proportional to time: radius grows with its square root.
      const double radius = ns_hi > 0 ? kMinRadius + (kMaxRadius - kMinRadius) * std::sqrt(ns / ns_hi) : kMinRadius;
      Attributes a = mark_attributes(e.error->rel_travel > 0 ? "point" : "point floor", e.label, r);
      // The baseline's markers are pale and dashed, the candidate's solid.
      const bool baseline = !run_dash(r, in.runs.size()).empty();
      a.insert(a.end(), {{"fill", colour}, {"fill-opacity", baseline ? "0.15" : "0.75"}, {"stroke", colour},
                         {"stroke-width", "1.5"}});
      if (baseline) a.push_back({"stroke-dasharray", "3 2"});
      const double cx = x(e.memory.state_bytes_per_param), cy = y(e.error->rel_travel);
      svg.circle(cx, cy, radius, a,
                 fmt::format("{} ({}): {:.4g} B/param, rel_travel {:.3g}, {}", e.label, in.runs[r].name,
                             e.memory.state_bytes_per_param, e.error->rel_travel,
                             e.time ? fmt::format("{:.3g} ns/param", ns) : std::string("not timed")));
      markers.push_back({cx, cy, radius, e.label});
    }
  }
  std::vector<Box> taken;
  for (const auto& m : markers) taken.push_back({m.x - m.r, m.y - m.r, m.x + m.r, m.y + m.r});
  for (const auto& m : markers) place_label(svg, taken, m.x, m.y, m.r, m.label);
  draw_legend(svg, f, legend);
  fig.svg = svg.str();
  return fig;
}

}  // namespace bnb::app::report
