#pragma once
// The floor of DESIGN.md §5: the machine's time for a step's own memory traffic. An access
// pattern lists the element widths of the read-only gradient and of every read-modify-write
// array (parameter, state rows); the floor loop streams exactly those arrays with trivial
// integer arithmetic, with OpenMP over the run's threads, and reports ns per element.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bnb::app {

struct AccessPattern {
  std::size_t grad_width = 4;                  // bytes, read only
  std::vector<std::size_t> rmw_widths;         // parameter first, then state rows (4 or 1)
  std::size_t per_block_bytes = 0;             // 8-bit: absmax per block (read + write), counted in the model
  std::size_t block = 256;

  /// Bytes moved per element by the step model: gradient once, each RMW array twice, absmax.
  double bytes_per_element() const;
  std::string key() const;
  bool operator<(const AccessPattern& o) const { return key() < o.key(); }
};

/// The floor loop of one pattern over its own arrays (allocated and first touched by the threads
/// that stream them later). Sampled like a timed entry: the timing pass interleaves its samples
/// with the entries' in the round robin, so both see the same machine, and the floor is the best
/// sample.
class FloorProbe {
 public:
  FloorProbe(const AccessPattern& pattern, std::size_t elements, int threads);
  ~FloorProbe();
  FloorProbe(FloorProbe&&) noexcept;
  FloorProbe& operator=(FloorProbe&&) noexcept;

  /// One sample: `passes` passes over the arrays, in ns per element and pass.
  double sample_ns_per_element(std::int64_t passes);
  std::size_t elements() const;
  /// Bytes the arrays occupy (what decides whether they stay in cache).
  std::size_t working_set_bytes() const;

 private:
  struct Arrays;
  std::unique_ptr<Arrays> arrays_;
};

/// Measures the floor of `pattern` over `elements` elements, the minimum over `repeats` passes
/// after one warm-up pass.
double measure_floor_ns_per_element(const AccessPattern& pattern, std::size_t elements, int threads, int repeats = 5);

/// The machine's streaming bandwidth for the 32-bit Adam pattern (fp32 g read; p, m, v RMW), in
/// bytes per second by the 28 B model.
double measure_bandwidth(int threads, std::size_t elements);

}  // namespace bnb::app
