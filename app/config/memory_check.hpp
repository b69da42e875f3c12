#pragma once
// Refuses a run whose tensors would not fit in memory, before any work (exit 64 with the
// numbers): parameters, gradients and optimizer states of every entry (they live until the
// timing pass), plus the largest entry's reference copies (fp64 parameters and states, which
// live only during that entry's accuracy pass) and the trace.
#include <cstddef>
#include <cstdint>

#include "config.hpp"

namespace bnb::app {

struct MemoryEstimate {
  std::size_t params_and_grads = 0;
  std::size_t states = 0;
  std::size_t reference = 0;
  std::size_t trace = 0;
  /// The sum, saturated at SIZE_MAX (each part may be).
  std::size_t total() const {
    std::size_t sum = 0;
    for (std::size_t part : {params_and_grads, states, reference, trace}) {
      if (__builtin_add_overflow(sum, part, &sum)) return SIZE_MAX;
    }
    return sum;
  }
};

MemoryEstimate estimate_memory(const Config& c, std::size_t trace_bytes);

/// Throws ConfigError with the estimate and MemAvailable when it does not fit.
void check_memory(const Config& c, std::size_t trace_bytes);

}  // namespace bnb::app
