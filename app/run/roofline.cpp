#include "roofline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>

#include <omp.h>

#include "bnb/array_memory.hpp"

namespace bnb::app {
namespace {

// The floor's arrays are allocated as the step's (array_memory.hpp: alignment and huge pages),
// and left uninitialised for the threads' first touch.
struct ArrayDeleter {
  std::size_t bytes = 0;
  void operator()(std::byte* p) const { free_array(p, bytes); }
};
using Raw = std::unique_ptr<std::byte, ArrayDeleter>;

Raw allocate(std::size_t bytes) {
  const std::size_t rounded = std::max<std::size_t>((bytes + 63) / 64 * 64, 64);
  return Raw(static_cast<std::byte*>(allocate_array(rounded)), ArrayDeleter{rounded});
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

struct FloorProbe::Arrays {
  AccessPattern pattern;
  std::size_t elements = 0;
  int threads = 1;
  Raw grad;
  std::vector<Raw> rmw;
};

FloorProbe::FloorProbe(const AccessPattern& pattern, std::size_t elements, int threads)
    : arrays_(std::make_unique<Arrays>()) {
  Arrays& s = *arrays_;
  s.pattern = pattern;
  s.elements = std::max<std::size_t>(elements, 1);
  s.threads = threads;
  s.grad = allocate(s.elements * pattern.grad_width);
  for (auto w : pattern.rmw_widths) s.rmw.push_back(allocate(s.elements * w));
  const auto chunks = static_cast<std::int64_t>((s.elements + kChunk - 1) / kChunk);
  std::byte* g = s.grad.get();
  const auto& widths = pattern.rmw_widths;
  // First touch by the threads that stream them later (NUMA placement), values arbitrary.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t first = static_cast<std::size_t>(c) * kChunk;
    const std::size_t count = std::min(kChunk, s.elements - first);
    std::fill_n(g + first * pattern.grad_width, count * pattern.grad_width, std::byte{1});
    for (std::size_t k = 0; k < s.rmw.size(); ++k) {
      std::fill_n(s.rmw[k].get() + first * widths[k], count * widths[k], std::byte{0});
    }
  }
}

FloorProbe::~FloorProbe() = default;
FloorProbe::FloorProbe(FloorProbe&&) noexcept = default;
FloorProbe& FloorProbe::operator=(FloorProbe&&) noexcept = default;

std::size_t FloorProbe::elements() const { return arrays_->elements; }

std::size_t FloorProbe::working_set_bytes() const {
  std::size_t per_element = arrays_->pattern.grad_width;
  for (auto w : arrays_->pattern.rmw_widths) per_element += w;
  return arrays_->elements * per_element;
}

double FloorProbe::sample_ns_per_element(std::int64_t passes) {
  Arrays& s = *arrays_;
  const auto chunks = static_cast<std::int64_t>((s.elements + kChunk - 1) / kChunk);
  const std::byte* g = s.grad.get();
  std::vector<std::byte*> a;
  for (auto& r : s.rmw) a.push_back(r.get());
  const auto& widths = s.pattern.rmw_widths;
  const std::size_t grad_width = s.pattern.grad_width;
  const std::size_t elements = s.elements;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t pass = 0; pass < passes; ++pass) {
#pragma omp parallel for num_threads(s.threads) schedule(static)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::size_t first = static_cast<std::size_t>(c) * kChunk;
      const std::size_t count = std::min(kChunk, elements - first);
      const std::uint32_t v = fold_width(grad_width, g, first, count);
      for (std::size_t k = 0; k < a.size(); ++k) bump_width(widths[k], a[k], first, count, v);
    }
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  return ns / (static_cast<double>(passes) * static_cast<double>(elements));
}

double measure_floor_ns_per_element(const AccessPattern& pattern, std::size_t elements, int threads, int repeats) {
  FloorProbe probe(pattern, elements, threads);
  (void)probe.sample_ns_per_element(1);  // warm-up
  double best = std::numeric_limits<double>::infinity();
  for (int rep = 0; rep < repeats; ++rep) best = std::min(best, probe.sample_ns_per_element(1));
  return best;
}

double measure_bandwidth(int threads, std::size_t elements) {
  const AccessPattern adam32{4, {4, 4, 4}, 0, 256};
  const double ns = measure_floor_ns_per_element(adam32, elements, threads, 3);
  return adam32.bytes_per_element() / ns * 1e9;
}

}  // namespace bnb::app
