// The "paging" config section: parsing with JSON paths, the command-line override, the check
// that a budget holds the largest paged tensor's state (naming both sizes), the directory checks
// and the warning for a directory whose files live in memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "bnb/errors.hpp"
#include "config.hpp"
#include "memory_check.hpp"
#include "paging_config.hpp"

namespace {

using bnb::ConfigError;
using namespace bnb::app;

// Two tensors of 262144 fp32 elements: PagedAdamW32bit pages 2 MiB of state per tensor (m and v),
// PagedAdamW8bit 0.5 MiB; the 1000-element tensor stays on the heap (SPEC.md §7: n >= 100000).
std::string config_with(const std::string& paging, const std::string& optimizer = R"({"name": "PagedAdamW32bit"})") {
  return R"({"schema": 1, "params": [{"name": "w", "shape": [512, 512]}, {"name": "v", "shape": [262144]},
             {"name": "b", "shape": [1000]}], "workload": {"kind": "gradients", "steps": 2},
             "optimizers": [)" + optimizer + "]" + (paging.empty() ? "" : R"(, "paging": )" + paging) + "}";
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_config(text, "test.json", "."); });
}

TEST(AppPaging, ParsesBudgetAndDirectory) {
  const Config none = parse_config(config_with(""), "test.json", ".");
  EXPECT_EQ(none.paging.budget.bytes(), 0u);  // unlimited by default
  EXPECT_TRUE(none.paging.directory.empty());
  EXPECT_EQ(paging_directory(none.paging), std::filesystem::temp_directory_path());

  const Config c = parse_config(config_with(R"({"budget_mib": 2.5, "directory": "/var/tmp"})"), "test.json", ".");
  EXPECT_EQ(c.paging.budget.bytes(), 5u * 512 * 1024);
  EXPECT_EQ(paging_directory(c.paging), std::filesystem::path("/var/tmp"));
}

TEST(AppPaging, BadValuesNameTheirPath) {
  EXPECT_NE(parse_error(config_with(R"({"budget_mb": 4})")).find("paging.budget_mb: unknown key (did you mean "
                                                                 "\"budget_mib\"?)"),
            std::string::npos);
  EXPECT_NE(parse_error(config_with(R"({"budget_mib": -1})")).find("paging.budget_mib: must be >= 0 MiB"),
            std::string::npos);
  EXPECT_NE(parse_error(config_with(R"({"budget_mib": "4"})")).find("paging.budget_mib: expected a number"),
            std::string::npos);
  EXPECT_NE(parse_error(config_with(R"({"directory": ""})")).find("paging.directory: must name a directory"),
            std::string::npos);
  EXPECT_NE(parse_error(config_with(R"([4])")).find("paging: expected an object"), std::string::npos);
  EXPECT_NE(parse_error(R"({"schema": 1, "pagin": {}})").find("did you mean \"paging\""), std::string::npos);
}

TEST(AppPaging, BudgetMustHoldTheLargestPagedTensor) {
  Config c = parse_config(config_with(R"({"budget_mib": 1})"), "test.json", ".");
  const std::string e = error_of([&] { check_paging(c); });
  EXPECT_NE(e.find("paging.budget_mib: a budget of 1 MiB cannot hold one paged tensor"), std::string::npos) << e;
  EXPECT_NE(e.find("\"w\" under optimizers[0] (PagedAdamW32bit) is 2 MiB"), std::string::npos) << e;

  c.paging.budget.mib = 2;  // exactly one tensor's state: enough
  EXPECT_TRUE(check_paging(c).empty());
  // The same budget holds the 8-bit state (0.5 MiB per tensor) with room to spare.
  c = parse_config(config_with(R"({"budget_mib": 0.5})", R"({"name": "PagedAdamW8bit"})"), "test.json", ".");
  EXPECT_TRUE(check_paging(c).empty());

  override_paging_budget(c.paging, 0.25);
  EXPECT_NE(error_of([&] { check_paging(c); }).find("--paging-budget: a budget of 0.25 MiB"), std::string::npos);
  EXPECT_NE(error_of([&] { override_paging_budget(c.paging, -3); }).find("--paging-budget: must be >= 0"),
            std::string::npos);
  override_paging_budget(c.paging, 0);  // unlimited: nothing to hold
  EXPECT_TRUE(check_paging(c).empty());
}

TEST(AppPaging, PerLabelBudgetsOverrideTheRunBudget) {
  const std::string two = R"({"name": "PagedAdamW32bit", "label": "p32"}, {"name": "PagedAdamW8bit", "label": "p8"})";
  Config c = parse_config(config_with(R"({"budget_mib": 2, "per_label": [{"labels": "p8*", "budget_mib": 0.5}]})", two),
                          "test.json", ".");
  EXPECT_EQ(c.paging.budget_for("p32").bytes(), 2u << 20);
  EXPECT_EQ(c.paging.budget_for("p8").bytes(), 1u << 19);
  EXPECT_TRUE(check_paging(c).empty());
  c.paging.per_label[0].budget.mib = 0.25;  // below the 8-bit entry's 0.5 MiB tensor state
  EXPECT_NE(error_of([&] { check_paging(c); }).find("paging.per_label[0].budget_mib: a budget of 0.25 MiB"),
            std::string::npos);
  override_paging_budget(c.paging, 3);  // the command line sets every entry's budget
  EXPECT_EQ(c.paging.budget_for("p8").bytes(), 3u << 20);
  EXPECT_NE(parse_error(config_with(R"({"per_label": [{"labels": "p9", "budget_mib": 1}]})", two))
                .find("paging.per_label[0].labels: pattern \"p9\" matches no optimizer label (did you mean"),
            std::string::npos);
  EXPECT_NE(parse_error(config_with(R"({"per_label": [{"labels": "p8"}]})", two))
                .find("paging.per_label[0].budget_mib: required key is missing"),
            std::string::npos);
}

TEST(AppPaging, MemoryEstimateCountsOnlyWhatTheBudgetKeepsResident) {
  // Four 2 MiB paged tensor states (8 MiB): under a 2 MiB budget at most 2 + 2 MiB is resident.
  const std::string text = R"({"schema": 1, "params": [{"name": "a", "shape": [262144]}, {"name": "b", "shape": [262144]},
      {"name": "c", "shape": [262144]}, {"name": "d", "shape": [262144]}],
      "workload": {"kind": "gradients", "steps": 1}, "optimizers": [{"name": "PagedAdamW32bit"}]})";
  Config c = parse_config(text, "test.json", ".");
  const PagedFootprint f = paged_footprint(c, c.optimizers[0]);
  EXPECT_EQ(f.total, 8u << 20);
  EXPECT_EQ(f.largest, 2u << 20);
  const std::size_t unlimited = estimate_memory(c, 0).states;
  EXPECT_EQ(unlimited, 8u << 20);
  override_paging_budget(c.paging, 2);
  EXPECT_EQ(estimate_memory(c, 0).states, 4u << 20);
  override_paging_budget(c.paging, 7);  // budget + one tensor beyond the state: all of it counts
  EXPECT_EQ(estimate_memory(c, 0).states, unlimited);
}

TEST(AppPaging, BudgetWithoutPagedStateIsAWarningNotAnError) {
  const Config c = parse_config(config_with(R"({"budget_mib": 1})", R"({"name": "AdamW32bit"})"), "test.json", ".");
  const auto w = check_paging(c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("no optimizer entry pages its state"), std::string::npos);
}

TEST(AppPaging, DirectoryMustExistAndTmpfsIsWarned) {
  Config c = parse_config(config_with(R"({"budget_mib": 4, "directory": "/no/such/dir"})"), "test.json", ".");
  EXPECT_NE(error_of([&] { check_paging(c); }).find("paging.directory: /no/such/dir: no such directory"),
            std::string::npos);
  c.device = bnb::Device::cuda;  // paged state is managed memory there: the directory is not used
  EXPECT_TRUE(check_paging(c).empty());
  c.device = bnb::Device::cpu;
  if (memory_filesystem("/dev/shm") != "tmpfs") GTEST_SKIP() << "/dev/shm is not a tmpfs here";
  c.paging.directory = "/dev/shm";
  const auto w = check_paging(c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("paging.directory: /dev/shm is on tmpfs"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("cannot lower memory use"), std::string::npos) << w[0];
}

}  // namespace
