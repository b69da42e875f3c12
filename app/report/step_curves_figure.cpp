// The per-step figures: the parameters' error (rel_travel) and the objective's loss after every
// step, one line per entry and results file, on a log scale.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>

#include "figure.hpp"
#include "style.hpp"

namespace bnb::app::report {
namespace {

constexpr double kPointRadius = 2.2;

using CurveOf = std::function<const std::vector<double>*(const EntryResult&)>;

Figure step_curves(const ReportInput& in, Figure fig, const std::string& y_title, const CurveOf& curve_of,
                   const std::string& missing) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  double first_step = std::numeric_limits<double>::infinity(), last_step = 0;
  bool any = false;
  for (const auto& run : in.runs) {
    for (const auto& e : run.result.entries) {
      const auto* c = curve_of(e);
      if (c == nullptr || c->empty()) {
        fig.notes.push_back(fmt::format("{} ({}): {}", e.label, run.name, missing));
        continue;
      }
      any = true;
      first_step = std::min(first_step, static_cast<double>(e.start_step + 1));
      last_step = std::max(last_step, static_cast<double>(e.start_step) + static_cast<double>(c->size()));
      for (double v : *c) {
        if (std::isfinite(v) && v > 0) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
    }
  }
  if (!any) return fig;
  const auto legend = legend_for(in, true);
  const Frame f = frame_for(legend);
  const Scale x = Scale::linear(first_step, last_step, f.plot_left(), f.plot_right());
  const Scale y = Scale::log(lo, hi, f.plot_bottom(), f.plot_top());
  Svg svg(f.width, f.height, fig.title, {{"data-figure", fig.id}});
  draw_axes(svg, f, x, y, "step", y_title);
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    for (const auto& e : in.runs[r].result.entries) {
      const auto* c = curve_of(e);
      if (c == nullptr || c->empty()) continue;
      const std::string colour = entry_colour(in.label_index(e.label));
      std::vector<Point> points;
      for (std::size_t k = 0; k < c->size(); ++k) {
        points.push_back({x(static_cast<double>(e.start_step) + static_cast<double>(k) + 1), y((*c)[k])});
      }
      Attributes line = mark_attributes("series", e.label, r);
      line.insert(line.end(), {{"stroke", colour}, {"stroke-width", "1.6"}});
      const std::string dash = run_dash(r, in.runs.size());
      if (!dash.empty()) line.push_back({"stroke-dasharray", dash});
      svg.polyline(points, line);
      for (std::size_t k = 0; k < c->size(); ++k) {
        const double v = (*c)[k];
        // Zero sits on the bottom edge, a non-finite value on the top edge, each marked as such.
        const std::string kind = !std::isfinite(v) ? "point nonfinite" : v <= 0 ? "point floor" : "point";
        Attributes a = mark_attributes(kind, e.label, r);
        a.insert(a.end(), {{"data-step", std::to_string(e.start_step + static_cast<std::int64_t>(k) + 1)},
                           {"fill", colour}});
        svg.circle(points[k].x, points[k].y, kPointRadius, a,
                   fmt::format("{} step {}: {:.4g} ({})", e.label, e.start_step + static_cast<std::int64_t>(k) + 1, v,
                               in.runs[r].name));
      }
    }
  }
  draw_legend(svg, f, legend);
  fig.svg = svg.str();
  return fig;
}

}  // namespace

Figure error_figure(const ReportInput& in) {
  Figure fig{"error", "Error vs step",
             "The parameters' distance from the exact (fp64 reference) path after every step, as a fraction of the "
             "distance that path has travelled from the start: ‖p − p_ref‖ / ‖p_ref − p₀‖ (rel_travel). "
             "0.01 means 1% off the exact path. Log scale; a zero error sits on the bottom edge.",
             "", {}};
  return step_curves(in, fig, "error / distance travelled", [](const EntryResult& e) {
    return e.error ? &e.error->curve_rel_travel : nullptr;
  }, "no error curve (reference off, or a results file without rel_travel)");
}

Figure loss_figure(const ReportInput& in) {
  Figure fig{"loss", "Objective loss vs step",
             "Mean loss per element after every step of the objective workload (log scale). The optimum's loss is 0.",
             "", {}};
  fig = step_curves(in, fig, "loss", [](const EntryResult& e) {
    return e.objective ? &e.objective->loss_curve : nullptr;
  }, "no loss curve (not an objective workload)");
  if (fig.svg.empty()) fig.notes = {"No objective workload in these results: the loss figure applies to quadratic, "
                                    "rosenbrock and least_squares workloads."};
  return fig;
}

}  // namespace bnb::app::report
