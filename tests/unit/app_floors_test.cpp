// The roofline floors (app/floors.hpp): probes shared by entries with the same pattern and size,
// one sample per round, the memory level from the cache sizes. No timing is asserted, only what
// the floors are made of.
#include <gtest/gtest.h>

#include <filesystem>

#include "floors.hpp"

namespace {

using namespace bnb::app;

const AccessPattern kAdam32{4, {4, 4, 4}, 0, 256};
const AccessPattern kAdam8{4, {4, 1, 1}, 4, 256};

TEST(AppFloors, MemoryLevelFollowsTheCacheSizes) {
  EXPECT_EQ(memory_level(std::size_t{1} << 40, 2), "dram");  // a terabyte fits no cache
  if (std::filesystem::exists("/sys/devices/system/cpu/cpu0/cache/index0/level")) {
    EXPECT_EQ(memory_level(64, 1), "L1");
  }
}

TEST(AppFloors, OneSamplePerRoundAndEntryFloorsFromTheirOwnSizes) {
  // Entries 0 and 1 share a probe (same pattern, same size); entry 2 uses two patterns.
  const std::vector<std::vector<FloorUse>> uses = {
      {{kAdam32, 10'000}}, {{kAdam32, 10'000}}, {{kAdam32, 512}, {kAdam8, 50'000}}};
  FloorSet floors(uses, 1, std::size_t{1} << 24);
  for (int round = 0; round < 3; ++round) floors.sample_round(1e-4);
  for (std::size_t k = 0; k < uses.size(); ++k) {
    const EntryFloor f = floors.floor_of(k);
    EXPECT_EQ(f.samples, 3);
    EXPECT_GT(f.ns_per_param, 0.0);
    EXPECT_GE(f.spread, 0.0);
    EXPECT_FALSE(f.memory_level.empty());
  }
  EXPECT_EQ(floors.floor_of(0).ns_per_param, floors.floor_of(1).ns_per_param);  // one probe, one best sample
}

}  // namespace
