#pragma once
// The underflow hazard of 8-bit state (docs/eight_bit.md), summed over an entry's steps from
// what the kernels count per step (StepReport).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bnb/optimizer.hpp"
#include "bnb/state_rules.hpp"
#include "results.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

/// Whether tensor i has 8-bit state (decided at its first step; 4-bit state is not counted: its
/// unsigned map has no zero, docs/four_bit.md). Reads no device copy.
inline bool has_quantized_state(const Optimizer& opt, std::size_t i) {
  const auto shape = opt.state_shape(i);
  return shape && format_codec(shape->format).quantized && format_codec(shape->format).element_bits == 8;
}

/// Adds tensor i's step (1-based) to q, for a tensor with 8-bit state: the kernels' underflow
/// counts, and the largest element step from the parameters before and after it (measured here,
/// outside the timed steps; `before` is null at a tensor's first step, taken before its state
/// format was known: its states start from exact zeros, so its step is Adam's plain first one).
inline void tally_quantization(std::optional<QuantizationResult>& q, const Optimizer& opt, std::size_t i,
                               std::int64_t step, const StepReport& report, const TensorBuffer* before,
                               const TensorBuffer& after) {
  if (!q) q.emplace();
  if (before) {
    double largest = 0;
    for (std::size_t j = 0; j < after.numel(); ++j) largest = std::max(largest, std::fabs(after.get(j) - before->get(j)));
    const double lr = opt.config(i).hyper.lr;
    if (lr > 0) q->max_step_lr = std::max(q->max_step_lr, largest / lr);
  }
  for (int r = 0; r < opt.state_shape(i)->rows; ++r) {
    const std::uint64_t n = report.underflows[r];
    q->underflows_by_state[state_name(opt.config(i), r)] += n;
    q->underflows += n;
    if (n && !q->first_underflow_step) q->first_underflow_step = step;
  }
}

}  // namespace bnb::app
