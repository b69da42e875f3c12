#pragma once
// Memory for tensor-sized arrays (parameters, gradients, optimizer states; the tool's, the
// benchmarks' and the library's alike):
// - every array starts on a 64-byte boundary, so no 64-byte vector load or store of a step spans
//   two cache lines (std::vector's large arrays sit 16 bytes past a page; PyTorch's CPU tensors
//   are 64-byte aligned too);
// - an array of at least kHugePageBytes is 2 MiB aligned and asks Linux for transparent huge
//   pages (madvise; the kernel's default mode here), since with 4 KiB pages a step streaming
//   five 256 MiB arrays takes a TLB miss every 4 KiB of each of them: 64M fp32 Adam -9 to -11%
//   (32-bit, 1 thread) and -4 to -5% (8-bit, 1 and 2 threads) on Zen 4 (results/perf/round14/).
//   BNB_HUGE_PAGES=0 in the environment (read once) keeps 4 KiB pages, for comparisons.
#include <cstddef>

namespace bnb {

inline constexpr std::size_t kHugePageBytes = std::size_t{4} << 20;

/// Whether arrays of kHugePageBytes and more are given huge pages (BNB_HUGE_PAGES is not "0").
bool huge_pages_enabled();

/// `bytes` of memory aligned as above (never null: throws std::bad_alloc), uninitialised.
void* allocate_array(std::size_t bytes);
/// Frees what allocate_array(bytes) returned, with the same `bytes`.
void free_array(void* p, std::size_t bytes) noexcept;

/// A standard allocator over allocate_array, for std::vector.
template <class T>
struct ArrayAllocator {
  using value_type = T;

  ArrayAllocator() = default;
  template <class U>
  ArrayAllocator(const ArrayAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) { return static_cast<T*>(allocate_array(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_array(p, n * sizeof(T)); }

  friend bool operator==(const ArrayAllocator&, const ArrayAllocator&) { return true; }
};

}  // namespace bnb
