// array_memory.hpp: where tensor-sized arrays start (a cache line; a huge page for large ones).
#include "bnb/array_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
constexpr std::uintptr_t kCacheLine = 64;
constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;

TEST(ArrayMemory, EveryArrayStartsOnACacheLineAndIsWritable) {
  for (std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{4096} + 16,
                            bnb::kHugePageBytes - 1, bnb::kHugePageBytes, bnb::kHugePageBytes * 3 + 5}) {
    void* p = bnb::allocate_array(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(address(p) % kCacheLine, 0u) << bytes;
    std::memset(p, 0x5a, bytes);  // the whole extent is ours (ASan checks it in that build)
    bnb::free_array(p, bytes);
  }
}

TEST(ArrayMemory, LargeArraysStartOnAHugePageUnlessTurnedOff) {
  const char* setting = std::getenv("BNB_HUGE_PAGES");
  EXPECT_EQ(bnb::huge_pages_enabled(), !(setting && std::strcmp(setting, "0") == 0));
  void* large = bnb::allocate_array(bnb::kHugePageBytes);
  if (bnb::huge_pages_enabled()) {
    EXPECT_EQ(address(large) % kHugePage, 0u);
  }
  bnb::free_array(large, bnb::kHugePageBytes);
}

TEST(ArrayMemory, AllocatorServesVectorsOfAnySize) {
  std::vector<float, bnb::ArrayAllocator<float>> small(3, 1.5f);
  std::vector<float, bnb::ArrayAllocator<float>> large(bnb::kHugePageBytes / sizeof(float) + 1, 0.0f);
  EXPECT_EQ(address(small.data()) % kCacheLine, 0u);
  if (bnb::huge_pages_enabled()) {
    EXPECT_EQ(address(large.data()) % kHugePage, 0u);
  }
  small.resize(1 << 22, 2.0f);  // grows past the threshold: freed with the size it was allocated with
  EXPECT_EQ(small[0], 1.5f);
  EXPECT_EQ(small.back(), 2.0f);
  EXPECT_EQ(large.back(), 0.0f);
}

}  // namespace
