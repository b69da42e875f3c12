#pragma once
// An allocator that starts every array on a 64-byte boundary, for the parameter and gradient
// buffers of the tool and the benchmarks (PyTorch's CPU tensors are 64-byte aligned too):
// std::vector's allocation of a large array sits 16 bytes past a page (glibc's chunk header), so
// every 64-byte vector load and store of the step would span two cache lines, which the library's
// own state buffers (aligned the same way) never do.
#include <cstddef>
#include <new>

namespace bnb {

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};

  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t n) noexcept { ::operator delete(p, n * sizeof(T), kAlignment); }

  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};

}  // namespace bnb
