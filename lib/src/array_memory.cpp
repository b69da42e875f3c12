#include "bnb/array_memory.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace bnb {
namespace {

constexpr std::align_val_t kCacheLine{64};
constexpr std::size_t kHugePage = std::size_t{2} << 20;

bool huge(std::size_t bytes) { return bytes >= kHugePageBytes && huge_pages_enabled(); }

}  // namespace

bool huge_pages_enabled() {
  static const bool enabled = [] {
    const char* e = std::getenv("BNB_HUGE_PAGES");
    return !(e && std::strcmp(e, "0") == 0);
  }();
  return enabled;
}

void* allocate_array(std::size_t bytes) {
  if (!huge(bytes)) return ::operator new(bytes == 0 ? 1 : bytes, kCacheLine);
  void* p = ::operator new(bytes, std::align_val_t{kHugePage});
#if defined(__linux__)
  // Advice only: where THP is off, or the kernel has no huge page at hand, the pages stay 4 KiB.
  (void)madvise(p, (bytes + kHugePage - 1) / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  return p;
}

void free_array(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  if (huge(bytes)) {
    ::operator delete(p, std::align_val_t{kHugePage});
  } else {
    ::operator delete(p, kCacheLine);
  }
}

}  // namespace bnb
