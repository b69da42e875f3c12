// Entries that differ only in state format, paired with their ratios (app/run/pairs.hpp).
#include <gtest/gtest.h>

#include "pairs.hpp"

namespace bnb::app {
namespace {

nlohmann::json param_config(int bits, const std::string& format, double lr) {
  return {{"algorithm", "adam"},
          {"args", {{"lr", lr}, {"optim_bits", bits}, {"min_8bit_size", 4096}, {"block_wise", true}}},
          {"ignored", nlohmann::json::array()},
          {"optim_bits", bits},
          {"paged", false},
          {"state_format", format}};
}

EntryResult entry(const std::string& label, int emb_bits, int w_bits, double lr, std::size_t state_bytes,
                  double rel_travel, double ns) {
  EntryResult e;
  e.label = label;
  e.algorithm = "adam";
  e.state_bits = w_bits;
  e.steps = 20;
  e.effective_config = {{"emb", param_config(emb_bits, emb_bits == 8 ? "blockwise8" : "fp32", lr)},
                        {"w", param_config(w_bits, w_bits == 8 ? "blockwise8" : "fp32", lr)}};
  e.memory.state_bytes = state_bytes;
  ErrorResult err;
  err.rel_travel = rel_travel;
  e.error = err;
  TimeStats t;
  t.median = ns;
  e.time = t;
  return e;
}

TEST(AppPairs, EntriesDifferingOnlyInStateFormatPairWithTheWidest) {
  RunResult r;
  r.entries = {entry("adam-8", 8, 8, 1e-3, 250, 0.02, 0.6),
               entry("adam-32", 32, 32, 1e-3, 1000, 1e-6, 0.4),
               entry("adam-8-emb32", 32, 8, 1e-3, 600, 0.01, 0.5),
               entry("adam-8-lr", 8, 8, 2e-3, 250, 0.02, 0.6),  // another learning rate: no partner
               entry("adam-8-again", 8, 8, 1e-3, 250, 0.02, 0.6)};
  const auto pairs = state_format_pairs(r);
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].narrow->label, "adam-8");
  EXPECT_EQ(pairs[0].wide->label, "adam-32");
  EXPECT_DOUBLE_EQ(pairs[0].state_memory_ratio, 0.25);
  ASSERT_TRUE(pairs[0].error_ratio && pairs[0].time_ratio);
  EXPECT_DOUBLE_EQ(*pairs[0].error_ratio, 0.02 / 1e-6);
  EXPECT_DOUBLE_EQ(*pairs[0].time_ratio, 1.5);
  EXPECT_EQ(pairs[1].narrow->label, "adam-8-emb32");  // the override variant
  EXPECT_EQ(pairs[2].narrow->label, "adam-8-again");  // same format as adam-8, but not as adam-32
  EXPECT_EQ(pair_sentence(pairs[0]),
            "adam-8 vs adam-32: 8-bit state: 25% of the state memory, 2% off the exact path (32-bit: 0.0001%), "
            "1.5x the step time");
}

TEST(AppPairs, NoPairWithoutAWiderTwinAndNoRatioWithoutMeasurements) {
  RunResult r;
  r.entries = {entry("a", 8, 8, 1e-3, 250, 0.02, 0.6), entry("b", 8, 8, 1e-3, 250, 0.02, 0.6)};
  EXPECT_TRUE(state_format_pairs(r).empty());  // same format: duplicates, not a pair
  r.entries = {entry("w", 32, 32, 1e-3, 1000, 0.0, 0.4), entry("n", 8, 8, 1e-3, 250, 0.02, 0.6)};
  r.entries[1].time.reset();
  const auto pairs = state_format_pairs(r);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_FALSE(pairs[0].error_ratio);  // the wide entry's error is 0
  EXPECT_FALSE(pairs[0].time_ratio);   // the narrow one was not timed
  EXPECT_EQ(pair_rows(pairs)[0].back(), "-");
}

}  // namespace
}  // namespace bnb::app
