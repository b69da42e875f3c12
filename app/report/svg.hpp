#pragma once
// A small SVG writer: the elements the report's figures need (lines, polylines, circles,
// rectangles, text, groups), each with arbitrary attributes. Coordinates are written with two
// decimals; text and attribute values are escaped. The result is an inline <svg> element.
#include <string>
#include <utility>
#include <vector>

namespace bnb::app::report {

/// name="value" pairs, written in order.
using Attributes = std::vector<std::pair<std::string, std::string>>;

struct Point {
  double x = 0, y = 0;
};

class Svg {
 public:
  /// `label` becomes the aria-label of the figure (what a screen reader announces).
  Svg(double width, double height, const std::string& label, const Attributes& attributes = {});

  void line(double x1, double y1, double x2, double y2, const Attributes& a = {});
  void polyline(const std::vector<Point>& points, const Attributes& a = {});
  /// `tooltip`: a <title> child, shown on hover.
  void circle(double cx, double cy, double r, const Attributes& a = {}, const std::string& tooltip = "");
  void rect(double x, double y, double width, double height, const Attributes& a = {}, const std::string& tooltip = "");
  void text(double x, double y, const std::string& content, const Attributes& a = {});
  void open_group(const Attributes& a = {});
  void close_group();

  /// The finished <svg> element (closes any group left open).
  std::string str() const;

 private:
  void element(const char* name, const Attributes& geometry, const Attributes& a, const std::string& tooltip = "");

  std::string body_;
  std::string head_;
  int open_groups_ = 0;
};

/// A coordinate as written into the SVG ("12.35").
std::string coordinate(double v);

}  // namespace bnb::app::report
