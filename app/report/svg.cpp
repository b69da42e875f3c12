#include "svg.hpp"

#include <fmt/format.h>

#include "escape.hpp"

namespace bnb::app::report {
namespace {

std::string attributes_text(const Attributes& a) {
  std::string out;
  for (const auto& [name, value] : a) out += fmt::format(" {}=\"{}\"", name, escape_markup(value));
  return out;
}

}  // namespace

std::string coordinate(double v) { return fmt::format("{:.2f}", v); }

Svg::Svg(double width, double height, const std::string& label, const Attributes& attributes) {
  Attributes a = {{"xmlns", "http://www.w3.org/2000/svg"},
                  {"width", coordinate(width)},
                  {"height", coordinate(height)},
                  {"viewBox", fmt::format("0 0 {} {}", coordinate(width), coordinate(height))},
                  {"role", "img"},
                  {"aria-label", label}};
  a.insert(a.end(), attributes.begin(), attributes.end());
  head_ = "<svg" + attributes_text(a) + ">";
}

void Svg::element(const char* name, const Attributes& geometry, const Attributes& a, const std::string& tooltip) {
  if (tooltip.empty()) {
    body_ += fmt::format("<{}{}{}/>", name, attributes_text(geometry), attributes_text(a));
  } else {
    body_ += fmt::format("<{0}{1}{2}><title>{3}</title></{0}>", name, attributes_text(geometry), attributes_text(a),
                         escape_markup(tooltip));
  }
}

void Svg::line(double x1, double y1, double x2, double y2, const Attributes& a) {
  element("line", {{"x1", coordinate(x1)}, {"y1", coordinate(y1)}, {"x2", coordinate(x2)}, {"y2", coordinate(y2)}}, a);
}

void Svg::polyline(const std::vector<Point>& points, const Attributes& a) {
  std::string p;
  for (const auto& pt : points) p += (p.empty() ? "" : " ") + coordinate(pt.x) + "," + coordinate(pt.y);
  element("polyline", {{"points", p}, {"fill", "none"}}, a);
}

void Svg::circle(double cx, double cy, double r, const Attributes& a, const std::string& tooltip) {
  element("circle", {{"cx", coordinate(cx)}, {"cy", coordinate(cy)}, {"r", coordinate(r)}}, a, tooltip);
}

void Svg::rect(double x, double y, double width, double height, const Attributes& a, const std::string& tooltip) {
  element("rect", {{"x", coordinate(x)}, {"y", coordinate(y)}, {"width", coordinate(width)}, {"height", coordinate(height)}},
          a, tooltip);
}

void Svg::text(double x, double y, const std::string& content, const Attributes& a) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\"{}>{}</text>", coordinate(x), coordinate(y), attributes_text(a),
                       escape_markup(content));
}

void Svg::open_group(const Attributes& a) {
  body_ += "<g" + attributes_text(a) + ">";
  ++open_groups_;
}

void Svg::close_group() {
  if (open_groups_ == 0) return;
  body_ += "</g>";
  --open_groups_;
}

std::string Svg::str() const {
  std::string out = head_ + body_;
  for (int i = 0; i < open_groups_; ++i) out += "</g>";
  return out + "</svg>";
}

}  // namespace bnb::app::report
