// rel_travel (app/run/travel_error.hpp): the parameters' error relative to the distance the exact
// path travelled, per step and at the end of a run.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "config.hpp"
#include "runner.hpp"
#include "travel_error.hpp"

namespace bnb::app {
namespace {

TEST(AppRelTravel, KnownAnswers) {
  TravelAccumulator t;
  t.add({3, 1}, {0, 1});
  t.add({4}, {0});  // travel ||(3, 0, 4)|| = 5
  EXPECT_DOUBLE_EQ(t.travel_norm(), 5.0);
  EXPECT_DOUBLE_EQ(t.relative(0.5), 0.1);
  const TravelAccumulator still;  // the reference did not move
  EXPECT_EQ(still.relative(0.0), 0.0);
  EXPECT_EQ(still.relative(1e-9), std::numeric_limits<double>::infinity());
  EXPECT_EQ(still.relative(std::nan("")), std::numeric_limits<double>::infinity());
}

// 20 steps of N(0, 0.01^2) gradients on a 64x1024 tensor, like the built-in suite.
constexpr const char* kConfig = R"({"schema": 1, "name": "travel", "seed": 3,
  "params": [{"name": "w", "shape": [64, 1024], "dtype": "fp32", "init": {"distribution": "normal", "scale": 0.1}}],
  "workload": {"kind": "gradients", "steps": 20, "distribution": "normal", "scale": 0.01},
  "optimizers": [{"name": "Adam32bit", "label": "adam-32"}, {"name": "Adam8bit", "label": "adam-8"}],
  "reference": {"mode": "drift"}, "timing": {"enabled": false}})";

TEST(AppRelTravel, RunRecordsItPerStepAndAtTheEnd) {
  const Config c = parse_config(kConfig, "test", ".");
  RunOptions options;
  options.quiet = true;
  const RunResult r = run_benchmark(c, nullptr, options);
  ASSERT_EQ(r.entries.size(), 2u);
  for (const auto& e : r.entries) {
    ASSERT_TRUE(e.error) << e.label;
    ASSERT_EQ(e.error->curve_rel_travel.size(), 20u) << e.label;
    // The last point of the curve is the final figure: the same sums over the same values.
    EXPECT_EQ(e.error->curve_rel_travel.back(), e.error->rel_travel) << e.label;
  }
  const ErrorResult& e32 = *r.entries[0].error;
  const ErrorResult& e8 = *r.entries[1].error;
  // docs/eight_bit.md (drift study): 8-bit Adam ends about 2% of the travel off the exact path,
  // 32-bit state about 3e-6 (fp32 rounding). The bands are a decade wide around those.
  EXPECT_GT(e8.rel_travel, 2e-3);
  EXPECT_LT(e8.rel_travel, 0.2);
  EXPECT_LT(e32.rel_travel, 1e-4);
  // Both entries see the same gradients, so their exact paths are the same: rel_travel / rel_l2
  // = ||p_ref|| / ||p_ref - p0|| is one number for both (up to the last bits of the quotients).
  const double ratio8 = e8.rel_travel / e8.param.rel_l2;
  const double ratio32 = e32.rel_travel / e32.param.rel_l2;
  EXPECT_NEAR(ratio8 / ratio32, 1.0, 1e-9);
  // The parameters moved much less than their size: rel_l2 hides most of the error.
  EXPECT_GT(ratio8, 3.0);
}

}  // namespace
}  // namespace bnb::app
