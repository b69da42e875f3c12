#pragma once
// Test-only (CMake option BNB_TEST_REDUNDANT_PASS, off by default): a deliberate slowdown for the
// speed gates to catch (issue 24). Every CPU step first runs the same step on a scratch copy of
// the parameter and the state, then throws the copy away: an accidental second pass over the
// data, twice the step's work plus the copies, with results unchanged. Under callgrind the AVX2
// steps of configs/ci.json execute 2.2x to 4.8x (the 32-bit Adam step is 4
// instructions per parameter, the copies several more) the instructions.
#include <cstdint>
#include <vector>

#include "bnb/kernels/state_format.hpp"
#include "bnb/kernels/step_request.hpp"

namespace bnb::kernels {

template <class Step>
void redundant_state_pass(const StepRequest& r, Step&& step) {
  StepRequest scratch = r;
  const auto* param_bytes = static_cast<const std::uint8_t*>(r.param);
  std::vector<std::uint8_t> param(param_bytes, param_bytes + r.n * dtype_size(r.dtype));
  scratch.param = param.data();
  std::vector<std::uint8_t> compensation;
  if (r.compensation) {
    const auto* bytes = static_cast<const std::uint8_t*>(r.compensation);
    compensation.assign(bytes, bytes + r.n * dtype_size(r.dtype));
    scratch.compensation = compensation.data();
  }
  const FormatCodec& codec = format_codec(r.state.format);
  std::vector<float> values[kMaxStateRows], scales[kMaxStateRows];
  std::vector<std::uint8_t> codes[kMaxStateRows];
  for (int row = 0; row < r.state.rows; ++row) {
    if (r.state.values[row]) {
      values[row].assign(r.state.values[row], r.state.values[row] + r.n);
      scratch.state.values[row] = values[row].data();
    }
    if (r.state.codes[row]) {
      codes[row].assign(r.state.codes[row], r.state.codes[row] + codec.row_bytes(r.n));
      scratch.state.codes[row] = codes[row].data();
    }
    if (r.state.absmax[row]) {
      const std::size_t count = codec.scale_slots(r.n, r.state.block_size);
      scales[row].assign(r.state.absmax[row], r.state.absmax[row] + count);
      scratch.state.absmax[row] = scales[row].data();
    }
  }
  StepReport ignored;
  step(scratch, ignored);
}

}  // namespace bnb::kernels
