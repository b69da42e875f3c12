#pragma once
// The floor of DESIGN.md §5: the machine's time for a step's own memory traffic. An access
// pattern lists the element widths of the read-only gradient and of every read-modify-write
// array (parameter, state rows); the floor loop streams exactly those arrays with trivial
// integer arithmetic, with OpenMP over the run's threads, and reports ns per element.
#include <cstddef>
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

/// Measures the floor of `pattern` over `elements` elements (arrays allocated here, first
/// touched by the same threads), the minimum over `repeats` passes after one warm-up pass.
double measure_floor_ns_per_element(const AccessPattern& pattern, std::size_t elements, int threads, int repeats = 5);

/// The machine's streaming bandwidth for the 32-bit Adam pattern (fp32 g read; p, m, v RMW), in
/// bytes per second by the 28 B model.
double measure_bandwidth(int threads, std::size_t elements);

}  // namespace bnb::app
