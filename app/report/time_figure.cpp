// Step time: the median ns per parameter per step of every entry as a bar, its inter-quartile
// range as a whisker; one bar per results file, grouped by entry.
#include <fmt/format.h>

#include <algorithm>

#include "figure.hpp"
#include "style.hpp"
#include "timing.hpp"

namespace bnb::app::report {
namespace {

constexpr double kBarHeight = 12, kBarGap = 3, kGroupGap = 8;

struct Quartiles {
  double q1, median, q3;
};

Quartiles quartiles(const TimeStats& t) {
  if (t.samples.size() >= 2) return {quantile(t.samples, 0.25), t.median, quantile(t.samples, 0.75)};
  return {t.median - t.iqr / 2, t.median, t.median + t.iqr / 2};  // no samples recorded: centred on the median
}

}  // namespace

Figure time_figure(const ReportInput& in) {
  Figure fig{"time", "Step time",
             "Median wall time of one optimizer step per parameter element (ns/param, bar) with the inter-quartile "
             "range of the timing samples (whisker). Shorter is faster.",
             "", {}};
  const auto labels = in.labels();
  double hi = 0;
  std::size_t bars = 0;
  for (const auto& run : in.runs) {
    for (const auto& e : run.result.entries) {
      if (!e.time) {
        fig.notes.push_back(fmt::format("{} ({}): not timed (timing disabled)", e.label, run.name));
        continue;
      }
      hi = std::max({hi, quartiles(*e.time).q3, e.time->median});
      ++bars;
    }
  }
  if (bars == 0) return fig;
  // Entries are named on the y axis; the legend names only the files.
  const auto all = legend_for(in, false);
  const std::vector<LegendItem> legend(all.end() - static_cast<long>(in.runs.size() > 1 ? in.runs.size() : 0), all.end());
  const double rows = static_cast<double>(bars) * (kBarHeight + kBarGap) + static_cast<double>(labels.size()) * kGroupGap;
  Frame f = frame_for(legend, Frame{}.top + rows + Frame{}.bottom);
  f.left = 110;
  const Scale x = Scale::linear(0, hi, f.plot_left(), f.plot_right());
  Svg svg(f.width, f.height, fig.title, {{"data-figure", fig.id}});
  svg.open_group({{"class", "axes"}});
  for (double t : x.ticks()) {
    svg.line(x(t), f.plot_top(), x(t), f.plot_bottom(), {{"class", "grid"}});
    svg.text(x(t), f.plot_bottom() + 16, Scale::tick_label(t), {{"text-anchor", "middle"}});
  }
  svg.text((f.plot_left() + f.plot_right()) / 2, f.height - 10, "ns per parameter per step (median, IQR)",
           {{"text-anchor", "middle"}, {"class", "axis-title"}});
  svg.close_group();
  double y = f.plot_top() + kGroupGap / 2;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    const std::string colour = entry_colour(l);
    const double group_top = y;
    for (std::size_t r = 0; r < in.runs.size(); ++r) {
      for (const auto& e : in.runs[r].result.entries) {
        if (e.label != labels[l] || !e.time) continue;
        const Quartiles q = quartiles(*e.time);
        Attributes a = mark_attributes("point", e.label, r);
        const bool baseline = !run_dash(r, in.runs.size()).empty();
        a.insert(a.end(), {{"fill", colour}, {"fill-opacity", baseline ? "0.25" : "0.85"}, {"stroke", colour}});
        if (baseline) a.push_back({"stroke-dasharray", run_dash(r, in.runs.size())});
        svg.rect(f.plot_left(), y, x(q.median) - f.plot_left(), kBarHeight, a,
                 fmt::format("{} ({}): median {:.4g} ns/param, IQR {:.3g}{}", e.label, in.runs[r].name, q.median,
                             e.time->iqr, e.time->timed_out ? ", timed out" : ""));
        const double mid = y + kBarHeight / 2;
        svg.line(x(q.q1), mid, x(q.q3), mid, {{"class", "whisker"}});
        svg.line(x(q.q1), mid - 4, x(q.q1), mid + 4, {{"class", "whisker"}});
        svg.line(x(q.q3), mid - 4, x(q.q3), mid + 4, {{"class", "whisker"}});
        y += kBarHeight + kBarGap;
      }
    }
    if (y > group_top) svg.text(f.plot_left() - 7, (group_top + y - kBarGap) / 2 + 4, labels[l], {{"text-anchor", "end"}});
    y += kGroupGap;
  }
  svg.rect(f.plot_left(), f.plot_top(), f.plot_right() - f.plot_left(), f.plot_bottom() - f.plot_top(),
           {{"class", "frame"}});
  draw_legend(svg, f, legend);
  fig.svg = svg.str();
  return fig;
}

}  // namespace bnb::app::report
