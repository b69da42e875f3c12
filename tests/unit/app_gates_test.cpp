// Per-label and relative speed gates (app/run/gates.hpp) on run results built here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "bnb/errors.hpp"
#include "gates.hpp"

namespace bnb::app {
namespace {

EntryResult entry(const std::string& label, double ns, double rel_l2, double spread = 0.02) {
  EntryResult e;
  e.label = label;
  TimeStats t;
  for (int i = 0; i < 10; ++i) t.samples.push_back(ns * (1 + spread * (i - 5) / 5.0));
  t.median = ns;
  e.time = t;
  ErrorResult err;
  err.param.rel_l2 = rel_l2;
  e.error = err;
  e.memory.state_bytes_per_param = label.find("-8") != std::string::npos ? 2.03 : 8.0;
  return e;
}

RunResult run(double ns8) {
  RunResult r;
  r.entries = {entry("adam-32", 0.40, 1e-8), entry("adam-8", ns8, 1e-4)};
  return r;
}

ExtraGates parse(const char* text) { return parse_extra_gates(nlohmann::json::parse(text), "gates"); }

TEST(AppGates, PerLabelThresholdsApplyToMatchingEntriesOnly) {
  const ExtraGates g = parse(R"({"per_label": [{"labels": "*-8", "max_rel_l2": 1e-5, "max_state_bytes_per_param": 2.1}]})");
  RunResult r = run(0.30);
  std::vector<std::string> notes;
  EXPECT_EQ(apply_extra_gates(g, r, &notes), 2);
  EXPECT_EQ(r.entries[0].gate_failures, 0);
  EXPECT_EQ(r.entries[1].gate_failures, 2);
  EXPECT_EQ(r.exit_bits, 2);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("adam-8"), std::string::npos);
}

TEST(AppGates, RelTravelBoundFailsTheAccuracyBit) {
  RunResult r = run(0.30);
  r.entries[0].error->rel_travel = 1e-6;
  r.entries[1].error->rel_travel = 0.03;
  EXPECT_EQ(apply_extra_gates(parse(R"({"per_label": [{"labels": "*", "max_rel_travel": 0.05}]})"), r), 0);
  EXPECT_EQ(apply_extra_gates(parse(R"({"per_label": [{"labels": "*", "max_rel_travel": 0.02}]})"), r), 2);
  EXPECT_EQ(r.entries[0].gate_failures, 0);
  EXPECT_EQ(r.entries[1].gate_failures, 2);
  // Infinite (the reference did not move but the parameters did) or NaN fails any bound.
  r.entries[0].error->rel_travel = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(exceeds_accuracy_bounds(r.entries[0], 1e300, std::nullopt));
  r.entries[0].error->rel_travel = std::nan("");
  EXPECT_TRUE(exceeds_accuracy_bounds(r.entries[0], 1e300, std::nullopt));
  EXPECT_FALSE(exceeds_accuracy_bounds(r.entries[0], std::nullopt, std::nullopt));
  r.entries[0].error.reset();  // reference off: nothing to bound
  EXPECT_FALSE(exceeds_accuracy_bounds(r.entries[0], 0.0, 0.0));
}

TEST(AppGates, RelativeSpeedGateUsesTheNoiseAwareRule) {
  const ExtraGates g = parse(R"({"relative_speed": [{"entry": "adam-8", "baseline": "adam-32", "max_ratio": 1.0}]})");
  RunResult faster = run(0.30), within_noise = run(0.41), slower = run(0.60);
  EXPECT_EQ(apply_extra_gates(g, faster), 0);
  EXPECT_EQ(apply_extra_gates(g, within_noise), 0);  // +2.5%: inside the 5% noise allowance
  EXPECT_EQ(apply_extra_gates(g, slower), 1);
  EXPECT_EQ(slower.entries[1].gate_failures, 1);
  EXPECT_EQ(slower.entries[0].gate_failures, 0);
}

TEST(AppGates, BadGatesAreConfigErrors) {
  EXPECT_THROW(parse(R"({"per_label": [{"labels": "x", "max_rel_l3": 1}]})"), ConfigError);
  EXPECT_THROW(parse(R"({"per_label": {"labels": "x"}})"), ConfigError);
  EXPECT_THROW(parse(R"({"relative_speed": [{"entry": "a", "baseline": "a"}]})"), ConfigError);
  EXPECT_THROW(parse(R"({"relative_speed": [{"entry": "a", "baseline": "b", "max_ratio": 0}]})"), ConfigError);
  RunResult r = run(0.3);
  EXPECT_THROW(apply_extra_gates(parse(R"({"per_label": [{"labels": "lion*", "max_rel_l2": 1}]})"), r), ConfigError);
  EXPECT_THROW(apply_extra_gates(parse(R"({"relative_speed": [{"entry": "adam-8", "baseline": "sgd"}]})"), r),
               ConfigError);
}

}  // namespace
}  // namespace bnb::app
