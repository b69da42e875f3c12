#pragma once
// The frame every figure shares: the plot area inside the margins, the axes with their ticks,
// grid lines and titles, and a legend column on the right.
#include <string>
#include <vector>

#include "scale.hpp"
#include "svg.hpp"

namespace bnb::app::report {

struct Frame {
  double width = 760, height = 340;
  double left = 72, right = 200, top = 16, bottom = 48;  // right: the legend column
  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }
};

/// Grid, ticks and axis titles of a plot with scales x and y (already mapped onto the frame).
void draw_axes(Svg& svg, const Frame& f, const Scale& x, const Scale& y, const std::string& x_title,
               const std::string& y_title);

struct LegendItem {
  std::string text;
  std::string colour;  // "" = no swatch colour (black)
  std::string dash;    // a line sample with this dash pattern when not empty or `line` is set
  bool line = false;
};

/// One item per row in the legend column, from the top of the plot area.
void draw_legend(Svg& svg, const Frame& f, const std::vector<LegendItem>& items);

}  // namespace bnb::app::report
