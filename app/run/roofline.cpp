#include "roofline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>

#include <omp.h>

namespace bnb::app {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Raw = std::unique_ptr<std::byte, FreeDeleter>;

Raw allocate(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  return Raw(static_cast<std::byte*>(std::aligned_alloc(64, std::max<std::size_t>(rounded, 64))));
}

// One chunk: read the gradient, fold it into one value, add it into each RMW array. The arrays
// stay in their own widths so the traffic is exactly the step's.
template <class G>
std::uint32_t fold(const std::byte* g, std::size_t first, std::size_t count) {
  const G* gp = reinterpret_cast<const G*>(g) + first;
  G acc = 0;
  for (std::size_t k = 0; k < count; ++k) acc = static_cast<G>(acc ^ gp[k]);
  return static_cast<std::uint32_t>(acc);
}

template <class T>
void bump(std::byte* a, std::size_t first, std::size_t count, std::uint32_t v) {
  T* ap = reinterpret_cast<T*>(a) + first;
  const T add = static_cast<T>(v | 1u);
  for (std::size_t k = 0; k < count; ++k) ap[k] = static_cast<T>(ap[k] + add);
}

void bump_width(std::size_t width, std::byte* a, std::size_t first, std::size_t count, std::uint32_t v) {
  switch (width) {
    case 1: bump<std::uint8_t>(a, first, count, v); break;
    case 2: bump<std::uint16_t>(a, first, count, v); break;
    default: bump<std::uint32_t>(a, first, count, v); break;
  }
}

std::uint32_t fold_width(std::size_t width, const std::byte* g, std::size_t first, std::size_t count) {
  switch (width) {
    case 1: return fold<std::uint8_t>(g, first, count);
    case 2: return fold<std::uint16_t>(g, first, count);
    default: return fold<std::uint32_t>(g, first, count);
  }
}

constexpr std::size_t kChunk = 4096;  // elements per unit of work: all arrays' chunks stay in L1/L2

}  // namespace

double measure_floor_ns_per_element(const AccessPattern& pattern, std::size_t elements, int threads, int repeats) {
  elements = std::max<std::size_t>(elements, kChunk);
  const auto chunks = static_cast<std::int64_t>((elements + kChunk - 1) / kChunk);
  Raw grad = allocate(elements * pattern.grad_width);
  std::vector<Raw> arrays;
  for (auto w : pattern.rmw_widths) arrays.push_back(allocate(elements * w));
  std::byte* g = grad.get();
  std::vector<std::byte*> a;
  for (auto& r : arrays) a.push_back(r.get());
  const auto& widths = pattern.rmw_widths;
  // First touch by the threads that stream them later (NUMA placement), values arbitrary.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t first = static_cast<std::size_t>(c) * kChunk;
    const std::size_t count = std::min(kChunk, elements - first);
    std::fill_n(g + first * pattern.grad_width, count * pattern.grad_width, std::byte{1});
    for (std::size_t k = 0; k < a.size(); ++k) std::fill_n(a[k] + first * widths[k], count * widths[k], std::byte{0});
  }
  double best = std::numeric_limits<double>::infinity();
  for (int rep = 0; rep <= repeats; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::size_t first = static_cast<std::size_t>(c) * kChunk;
      const std::size_t count = std::min(kChunk, elements - first);
      const std::uint32_t v = fold_width(pattern.grad_width, g, first, count);
      for (std::size_t k = 0; k < a.size(); ++k) bump_width(widths[k], a[k], first, count, v);
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0) best = std::min(best, ns);  // pass 0 warms up
  }
  return best / static_cast<double>(elements);
}

double measure_bandwidth(int threads, std::size_t elements) {
  const AccessPattern adam32{4, {4, 4, 4}, 0, 256};
  const double ns = measure_floor_ns_per_element(adam32, elements, threads, 3);
  return adam32.bytes_per_element() / ns * 1e9;
}

}  // namespace bnb::app
