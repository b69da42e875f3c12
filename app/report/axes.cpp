#include "axes.hpp"

namespace bnb::app::report {
namespace {

constexpr double kTickLength = 4;
constexpr double kLegendRow = 15;
constexpr std::size_t kLegendMaxChars = 26;  // longer labels are cut with an ellipsis

}  // namespace

void draw_axes(Svg& svg, const Frame& f, const Scale& x, const Scale& y, const std::string& x_title,
               const std::string& y_title) {
  svg.open_group({{"class", "axes"}});
  for (double t : x.ticks()) {
    const double px = x(t);
    svg.line(px, f.plot_top(), px, f.plot_bottom(), {{"class", "grid"}});
    svg.line(px, f.plot_bottom(), px, f.plot_bottom() + kTickLength, {{"class", "tick"}});
    svg.text(px, f.plot_bottom() + 16, Scale::tick_label(t), {{"text-anchor", "middle"}});
  }
  for (double t : y.ticks()) {
    const double py = y(t);
    svg.line(f.plot_left(), py, f.plot_right(), py, {{"class", "grid"}});
    svg.line(f.plot_left() - kTickLength, py, f.plot_left(), py, {{"class", "tick"}});
    svg.text(f.plot_left() - 7, py + 4, Scale::tick_label(t), {{"text-anchor", "end"}});
  }
  svg.rect(f.plot_left(), f.plot_top(), f.plot_right() - f.plot_left(), f.plot_bottom() - f.plot_top(),
           {{"class", "frame"}});
  svg.text((f.plot_left() + f.plot_right()) / 2, f.height - 10, x_title, {{"text-anchor", "middle"}, {"class", "axis-title"}});
  const double cy = (f.plot_top() + f.plot_bottom()) / 2;
  svg.text(14, cy, y_title,
           {{"text-anchor", "middle"}, {"class", "axis-title"}, {"transform", "rotate(-90 14 " + coordinate(cy) + ")"}});
  svg.close_group();
}

void draw_legend(Svg& svg, const Frame& f, const std::vector<LegendItem>& items) {
  svg.open_group({{"class", "legend"}});
  const double x = f.plot_right() + 14;
  double y = f.plot_top() + 8;
  for (const auto& item : items) {
    const std::string colour = item.colour.empty() ? "#333" : item.colour;
    if (item.line || !item.dash.empty()) {
      Attributes a = {{"stroke", colour}, {"stroke-width", "2"}};
      if (!item.dash.empty()) a.push_back({"stroke-dasharray", item.dash});
      svg.line(x, y - 4, x + 22, y - 4, a);
    } else {
      svg.circle(x + 11, y - 4, 4.5, {{"fill", colour}});
    }
    std::string text = item.text;
    if (text.size() > kLegendMaxChars) text = text.substr(0, kLegendMaxChars - 1) + "…";
    svg.text(x + 28, y, text);
    y += kLegendRow;
  }
  svg.close_group();
}

}  // namespace bnb::app::report
