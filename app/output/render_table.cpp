#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "default_suite.hpp"
#include "pairs.hpp"
#include "render.hpp"

namespace bnb::app {
namespace {

std::string number(double v, int digits = 3) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}g}", v, digits);
}

std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return fmt::format("{:.3g} {}", b, units[u]);
}

}  // namespace

SummaryTable summary_table(const RunResult& r) {
  SummaryTable t;
  t.header = {"label", "optimizer", "bits", "ns/param", "iqr", "GB/s", "roofline", "state B/param", "state",
              "rel_travel", "param max_abs", "loss", "underflows", "max step/lr"};
  for (const auto& e : r.entries) {
    std::vector<std::string> row;
    row.push_back(e.label);
    row.push_back(e.optimizer);
    row.push_back(e.state_bits ? std::to_string(e.state_bits) + (e.paged ? " paged" : "") : "-");
    if (e.time) {
      row.push_back(number(e.time->median) + (e.time->timed_out ? "*" : ""));
      row.push_back(number(e.time->iqr, 2));
      const bool modelled = e.implementation.is_null();  // no traffic model for another library's step
      row.push_back(modelled ? number(e.throughput.bytes_per_s / 1e9) : "-");
      row.push_back(modelled ? number(e.throughput.roofline_fraction, 2) : "-");
    } else {
      row.insert(row.end(), {"-", "-", "-", "-"});
    }
    row.push_back(number(e.memory.state_bytes_per_param, 4));
    row.push_back(bytes_text(static_cast<double>(e.memory.state_bytes)));
    if (e.error) {
      row.push_back(number(e.error->rel_travel));
      row.push_back(number(e.error->param.max_abs));
    } else {
      row.insert(row.end(), {"-", "-"});
    }
    row.push_back(e.objective ? number(e.objective->loss, 4) : "-");
    if (const auto& q = e.quantization) {  // 8-bit state: the underflow hazard (docs/eight_bit.md)
      row.push_back(q->first_underflow_step ? fmt::format("{} from step {}", q->underflows, *q->first_underflow_step)
                                            : "0");
      row.push_back(number(q->max_step_lr));
    } else {
      row.insert(row.end(), {"-", "-"});
    }
    t.rows.push_back(std::move(row));
  }
  bool timed_out = false;
  std::uint64_t nonfinite = 0;
  for (const auto& e : r.entries) {
    timed_out = timed_out || (e.time && e.time->timed_out);
    nonfinite += e.nonfinite.gradients + e.nonfinite.params + e.nonfinite.states;
  }
  if (timed_out) t.notes.push_back("* timing stopped at the timeout before reaching the minimum time/samples");
  if (nonfinite) t.notes.push_back(fmt::format("{} non-finite values seen (see the JSON output)", nonfinite));
  for (const auto& e : r.entries) {
    if (e.failure) t.notes.push_back(fmt::format("{} failed: {}", e.label, *e.failure));
  }
  return t;
}

SummaryTable paging_table(const RunResult& r) {
  SummaryTable t;
  t.header = {"label", "budget", "paged state", "ns/param", "no budget", "ratio", "evicted/step", "restored/step",
              "major flt/step", "minor flt/step", "resident end", "resident peak"};
  for (const auto& e : r.entries) {
    if (!e.paging) continue;
    const PagingResult& p = *e.paging;
    std::vector<std::string> row = {e.label, p.budget_bytes ? bytes_text(static_cast<double>(p.budget_bytes)) : "none",
                                    bytes_text(static_cast<double>(e.memory.paged_bytes))};
    row.push_back(e.time ? number(e.time->median) : "-");
    const bool paired = e.time && p.unlimited_time;
    row.push_back(paired ? number(p.unlimited_time->median) : "-");
    row.push_back(paired && p.unlimited_time->median > 0 ? number(e.time->median / p.unlimited_time->median) : "-");
    if (p.timed) {
      row.push_back(bytes_text(p.timed->evicted_bytes_per_step));
      row.push_back(bytes_text(p.timed->restored_bytes_per_step));
      row.push_back(number(p.timed->major_faults_per_step));
      row.push_back(number(p.timed->minor_faults_per_step));
    } else {
      row.insert(row.end(), 4, "-");
    }
    row.push_back(bytes_text(static_cast<double>(p.resident_end_bytes)));
    row.push_back(p.timed ? bytes_text(static_cast<double>(p.timed->resident_peak_bytes)) : "-");
    t.rows.push_back(std::move(row));
  }
  if (!t.rows.empty()) {
    t.notes.push_back("paging: per timed step; \"no budget\" times the same entry again with its budget lifted; "
                      "resident state measured (mincore) after each tensor's step");
  }
  return t;
}

namespace {

std::string aligned(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      // Text columns left-aligned, numbers right-aligned.
      out += c < 2 ? fmt::format("{:<{}}", cells[c], width[c]) : fmt::format("{:>{}}", cells[c], width[c]);
      out += c + 1 < cells.size() ? "  " : "\n";
    }
  };
  line(header);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  out += std::string(total - 2, '-') + "\n";
  for (const auto& row : rows) line(row);
  return out;
}

std::string markdown(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    out += "|";
    for (const auto& c : cells) out += " " + c + " |";
    out += "\n";
  };
  line(header);
  out += "|";
  for (std::size_t c = 0; c < header.size(); ++c) out += c < 2 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : rows) line(row);
  return out;
}

bool is_builtin_suite(const RunResult& r) {
  return r.run.is_object() && r.run.value("config", "") == kDefaultSuiteSource;
}

}  // namespace

std::string render_table(const RunResult& r) {
  const SummaryTable t = summary_table(r);
  std::string out = aligned(t.header, t.rows);
  for (const auto& n : t.notes) out += n + "\n";
  const auto pairs = state_format_pairs(r);
  if (!pairs.empty()) {
    out += "\nsame configuration, different state format (ratios: entry / vs):\n" + aligned(pair_header(), pair_rows(pairs));
  }
  if (is_builtin_suite(r) && !pairs.empty()) {
    out += "\n";
    for (const auto& p : pairs) out += pair_sentence(p) + "\n";
  }
  if (const SummaryTable paging = paging_table(r); !paging.rows.empty()) {
    out += "\n" + aligned(paging.header, paging.rows);
    for (const auto& n : paging.notes) out += n + "\n";
  }
  return out;
}

std::string render_markdown(const RunResult& r) {
  const SummaryTable t = summary_table(r);
  std::string out = markdown(t.header, t.rows);
  if (!t.notes.empty()) out += "\n";
  for (const auto& n : t.notes) out += n + "\n";
  const auto pairs = state_format_pairs(r);
  if (!pairs.empty()) {
    out += "\n**Same configuration, different state format** (ratios: entry / vs)\n\n" +
           markdown(pair_header(), pair_rows(pairs));
  }
  if (const SummaryTable paging = paging_table(r); !paging.rows.empty()) {
    out += "\n**Paging**\n\n" + markdown(paging.header, paging.rows) + "\n";
    for (const auto& n : paging.notes) out += n + "\n";
  }
  return out;
}

std::string render(const RunResult& r, OutputFormat f) {
  switch (f) {
    case OutputFormat::json: return render_json(r);
    case OutputFormat::csv: return render_csv(r);
    case OutputFormat::markdown: return render_markdown(r);
    case OutputFormat::table: break;
  }
  return render_table(r);
}

}  // namespace bnb::app
