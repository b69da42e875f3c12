#pragma once
// The "paging" section of a config (docs/cli.md): the resident-memory budget of paged optimizer
// state and the directory its backing files live in, with the checks that need the parameter
// list and the file system (a budget that cannot hold one tensor, a directory that is missing,
// or one in memory, where paging cannot lower memory use).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "json_fields.hpp"

namespace bnb::app {

struct Config;
struct OptimizerEntry;

/// A resident budget in MiB (0 = unlimited) and what set it, for messages.
struct PagingBudget {
  double mib = 0;
  std::string origin = "paging.budget_mib";
  std::size_t bytes() const;
};

/// Budgets for the entries whose labels match a glob (like gates.per_label); later ones win.
struct LabelBudget {
  std::string labels;
  PagingBudget budget;
};

struct PagingConfig {
  PagingBudget budget;                  // every entry's, unless a per_label budget matches
  std::vector<LabelBudget> per_label;
  std::filesystem::path directory;      // "" = the system temp directory
  const PagingBudget& budget_for(const std::string& label) const;
};

/// Parses the "paging" object (keys budget_mib, directory, per_label); per_label patterns must
/// match one of `labels`. Throws ConfigError with the JSON path.
PagingConfig parse_paging(const Json& v, const std::string& path, const std::vector<std::string>& labels);

/// Replaces every entry's budget from the command line (--paging-budget; MiB, 0 = unlimited).
void override_paging_budget(PagingConfig& p, double mib);

/// The directory the backing files go to: the configured one, else the system temp directory.
std::filesystem::path paging_directory(const PagingConfig& p);

/// The file-system type when `dir` keeps its files in memory ("tmpfs", "ramfs"), else "".
std::string memory_filesystem(const std::filesystem::path& dir);

/// The run's paging settings for the results document: budget_bytes (0 = unlimited) and the
/// per_label ones, the directory, and its file system when that keeps files in memory.
Json paging_json(const PagingConfig& p);

/// The paged state an entry will have (planned, whole pages): in all and of its largest tensor.
struct PagedFootprint {
  std::size_t total = 0, largest = 0;
  std::string largest_name;  // the parameter with the largest paged state
};
PagedFootprint paged_footprint(const Config& c, const OptimizerEntry& e);

/// Checks that need the parameter list settled: each entry's budget holds its largest paged
/// tensor's state, the directory exists and is writable. Throws ConfigError naming both
/// sizes or the directory; returns warnings (a budget nothing is paged under, a tmpfs directory).
std::vector<std::string> check_paging(const Config& c);

}  // namespace bnb::app
