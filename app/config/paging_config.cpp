#include "paging_config.hpp"

#include <fmt/format.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "bnb/errors.hpp"
#include "config.hpp"
#include "glob.hpp"
#include "suggest.hpp"

namespace bnb::app {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
// statfs(2) f_type of the file systems that keep file data in memory.
constexpr long kTmpfsMagic = 0x01021994;
constexpr long kRamfsMagic = static_cast<long>(0x858458f6);
// Far beyond any machine's memory; keeps the byte count exact and finite.
constexpr double kMaxBudgetMib = 1024.0 * 1024.0 * 1024.0;  // 1 PiB

double checked_budget(double mib, std::string_view origin) {
  if (!std::isfinite(mib) || mib < 0) fail(origin, fmt::format("must be >= 0 MiB (0 = unlimited), got {}", mib));
  if (mib > kMaxBudgetMib) fail(origin, fmt::format("{} MiB is beyond any machine's memory", mib));
  return mib;
}

std::string mib_text(std::size_t bytes) { return fmt::format("{:.4g} MiB", static_cast<double>(bytes) / kMiB); }

}  // namespace

std::size_t PagingBudget::bytes() const { return static_cast<std::size_t>(std::llround(mib * kMiB)); }

const PagingBudget& PagingConfig::budget_for(const std::string& label) const {
  for (auto it = per_label.rbegin(); it != per_label.rend(); ++it) {
    if (glob_match(it->labels, label)) return it->budget;
  }
  return budget;
}

PagingConfig parse_paging(const Json& v, const std::string& path, const std::vector<std::string>& labels) {
  const JsonObject o(v, path, {"budget_mib", "directory", "per_label"});
  PagingConfig p;
  p.budget.origin = o.path_of("budget_mib");
  if (auto b = o.number("budget_mib")) p.budget.mib = checked_budget(*b, p.budget.origin);
  if (auto d = o.string("directory")) {
    if (d->empty()) fail(o.path_of("directory"), "must name a directory (omit it for the system temp directory)");
    p.directory = *d;
  }
  if (const Json* list = o.find("per_label")) {
    const std::string lpath = o.path_of("per_label");
    if (!list->is_array()) fail(lpath, fmt::format("expected a list of objects, got {}", describe(*list)));
    for (std::size_t i = 0; i < list->size(); ++i) {
      const JsonObject e((*list)[i], index_path(lpath, i), {"labels", "budget_mib"});
      LabelBudget lb;
      lb.labels = e.required_string("labels");
      if (std::none_of(labels.begin(), labels.end(), [&](const auto& l) { return glob_match(lb.labels, l); })) {
        fail(e.path_of("labels"), fmt::format("pattern \"{}\" matches no optimizer label{}", lb.labels,
                                              did_you_mean(lb.labels, labels)));
      }
      const Json& b = e.require("budget_mib");
      lb.budget.origin = e.path_of("budget_mib");
      lb.budget.mib = checked_budget(as_number(b, lb.budget.origin), lb.budget.origin);
      p.per_label.push_back(std::move(lb));
    }
  }
  return p;
}

void override_paging_budget(PagingConfig& p, double mib) {
  p.budget = {checked_budget(mib, "--paging-budget"), "--paging-budget"};
  p.per_label.clear();
}

std::filesystem::path paging_directory(const PagingConfig& p) {
  if (!p.directory.empty()) return p.directory;
  std::error_code ec;
  const auto tmp = std::filesystem::temp_directory_path(ec);
  return ec ? std::filesystem::path("/tmp") : tmp;
}

std::string memory_filesystem(const std::filesystem::path& dir) {
  struct statfs s {};
  if (statfs(dir.c_str(), &s) != 0) return "";
  const auto type = static_cast<long>(s.f_type);
  return type == kTmpfsMagic ? "tmpfs" : type == kRamfsMagic ? "ramfs" : "";
}

Json paging_json(const PagingConfig& p) {
  const std::filesystem::path dir = paging_directory(p);
  const std::string fs = memory_filesystem(dir);
  Json per_label = Json::array();
  for (const auto& lb : p.per_label) per_label.push_back({{"labels", lb.labels}, {"budget_bytes", lb.budget.bytes()}});
  return {{"budget_bytes", p.budget.bytes()},
          {"per_label", per_label},
          {"directory", dir.string()},
          {"memory_filesystem", fs.empty() ? Json(nullptr) : Json(fs)}};
}

PagedFootprint paged_footprint(const Config& c, const OptimizerEntry& e) {
  OptimizerOptions options;
  options.threads = c.threads;
  const Optimizer opt(e.name, e.args, param_specs(c), e.overrides, options);
  PagedFootprint f;
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const std::size_t bytes = opt.paged_state_bytes(i);
    f.total += bytes;
    if (bytes <= f.largest) continue;
    f.largest = bytes;
    f.largest_name = opt.param(i).name;
  }
  return f;
}

std::vector<std::string> check_paging(const Config& c) {
  const PagingConfig& p = c.paging;
  const std::string dir_origin = p.directory.empty() ? "the system temp directory" : "paging.directory";
  bool any_paged = false, any_budget = false;
  for (const auto& e : c.optimizers) {
    if (e.peer) continue;  // another library's states are not paged by bnb-bench
    const PagingBudget& budget = p.budget_for(e.label);
    any_budget = any_budget || budget.mib > 0;
    const PagedFootprint f = paged_footprint(c, e);
    any_paged = any_paged || f.total > 0;
    if (budget.mib > 0 && budget.bytes() < f.largest) {
      fail(budget.origin, fmt::format("a budget of {} cannot hold one paged tensor: the state of \"{}\" under {} ({}) "
                                      "is {}; a budget must hold at least the largest paged tensor's state",
                                      mib_text(budget.bytes()), f.largest_name, e.path, e.name, mib_text(f.largest)));
    }
  }
  std::vector<std::string> warnings;
  if (!any_paged) {
    if (any_budget) {
      warnings.push_back("paging: no optimizer entry pages its state (Paged* optimizers or is_paged, on tensors of at "
                         "least 100000 elements), so the budget has no effect");
    }
    return warnings;
  }
  if (c.device == Device::cuda) return warnings;  // paged state is managed memory there: no files
  const std::filesystem::path dir = paging_directory(p);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(dir_origin, fmt::format("{}: no such directory", dir.string()));
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    fail(dir_origin, fmt::format("{}: cannot create files there (no write permission)", dir.string()));
  }
  if (const std::string fs = memory_filesystem(dir); !fs.empty()) {
    warnings.push_back(fmt::format("{}: {} is on {}, which keeps files in memory: paged state there stays resident, "
                                   "so a budget cannot lower memory use (choose a directory on a disk)",
                                   dir_origin, dir.string(), fs));
  }
  return warnings;
}

}  // namespace bnb::app
