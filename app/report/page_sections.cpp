#include "page_sections.hpp"

#include <fmt/format.h>

#include "compare.hpp"
#include "escape.hpp"
#include "pairs.hpp"
#include "render.hpp"

namespace bnb::app::report {
namespace {

using Json = nlohmann::json;

std::string html_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       const std::vector<bool>& failed = {}) {
  std::string out = "<table>\n<tr>";
  for (std::size_t c = 0; c < header.size(); ++c) {
    out += fmt::format("<th{}>{}</th>", c < 2 ? " class=\"text\"" : "", escape_markup(header[c]));
  }
  out += "</tr>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += r < failed.size() && failed[r] ? "<tr class=\"failed\">" : "<tr>";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      out += fmt::format("<td{}>{}</td>", c < 2 ? " class=\"text\"" : "", escape_markup(rows[r][c]));
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string run_heading(const ReportInput& in, std::size_t r) {
  if (in.runs.size() == 1) return "";
  const std::string role = r == 0 ? "baseline" : r + 1 == in.runs.size() ? "candidate" : fmt::format("run {}", r + 1);
  return fmt::format("<h3>{}: {}</h3>\n", role, escape_markup(in.runs[r].name));
}

/// A JSON value as one line of text (strings unquoted).
std::string text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

/// Key-value rows of the named fields of a JSON object that are present.
void add_fields(std::vector<std::vector<std::string>>& rows, const std::string& section, const Json& obj,
                std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return;
  for (const char* k : keys) {
    if (obj.contains(k)) rows.push_back({section + "." + k, text_of(obj[k])});
  }
}

std::string params_text(const Json& params) {
  if (!params.is_array()) return text_of(params);
  std::string out;
  for (const auto& p : params) {
    if (!p.is_object()) continue;
    std::string shape;
    for (const auto& d : p.value("shape", Json::array())) shape += (shape.empty() ? "" : "×") + text_of(d);
    out += fmt::format("{}{} {} {}", out.empty() ? "" : "; ", p.value("name", "?"), p.value("dtype", "?"), shape);
  }
  return out;
}

}  // namespace

std::string runs_section(const ReportInput& in) {
  std::string out = "<p class=\"meta\">";
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    const RunResult& res = in.runs[r].result;
    const std::string role = in.runs.size() == 1 ? "results" : r == 0 ? "baseline" : r + 1 == in.runs.size() ? "candidate" : "run";
    out += fmt::format("{}{}: <b>{}</b> (run \"{}\", {} entries, bnb-bench {} git {}, {})", r ? "<br>" : "", role,
                       escape_markup(in.runs[r].name), escape_markup(res.run.is_object() ? res.run.value("name", "?") : "?"),
                       res.entries.size(), escape_markup(res.tool.is_object() ? res.tool.value("version", "?") : "?"),
                       escape_markup(res.tool.is_object() ? res.tool.value("git_revision", "?") : "?"),
                       escape_markup(res.machine.is_object() ? res.machine.value("cpu_model", "unknown CPU") : "unknown CPU"));
  }
  out += "</p>\n<p class=\"meta\">Figures: <a href=\"#error\">error vs step</a> · <a href=\"#loss\">loss</a> · "
         "<a href=\"#tradeoff\">memory × error × time</a> · <a href=\"#time\">step time</a> · "
         "<a href=\"#results\">results</a> · <a href=\"#gates\">gates</a> · <a href=\"#machine\">machine and "
         "configuration</a></p>\n";
  return out;
}

std::string summary_section(const ReportInput& in) {
  std::string out;
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    const auto pairs = state_format_pairs(in.runs[r].result);
    if (pairs.empty()) continue;
    out += run_heading(in, r) + "<ul class=\"sentences\">";
    for (const auto& p : pairs) out += "<li>" + escape_markup(pair_sentence(p)) + "</li>";
    out += "</ul>\n" + html_table(pair_header(), pair_rows(pairs));
  }
  if (out.empty()) return "";
  return "<section id=\"pairs\">\n<h2>Same configuration, different state format</h2>\n<p class=\"caption\">Entries "
         "that differ only in state format, side by side. Ratios are entry / vs: state memory, error "
         "(rel_travel: the parameters' distance from the exact path relative to the distance travelled) and "
         "median step time.</p>\n" +
         out + "</section>\n";
}

std::string compare_section(const ReportInput& in) {
  if (!in.verdict) return "";
  return fmt::format("<section id=\"compare\">\n<h2>Comparison: {}</h2>\n<p class=\"caption\">bnb-bench compare of the "
                     "baseline and the candidate (rules: docs/compare.md).</p>\n<pre>{}</pre>\n</section>\n",
                     in.verdict->bits == 0 ? "no regression" : "REGRESSION: " + failed_names(in.verdict->bits),
                     escape_markup(render_compare_table(*in.verdict)));
}

std::string results_section(const ReportInput& in) {
  std::string out = "<section id=\"results\">\n<h2>Results</h2>\n";
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    const SummaryTable t = summary_table(in.runs[r].result);
    std::vector<bool> failed;
    for (const auto& e : in.runs[r].result.entries) failed.push_back(e.gate_failures != 0);
    out += run_heading(in, r) + html_table(t.header, t.rows, failed);
    for (const auto& n : t.notes) out += "<p class=\"meta\">" + escape_markup(n) + "</p>\n";
    if (const SummaryTable paging = paging_table(in.runs[r].result); !paging.rows.empty()) {
      out += html_table(paging.header, paging.rows);
      for (const auto& n : paging.notes) out += "<p class=\"meta\">" + escape_markup(n) + "</p>\n";
    }
  }
  return out + "</section>\n";
}

std::string gates_section(const ReportInput& in) {
  std::string out = "<section id=\"gates\">\n<h2>Gates and verdicts</h2>\n";
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    const RunResult& res = in.runs[r].result;
    out += run_heading(in, r);
    const Json gates = res.run.is_object() && res.run.contains("gates") ? res.run["gates"] : Json();
    out += fmt::format("<p class=\"meta\">Gates of the config: {}</p>\n",
                       gates.is_null() ? "not recorded in this results file" : escape_markup(gates.dump()));
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> failed;
    for (const auto& e : res.entries) {
      rows.push_back({e.label, e.gate_failures ? "failed: " + failed_names(e.gate_failures) : "passed"});
      failed.push_back(e.gate_failures != 0);
    }
    out += html_table({"entry", "verdict"}, rows, failed);
    out += fmt::format("<p class=\"{}\">Run exit code {}{}</p>\n", res.exit_bits ? "bad" : "ok", res.exit_bits,
                       res.exit_bits ? " (" + failed_names(res.exit_bits) + ")" : std::string(": every gate passed"));
  }
  return out + "</section>\n";
}

std::string machine_section(const ReportInput& in) {
  std::string out = "<section id=\"machine\">\n<h2>Machine and configuration</h2>\n";
  for (std::size_t r = 0; r < in.runs.size(); ++r) {
    const RunResult& res = in.runs[r].result;
    std::vector<std::vector<std::string>> rows;
    add_fields(rows, "machine", res.machine,
               {"cpu_model", "cpu_vendor", "cpu_family", "cpu_model_number", "isa_variant", "cpu_encoder",
                "bf16_instructions", "huge_pages", "logical_cpus", "cores_per_socket", "threads",
                "memory_total_bytes", "memory_bandwidth_bytes_per_s", "hostname"});
    add_fields(rows, "tool", res.tool, {"version", "git_revision", "build_type", "command_line"});
    add_fields(rows, "run", res.run, {"name", "config", "seed", "threads", "device", "workload", "reference", "timing",
                                      "wall_seconds"});
    if (res.run.is_object() && res.run.contains("params")) rows.push_back({"run.params", params_text(res.run["params"])});
    out += run_heading(in, r) + html_table({"field", "value"}, rows);
  }
  return out + "</section>\n";
}

}  // namespace bnb::app::report
