// The rules of `bnb-bench compare` (docs/compare.md) on results documents built here in the shape
// that app/output/results_json.cpp writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bnb/errors.hpp"
#include "compare.hpp"
#include "compare_documents.hpp"

namespace bnb::app {
namespace {

using Json = nlohmann::json;

using namespace compare_documents;

TEST(AppCompare, IdenticalRunsPass) {
  const Json d = document();
  const CompareVerdict v = compare(d, d);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_TRUE(v.time_compared);
  EXPECT_EQ(v.regressions, 0);
  EXPECT_EQ(v.improvements, 0);
  ASSERT_EQ(v.entries.size(), 2u);
  for (const auto& e : v.entries) {
    EXPECT_EQ(e.match, EntryMatch::matched);
    EXPECT_EQ(e.time.status, MetricStatus::same);
    EXPECT_FALSE(e.metrics.empty());
    for (const auto& m : e.metrics) EXPECT_EQ(m.status, MetricStatus::same) << m.name;
  }
}

TEST(AppCompare, ErrorGrowthBeyondToleranceIsAccuracyRegression) {
  const Json b = document();
  Json c = b;
  // 1e-3 -> 1.00001e-3: a relative growth of 1e-5, ten times the default tolerance of 1e-6.
  c["entries"][1]["error"]["param"]["rel_l2"] = 2e-3 * (1 + 1e-5);
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 2);
  const MetricVerdict* m = metric_of(entry_of(v, "adam8"), "error.param.rel_l2");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, MetricStatus::regressed);
  EXPECT_EQ(entry_of(v, "adam32").bits, 0);
}

TEST(AppCompare, ErrorGrowthInsideToleranceAndStateErrorsAreCompared) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["error"]["param"]["rel_l2"] = 2e-3 * (1 + 1e-7);  // a tenth of the tolerance
  EXPECT_EQ(compare_exit_code(compare(b, c)), 0);
  c["entries"][0]["error"]["states"]["state2"]["max_abs"] = 1.0;
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 2);
  EXPECT_EQ(metric_of(entry_of(v, "adam32"), "error.states.state2.max_abs")->status, MetricStatus::regressed);
}

TEST(AppCompare, ErrorDecreaseIsAnImprovementNotAFailure) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["error"]["param"]["rel_l2"] = 1e-3;
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(v.improvements, 1);
}

TEST(AppCompare, AbsoluteErrorBoundFailsEvenWithoutGrowth) {
  const Json d = document();
  CompareOptions o;
  o.thresholds.max_rel_l2 = 1e-3;  // adam8 records 2e-3
  const CompareVerdict v = compare(d, d, o);
  EXPECT_EQ(compare_exit_code(v), 2);
  EXPECT_NE(entry_of(v, "adam8").bits & 2, 0);
  EXPECT_EQ(entry_of(v, "adam32").bits, 0);
}

TEST(AppCompare, RelTravelIsComparedAndBounded) {
  Json b = document();
  b["entries"][1]["error"]["param"]["rel_travel"] = 0.02;
  Json c = b;
  c["entries"][1]["error"]["param"]["rel_travel"] = 0.021;
  const CompareVerdict grown = compare(b, c);
  EXPECT_EQ(compare_exit_code(grown), 2);
  EXPECT_EQ(metric_of(entry_of(grown, "adam8"), "error.param.rel_travel")->status, MetricStatus::regressed);
  CompareOptions o;
  o.thresholds.max_rel_travel = 0.01;
  const CompareVerdict bounded = compare(b, b, o);
  EXPECT_EQ(entry_of(bounded, "adam8").bits, 2);
  EXPECT_EQ(entry_of(bounded, "adam32").bits, 0);  // records no rel_travel: nothing to bound
  // A baseline without the field (an older results file) leaves it uncompared, not failed.
  const CompareVerdict older = compare(document(), c);
  EXPECT_EQ(compare_exit_code(older), 0);
  EXPECT_EQ(metric_of(entry_of(older, "adam8"), "error.param.rel_travel")->status, MetricStatus::not_compared);
}

TEST(AppCompare, StateMemoryGrowthIsMemoryRegression) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["memory"]["state_bytes"] = b["entries"][1]["memory"]["state_bytes"].get<std::int64_t>() + 8;
  c["entries"][1]["memory"]["state_bytes_per_param"] = 2.0078125 + 8.0 / 4096;
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 4);
  EXPECT_EQ(metric_of(entry_of(v, "adam8"), "memory.state_bytes_per_param")->status, MetricStatus::regressed);
}

TEST(AppCompare, PeakRssNoiseIsAbsorbedButLargeGrowthIsNot) {
  const Json b = document();
  Json c = b;
  const double rss = 64 << 20;
  c["entries"][0]["memory"]["peak_rss_bytes"] = static_cast<std::int64_t>(rss * 1.05);  // inside 10%
  EXPECT_EQ(compare_exit_code(compare(b, c)), 0);
  c["entries"][0]["memory"]["peak_rss_bytes"] = static_cast<std::int64_t>(rss * 1.5);
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 4);
  EXPECT_EQ(metric_of(entry_of(v, "adam32"), "memory.peak_rss_bytes")->status, MetricStatus::regressed);
}

TEST(AppCompare, NewNonFiniteValueIsBit8) {
  const Json b = document();
  Json c = b;
  // results_json writes a NaN as null (JSON has no NaN).
  c["entries"][1]["error"]["param"]["rel_l2"] = nullptr;
  c["entries"][1]["nonfinite"]["params"] = 3;
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 8);
  const EntryVerdict& e = entry_of(v, "adam8");
  EXPECT_EQ(metric_of(e, "error.param.rel_l2")->family, "nonfinite");
  EXPECT_EQ(metric_of(e, "nonfinite.params")->status, MetricStatus::regressed);
}

TEST(AppCompare, NaNInParsedDocumentCountsAsNonFinite) {
  const Json b = document();
  Json c = b;
  c["entries"][0]["error"]["param"]["max_abs"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(compare_exit_code(compare(b, c)), 8);
}

TEST(AppCompare, SlowdownWellBeyondNoiseIsSpeedRegression) {
  const Json b = document();
  Json c = b;
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.30);  // +30%, samples spread +-2%
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 1);
  const TimeVerdict& t = entry_of(v, "adam32").time;
  EXPECT_EQ(t.status, MetricStatus::slower);
  EXPECT_LT(t.p_value, 0.01);
  EXPECT_NEAR(t.ratio, 1.30, 1e-9);
}

TEST(AppCompare, BusierMachineMakesTimeNotComparableNotARegression) {
  // The same code, 30% slower because the machine got busier between the runs: the loads say so.
  Json b = document();
  b["machine"]["load"] = {{"per_cpu", 0.3}};
  Json c = b;
  c["machine"]["load"]["per_cpu"] = 1.6;
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.30);
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(entry_of(v, "adam32").time.status, MetricStatus::not_comparable);
  EXPECT_NE(v.time_note.find("time not comparable: machine load 0.30 vs 1.60 per CPU"), std::string::npos) << v.time_note;
  EXPECT_EQ(v.not_comparable, 2);
  // Within the allowed change the slowdown is a regression again; --force-time judges anyway.
  c["machine"]["load"]["per_cpu"] = 0.3 + 0.49;
  EXPECT_EQ(compare_exit_code(compare(b, c)), 1);
  c["machine"]["load"]["per_cpu"] = 1.6;
  CompareOptions forced;
  forced.force_time = true;
  EXPECT_EQ(compare_exit_code(compare(b, c, forced)), 1);
  // Unknown on either side (older results): the load rule does not apply.
  c["machine"].erase("load");
  EXPECT_EQ(compare_exit_code(compare(b, c)), 1);
}

TEST(AppCompare, SpreadsTooDifferentMakeTimeNotComparable) {
  const Json b = document();  // spreads of 2%
  Json c = b;
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.30, 0.20);  // ten times the spread
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  const TimeVerdict& t = entry_of(v, "adam32").time;
  EXPECT_EQ(t.status, MetricStatus::not_comparable);
  EXPECT_NE(t.note.find("differs by more than 3x"), std::string::npos) << t.note;
  // Two and a half times the spread is still comparable (the rank test judges it).
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.30, 0.05);
  EXPECT_EQ(entry_of(compare(b, c), "adam32").time.status, MetricStatus::slower);
  // Quiet spreads below 2% all count as 2%: 0.1% vs 2% is no reason to refuse.
  Json quiet = b;
  quiet["entries"][0] = entry("adam32", 32, 0.40, 0.001);
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.30, 0.02);
  EXPECT_EQ(entry_of(compare(quiet, c), "adam32").time.status, MetricStatus::slower);
}

/// An entry whose run recorded its roofline floor: `fraction` = floor / median step time, the step
/// time's and the floor's spreads (iqr / median), the floor's memory level.
Json floored(Json e, double fraction, double floor_spread = 0.02, const char* level = "L2") {
  const double median = e["time"]["ns_per_param_step"]["median"].get<double>();
  e["throughput"]["roofline_fraction"] = fraction;
  e["throughput"]["floor_ns_per_param"] = fraction * median;
  e["throughput"]["floor_spread"] = floor_spread;
  e["throughput"]["floor_samples"] = 10;
  e["throughput"]["floor_memory_level"] = level;
  return e;
}

/// The baseline of the roofline tests (spreads of 2%) and a candidate on another machine.
Json floored_document() {
  Json d = document();
  d["entries"] = {floored(entry("adam32", 32, 0.40), 0.8), floored(entry("adam8", 8, 0.30), 0.5)};
  return d;
}
Json on_other_machine(Json d) {
  d["machine"]["cpu_model"] = "Other CPU @ 2 GHz";
  return d;
}

TEST(AppCompare, RooflineFractionJudgesSpeedAcrossMachineContexts) {
  const Json b = floored_document();
  Json c = on_other_machine(b);
  // The other machine is 1.5x slower on everything, floors included: the same code.
  c["entries"][0] = floored(entry("adam32", 32, 0.40 * 1.5), 0.8);
  // adam8 lost half its speed relative to its own floor: a regression.
  c["entries"][1] = floored(entry("adam8", 8, 0.30 * 3), 0.25);
  const CompareVerdict v = compare(b, c);
  EXPECT_FALSE(v.time_compared);
  EXPECT_EQ(compare_exit_code(v), 1);
  EXPECT_EQ(v.by_roofline, 2);
  const TimeVerdict& same = entry_of(v, "adam32").time;
  EXPECT_EQ(same.verdict, SpeedVerdict::roofline_fraction);
  EXPECT_EQ(same.status, MetricStatus::same);
  const TimeVerdict& slower = entry_of(v, "adam8").time;
  EXPECT_EQ(slower.verdict, SpeedVerdict::roofline_fraction);
  EXPECT_EQ(slower.status, MetricStatus::slower);
  EXPECT_NEAR(slower.ratio, 2.0, 1e-12);
  EXPECT_NEAR(slower.tolerance, 0.25, 1e-12);  // four spreads of 2% (4% together): the minimum effect
  EXPECT_NE(slower.note.find("raw time not comparable (machine contexts differ)"), std::string::npos) << slower.note;
  // Every rendering names the verdict that judged each entry.
  EXPECT_NE(render_compare_table(v).find("adam8   roofline fraction  slower 2.000x tol=1.25x"), std::string::npos)
      << render_compare_table(v);
  EXPECT_NE(render_compare_markdown(v).find("| `adam8` | roofline fraction | slower"), std::string::npos);
  const Json j = compare_json(v);
  EXPECT_EQ(j["entries"][1]["time"]["verdict"], "roofline fraction");
  EXPECT_EQ(j["entries"][1]["time"]["candidate_roofline_fraction"], 0.25);
  EXPECT_EQ(j["summary"]["time_by_roofline"], 2);
  // Raw times on one machine context are judged as before, and say so.
  EXPECT_EQ(entry_of(compare(b, b), "adam8").time.verdict, SpeedVerdict::raw_time);
  EXPECT_EQ(compare_json(compare(b, b))["entries"][1]["time"]["verdict"], "raw time");
}

TEST(AppCompare, RooflineToleranceComesFromBothRunsSpreads) {
  const Json b = floored_document();
  Json c = on_other_machine(b);
  // 1.2x relative to the floor: inside the 25% minimum effect.
  c["entries"][1] = floored(entry("adam8", 8, 0.30 * 2.4), 0.5 / 1.2);
  EXPECT_EQ(compare_exit_code(compare(b, c)), 0);
  EXPECT_EQ(entry_of(compare(b, c), "adam8").time.status, MetricStatus::same);
  // Noisy runs: time and floor spreads of 30% on both sides, sqrt(4 x 0.3^2) = 0.6.
  Json noisy_b = b;
  noisy_b["entries"][1] = floored(entry("adam8", 8, 0.30, 0.3), 0.5, 0.3);
  c["entries"][1] = floored(entry("adam8", 8, 0.30, 0.3), 0.5 / 1.5, 0.3);
  const TimeVerdict within = entry_of(compare(noisy_b, c), "adam8").time;
  EXPECT_EQ(within.status, MetricStatus::same);
  EXPECT_NEAR(within.tolerance, 0.6, 1e-12);
  c["entries"][1] = floored(entry("adam8", 8, 0.30, 0.3), 0.5 / 1.7, 0.3);
  EXPECT_EQ(compare_exit_code(compare(noisy_b, c)), 1);
  // A candidate faster relative to its floor beyond the tolerance is an improvement, not a failure.
  c["entries"][1] = floored(entry("adam8", 8, 0.30), 0.5 * 1.5);
  EXPECT_EQ(entry_of(compare(b, c), "adam8").time.status, MetricStatus::faster);
}

TEST(AppCompare, RooflineFractionStandsInWhenLoadsOrSpreadsDiffer) {
  Json b = floored_document();
  b["machine"]["load"] = {{"per_cpu", 0.3}};
  Json c = b;
  c["machine"]["load"]["per_cpu"] = 1.6;
  c["entries"][0] = floored(entry("adam32", 32, 0.40 * 1.3), 0.8);       // busier machine, same code
  c["entries"][1] = floored(entry("adam8", 8, 0.30 * 1.3), 0.5 / 1.6);   // and a real slowdown
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 1);
  EXPECT_EQ(entry_of(v, "adam32").time.status, MetricStatus::same);
  EXPECT_EQ(entry_of(v, "adam8").time.status, MetricStatus::slower);
  EXPECT_NE(entry_of(v, "adam8").time.note.find("raw time not comparable (machine load 0.30 vs 1.60"), std::string::npos);
  // Ten times the spread on one machine context: the same fallback.
  Json noisy = floored_document();
  noisy["entries"][1] = floored(entry("adam8", 8, 0.30 * 1.3, 0.2), 0.5);
  const TimeVerdict t = entry_of(compare(floored_document(), noisy), "adam8").time;
  EXPECT_EQ(t.verdict, SpeedVerdict::roofline_fraction);
  EXPECT_EQ(t.status, MetricStatus::same);
}

TEST(AppCompare, NoRooflineVerdictWithoutTrustworthyFloorsAndTheReasonIsSaid) {
  const Json b = floored_document();
  Json c = on_other_machine(b);
  c["entries"][1] = floored(entry("adam8", 8, 0.30 * 3), 0.25);
  const auto adam8_time = [&](const Json& base, const Json& cand) { return entry_of(compare(base, cand), "adam8").time; };
  // Results written before the floors were sampled in the timing rounds.
  Json old = b;
  old["entries"][1]["throughput"].erase("floor_spread");
  TimeVerdict t = adam8_time(old, c);
  EXPECT_EQ(t.verdict, SpeedVerdict::none);
  EXPECT_EQ(t.status, MetricStatus::not_compared);
  EXPECT_NE(t.note.find("throughput.floor_spread not recorded in the baseline"), std::string::npos) << t.note;
  EXPECT_EQ(compare_exit_code(compare(old, c)), 0);
  // A floor measured slower than the step is a disturbed floor sample.
  Json defect = c;
  defect["entries"][1] = floored(entry("adam8", 8, 0.30), 1.3);
  t = adam8_time(b, defect);
  EXPECT_EQ(t.verdict, SpeedVerdict::none);
  EXPECT_NE(t.note.find("the candidate's roofline fraction 1.30 is above 1.05"), std::string::npos) << t.note;
  // Floors in different memory levels are different floors.
  Json dram = c;
  dram["entries"][1] = floored(entry("adam8", 8, 0.30 * 3), 0.25, 0.02, "dram");
  t = adam8_time(b, dram);
  EXPECT_EQ(t.verdict, SpeedVerdict::none);
  EXPECT_NE(t.note.find("different memory levels (L2 vs dram)"), std::string::npos) << t.note;
  EXPECT_NE(render_compare_table(compare(b, dram)).find("speed not judged:\n  adam8: machine contexts differ; no roofline"),
            std::string::npos)
      << render_compare_table(compare(b, dram));
}

TEST(AppCompare, SpeedupIsReportedNotFailed) {
  const Json b = document();
  Json c = b;
  c["entries"][1] = entry("adam8", 8, 0.30 * 0.7);
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(entry_of(v, "adam8").time.status, MetricStatus::faster);
}

TEST(AppCompare, DifferenceInsideTheNoiseIsNotARegression) {
  const Json b = document();
  Json c = b;
  // +3% median: below the 5% minimum effect.
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.03);
  // +20% median but samples spread +-60%: a rank test over 5 vs 5 cannot tell.
  Json b2 = b;
  b2["entries"][1] = entry("adam8", 8, 0.30, 0.6, 5);
  c["entries"][1] = entry("adam8", 8, 0.30 * 1.2, 0.6, 5);
  const CompareVerdict v = compare(b2, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(entry_of(v, "adam32").time.status, MetricStatus::same);
  EXPECT_EQ(entry_of(v, "adam8").time.status, MetricStatus::ambiguous);
}

TEST(AppCompare, MismatchedMachineContextsSkipTimeAndSaySo) {
  const Json b = document();
  Json c = b;
  c["machine"]["cpu_model"] = "Other CPU";
  c["machine"]["threads"] = 1;
  c["entries"][0] = entry("adam32", 32, 0.40 * 2);  // would be slower
  const CompareVerdict v = compare(b, c);
  EXPECT_FALSE(v.time_compared);
  EXPECT_EQ(compare_exit_code(v), 0);
  ASSERT_EQ(v.context_differences.size(), 2u);
  EXPECT_NE(v.time_note.find("machine.cpu_model"), std::string::npos);
  EXPECT_NE(v.time_note.find("machine.threads"), std::string::npos);
  EXPECT_EQ(entry_of(v, "adam32").time.status, MetricStatus::not_compared);
  EXPECT_NE(render_compare_table(v).find("time not compared"), std::string::npos);

  CompareOptions forced;
  forced.force_time = true;
  const CompareVerdict f = compare(b, c, forced);
  EXPECT_TRUE(f.time_compared);
  EXPECT_EQ(compare_exit_code(f), 1);
}

TEST(AppCompare, BuildTypeIsPartOfTheMachineContext) {
  const Json b = document();
  Json c = b;
  c["tool"]["build_type"] = "Debug";
  const CompareVerdict v = compare(b, c);
  EXPECT_FALSE(v.time_compared);
  ASSERT_EQ(v.context_differences.size(), 1u);
  EXPECT_EQ(v.context_differences[0].field, "tool.build_type");
}

TEST(AppCompare, MetricsSelectionExcludesTime) {
  const Json b = document();
  Json c = b;
  c["entries"][0] = entry("adam32", 32, 0.40 * 2);
  CompareOptions o;
  o.metrics = parse_compare_metrics("accuracy,memory,nonfinite");
  const CompareVerdict v = compare(b, c, o);
  EXPECT_FALSE(v.time_compared);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_THROW(parse_compare_metrics("accuracy,sped"), ConfigError);
}

TEST(AppCompare, UnmatchedLabelsAreReported) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["label"] = "adam8_renamed";
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(v.unmatched, 2);
  EXPECT_EQ(entry_of(v, "adam8").match, EntryMatch::only_in_baseline);
  EXPECT_EQ(entry_of(v, "adam8_renamed").match, EntryMatch::only_in_candidate);
  const std::string md = render_compare_markdown(v);
  EXPECT_NE(md.find("`adam8`: only in baseline"), std::string::npos) << md;
}

TEST(AppCompare, ConfigurationMismatchIsReportedNotCompared) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["state_bits"] = 32;
  c["entries"][1]["error"]["param"]["rel_l2"] = 1.0;  // would be an accuracy regression
  c["entries"][0]["effective_config"]["w"]["args"]["lr"] = 1e-2;
  const CompareVerdict v = compare(b, c);
  EXPECT_EQ(compare_exit_code(v), 0);
  EXPECT_EQ(v.mismatched, 2);
  const EntryVerdict& e = entry_of(v, "adam8");
  EXPECT_EQ(e.match, EntryMatch::config_mismatch);
  ASSERT_FALSE(e.mismatches.empty());
  EXPECT_EQ(e.mismatches[0], "state_bits: 8 vs 32");
  EXPECT_NE(entry_of(v, "adam32").mismatches[0].find("/w/args/lr"), std::string::npos);

  Json seeded = b;
  seeded["run"]["seed"] = 8;
  EXPECT_EQ(compare(b, seeded).mismatched, 2);
  Json bigger = b;
  bigger["run"]["params"][0]["numel"] = 8192;
  EXPECT_EQ(compare(b, bigger).mismatched, 2);
}

TEST(AppCompare, ReportModeExitsZeroWithTheSameVerdict) {
  const Json b = document();
  Json c = b;
  c["entries"][0] = entry("adam32", 32, 0.40 * 1.5);
  c["entries"][1]["memory"]["state_bytes_per_param"] = 4.0;
  CompareOptions gate, report;
  report.mode = CompareMode::report;
  const CompareVerdict g = compare(b, c, gate);
  const CompareVerdict r = compare(b, c, report);
  EXPECT_EQ(compare_exit_code(g), 5);
  EXPECT_EQ(compare_exit_code(r), 0);
  EXPECT_EQ(r.bits, g.bits);
  Json gj = compare_json(g), rj = compare_json(r);
  EXPECT_EQ(gj["entries"], rj["entries"]);
  EXPECT_EQ(rj["exit_code"], 0);
  EXPECT_EQ(gj["exit_code"], 5);
}

TEST(AppCompare, RenderingsNameTheRegression) {
  const Json b = document();
  Json c = b;
  c["entries"][1]["error"]["param"]["rel_l2"] = 3e-3;
  const CompareVerdict v = compare(b, c);
  const std::string table = render_compare_table(v);
  EXPECT_NE(table.find("REGRESSED (accuracy)"), std::string::npos) << table;
  EXPECT_NE(table.find("error.param.rel_l2"), std::string::npos) << table;
  const std::string md = render_compare_markdown(v);
  EXPECT_NE(md.find("| `adam8` |"), std::string::npos) << md;
  EXPECT_NE(md.find(":x:"), std::string::npos) << md;
  const Json j = Json::parse(render_compare(v, CompareFormat::json));
  EXPECT_EQ(j["bits"], 2);
  EXPECT_EQ(j["failed"], "accuracy");
  EXPECT_EQ(j["entries"][1]["families"]["accuracy"], "regressed");
}

TEST(AppCompare, MalformedDocumentsAreDataErrors) {
  Json d = document();
  EXPECT_THROW(validate_results(Json::array(), "x"), DataError);
  Json no_version = d;
  no_version.erase("schema_version");
  EXPECT_THROW(validate_results(no_version, "x"), DataError);
  Json future = d;
  future["schema_version"] = 2;
  EXPECT_THROW(validate_results(future, "x"), DataError);
  Json dup = d;
  dup["entries"][1]["label"] = "adam32";
  EXPECT_THROW(validate_results(dup, "x"), DataError);
  Json wrong_type = d;
  wrong_type["entries"][0]["memory"]["state_bytes"] = "many";
  try {
    compare(d, wrong_type);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("entries[0].memory.state_bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_results("/nonexistent/results.json"), IoError);
}

TEST(AppCompare, HostileResultsFilesAreDataErrorsNeverCrashes) {
  const std::string path = testing::TempDir() + "hostile_results.json";
  auto rejected = [&](const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
    try {
      (void)load_results(path);
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  // 80,000 levels crashed the recursive echo of a differing value; now refused at parse time.
  const std::string deep = std::string(80'000, '[') + std::string(80'000, ']');
  EXPECT_NE(rejected(R"({"schema_version": 1, "entries": [], "run": )" + deep + "}").find("nested deeper than 64"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"schema_version": 1e999, "entries": []})").find("number overflow"), std::string::npos);
  EXPECT_NE(rejected(R"({"schema_version": 1, "entries": [], "entries": []})").find("duplicate key"),
            std::string::npos);
  std::remove(path.c_str());

  // A long differing context value is echoed as an excerpt.
  Json a = document(), b = document();
  b["machine"]["cpu_model"] = std::string(1'000'000, 'x');
  const CompareVerdict v = compare(a, b);
  ASSERT_FALSE(v.context_differences.empty());
  EXPECT_LT(v.context_differences[0].candidate.size(), 100u);
}

// The exact null distribution against values worked out by hand, and the normal approximation
// against the exact one where both apply.
TEST(AppCompare, MannWhitneyPValues) {
  // Complete separation of 5 vs 5: P(U = 0) = 1 / C(10,5) = 1/252, two-sided 2/252.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  EXPECT_NEAR(mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 2.0 / 252, 1e-12);
  // 3 vs 3 can never reach 0.1: P(U = 0) = 1/20.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
  // Perfect interleaving is the centre of the distribution.
  EXPECT_GT(mann_whitney_p({1, 3, 5, 7}, {2, 4, 6, 8}), 0.5);
  EXPECT_DOUBLE_EQ(mann_whitney_p({1, 1, 1}, {1, 1, 1}), 1.0);
  // 40 vs 40 (normal approximation) separated completely: far below any alpha.
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i);
    b.push_back(100 + i);
  }
  EXPECT_LT(mann_whitney_p(a, b), 1e-10);
  // Ties (normal approximation with tie correction): half shared, the rest separated.
  EXPECT_LT(mann_whitney_p({1, 1, 2, 2, 3, 3, 4, 4}, {4, 4, 5, 5, 6, 6, 7, 7}), 0.01);
}

}  // namespace
}  // namespace bnb::app
