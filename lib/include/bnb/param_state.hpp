#pragma once
// The optimizer state of one parameter tensor (SPEC.md §9): step counter, state rows in their
// format, absmax (8-bit), quantization maps, the compensation of a compensated 16-bit parameter
// (docs/param_rounding.md), percentile-clipping history, last update norm.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/state_view.hpp"
#include "bnb/state_buffer.hpp"

namespace bnb {

inline constexpr int kGnormHistory = 100;

struct ParamState {
  std::int64_t step = 0;
  bool initialized = false;            // the format is decided at the first step
  StateFormat format = StateFormat::fp32;
  int rows = 0;                        // kernel rows (the algorithm's kRows)
  std::size_t numel = 0;
  std::size_t block_size = kDefaultBlockSize;
  std::array<StateBuffer, kMaxStateRows> row;     // the codec's row_bytes(numel) each
  std::array<std::vector<float>, kMaxStateRows> absmax;  // the codec's scales (scale_count)
  std::array<std::optional<kernels::QuantTable>, kMaxStateRows> table;  // quantized rows
  StateBuffer compensation;            // param_rounding compensated, 16-bit parameters: numel values of their dtype
  std::vector<float> gnorm_vec;        // kGnormHistory entries when percentile clipping is on
  float unorm = 0.0f;                  // last update norm when the algorithm clips

  /// The kernel's view of this state.
  StateView view();

  /// Row `r` decoded to fp32 (a copy), for error measurement and reference re-sync.
  std::vector<float> dequantized(int r) const;
  /// Overwrites row `r` from fp32 values (8-bit rows are re-encoded block by block with the
  /// row's map); used to start an optimizer from given states.
  void assign(int r, const float* values);
};

}  // namespace bnb
