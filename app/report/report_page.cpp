#include "report_page.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "escape.hpp"
#include "figure.hpp"
#include "page_sections.hpp"

namespace bnb::app::report {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #222;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 16px 0 4px; }
p.caption, p.meta { color: #555; margin: 2px 0 8px; max-width: 900px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; } td.text, th.text { text-align: left; white-space: normal; }
tr.failed td { background: #fdecea; } .ok { color: #1a7f37; } .bad { color: #c62828; font-weight: 600; }
ul.sentences li { margin: 2px 0; } ul.notes { color: #666; font-size: 12px; }
pre { background: #f7f7f7; padding: 8px; font-size: 12px; overflow-x: auto; }
svg { max-width: 100%; height: auto; font-size: 11px; }
svg .grid { stroke: #eee; } svg .tick { stroke: #888; } svg .frame { fill: none; stroke: #999; }
svg .axis-title { font-size: 12px; fill: #444; } svg .whisker { stroke: #222; stroke-width: 1.2; }
svg .mark-label { font-size: 10px; fill: #444; } svg .point.nonfinite { stroke: #c62828; stroke-width: 2; }
)css";

std::string figure_section(const Figure& f) {
  std::string out = fmt::format("<section class=\"figure\" id=\"{}\">\n<h2>{}</h2>\n<p class=\"caption\">{}</p>\n", f.id,
                                escape_markup(f.title), escape_markup(f.caption));
  out += f.svg.empty() ? "" : f.svg + "\n";
  if (!f.notes.empty()) {
    out += "<ul class=\"notes\">";
    for (const auto& n : f.notes) out += "<li>" + escape_markup(n) + "</li>";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

}  // namespace

std::vector<FigureLink> figure_links() {
  return {{"error", "Error vs step"}, {"loss", "Objective loss vs step"}, {"tradeoff", "Memory × error × time"},
          {"time", "Step time"}};
}

std::string render_report(const ReportInput& in) {
  std::string names;
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    names += (r ? ", " : "") + std::filesystem::path(in.runs[r].name).filename().string();
  }
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>bnb-bench report: {}</title>\n<style>{}</style>\n</head>\n<body>\n", escape_markup(names), kStyle);
  out += "<h1>bnb-bench report</h1>\n" + runs_section(in);
  out += compare_section(in);
  out += summary_section(in);
  for (const Figure& f : {error_figure(in), loss_figure(in), tradeoff_figure(in), time_figure(in)}) {
    out += figure_section(f);
  }
  out += results_section(in);
  out += gates_section(in);
  out += machine_section(in);
  return out + "</body>\n</html>\n";
}

}  // namespace bnb::app::report
