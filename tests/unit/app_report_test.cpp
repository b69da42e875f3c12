// The report's building blocks: markup escaping, the SVG writer, axis scales, and reading a
// results document back into a RunResult (app/report/, app/output/results_reader.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bnb/errors.hpp"
#include "render.hpp"
#include "report/escape.hpp"
#include "report/scale.hpp"
#include "report/svg.hpp"
#include "results_reader.hpp"

namespace bnb::app {
namespace {

using report::Scale;

TEST(AppReport, MarkupIsEscaped) {
  EXPECT_EQ(report::escape_markup(R"(<a & "b" 'c'>)"), "&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;");
}

TEST(AppReport, SvgWritesEscapedElementsAndClosesGroups) {
  report::Svg svg(100, 50, "fig <1>", {{"data-figure", "x"}});
  svg.open_group({{"class", "g"}});
  svg.circle(1, 2.345, 3, {{"data-entry", "a\"b"}}, "tip & top");
  svg.text(4, 5, "x < y");
  const std::string s = svg.str();
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100.00\" height=\"50.00\"", 0), 0u) << s;
  EXPECT_NE(s.find("aria-label=\"fig &lt;1&gt;\" data-figure=\"x\">"), std::string::npos) << s;
  EXPECT_NE(s.find("<circle cx=\"1.00\" cy=\"2.35\" r=\"3.00\" data-entry=\"a&quot;b\"><title>tip &amp; top</title></circle>"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("<text x=\"4.00\" y=\"5.00\">x &lt; y</text>"), std::string::npos) << s;
  EXPECT_EQ(s.substr(s.size() - 10), "</g></svg>");  // the open group is closed
}

TEST(AppReport, LogScaleCoversWholeDecadesAndClamps) {
  const Scale y = Scale::log(3e-7, 0.02, 300, 0);  // pixels grow downwards: lo at the bottom
  EXPECT_DOUBLE_EQ(y.lo(), 1e-7);
  EXPECT_DOUBLE_EQ(y.hi(), 0.1);
  EXPECT_DOUBLE_EQ(y(1e-7), 300);
  EXPECT_DOUBLE_EQ(y(0.1), 0);
  EXPECT_NEAR(y(1e-4), 150, 1e-9);  // halfway in decades
  EXPECT_DOUBLE_EQ(y(0.0), 300);    // zero and below sit on the bottom edge
  EXPECT_DOUBLE_EQ(y(10.0), 0);     // above the domain: the top edge
  EXPECT_DOUBLE_EQ(y(std::numeric_limits<double>::quiet_NaN()), 0);
  const auto ticks = y.ticks();  // 6 decades: one tick each
  ASSERT_EQ(ticks.size(), 7u);
  EXPECT_DOUBLE_EQ(ticks.front(), 1e-7);
  EXPECT_DOUBLE_EQ(ticks.back(), 0.1);
  EXPECT_EQ(Scale::tick_label(1e-7), "1e-7");
  EXPECT_EQ(Scale::tick_label(0.01), "0.01");
}

TEST(AppReport, LinearScaleUsesNiceSteps) {
  const Scale x = Scale::linear(1, 17, 0, 200);
  EXPECT_DOUBLE_EQ(x.lo(), 0);
  EXPECT_DOUBLE_EQ(x.hi(), 20);
  EXPECT_EQ(x.ticks(), (std::vector<double>{0, 5, 10, 15, 20}));
  EXPECT_DOUBLE_EQ(x(10), 100);
  const Scale one = Scale::linear(4, 4, 0, 100);  // a single value still gets a domain
  EXPECT_LT(one.lo(), 4);
  EXPECT_GT(one.hi(), 4);
}

TEST(AppReport, ResultsReadBackAsWritten) {
  RunResult r;
  r.run = {{"name", "t"}, {"config", "c.json"}};
  EntryResult e;
  e.label = "adam-8";
  e.optimizer = "Adam8bit";
  e.algorithm = "adam";
  e.state_bits = 8;
  e.steps = 3;
  e.effective_config = {{"w", {{"state_format", "blockwise8"}}}};
  TimeStats t;
  t.median = 0.5;
  t.iqr = 0.1;
  t.samples = {0.4, 0.5, 0.6};
  e.time = t;
  e.memory.state_bytes = 1234;
  e.memory.state_bytes_per_param = 2.03;
  ErrorResult err;
  err.param.rel_l2 = 1e-3;
  err.rel_travel = 0.016;
  err.states["state1"].rel_l2 = 0.02;
  err.curve = {1e-4, 2e-4, 1e-3};
  err.curve_rel_travel = {0.01, std::numeric_limits<double>::infinity(), 0.016};  // Inf is written as null
  e.error = err;
  ObjectiveResult o;
  o.loss_curve = {3, 2, 1};
  o.loss = 1;
  e.objective = o;
  e.gate_failures = 2 | 8;
  r.entries.push_back(e);
  r.exit_bits = 10;

  const RunResult back = run_result_from_json(nlohmann::json::parse(render_json(r)), "r.json");
  ASSERT_EQ(back.entries.size(), 1u);
  const EntryResult& b = back.entries[0];
  EXPECT_EQ(b.label, "adam-8");
  EXPECT_EQ(b.state_bits, 8);
  EXPECT_EQ(b.effective_config, e.effective_config);
  ASSERT_TRUE(b.time);
  EXPECT_EQ(b.time->samples, t.samples);
  EXPECT_EQ(b.memory.state_bytes, 1234u);
  ASSERT_TRUE(b.error);
  EXPECT_EQ(b.error->rel_travel, 0.016);
  EXPECT_EQ(b.error->curve, err.curve);
  ASSERT_EQ(b.error->curve_rel_travel.size(), 3u);
  EXPECT_TRUE(std::isnan(b.error->curve_rel_travel[1]));
  EXPECT_EQ(b.error->states.at("state1").rel_l2, 0.02);
  ASSERT_TRUE(b.objective);
  EXPECT_EQ(b.objective->loss_curve, o.loss_curve);
  EXPECT_EQ(b.gate_failures, 10);
  EXPECT_EQ(back.exit_bits, 10);
  EXPECT_EQ(back.run["config"], "c.json");
}

TEST(AppReport, MistypedResultsFieldNamesFileAndPath) {
  nlohmann::json doc = {{"schema_version", 1},
                        {"entries", {{{"label", "a"}, {"memory", {{"state_bytes", "many"}}}}}}};
  try {
    run_result_from_json(doc, "r.json");
    FAIL() << "no DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "r.json: entries[0].memory.state_bytes: expected a number");
  }
}

}  // namespace
}  // namespace bnb::app
