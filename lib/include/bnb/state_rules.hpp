#pragma once
// The library's rules about a tensor's optimizer state, in one place for the optimizer, the
// checkpoints, the memory accounting and the CLI: which format (codec) a tensor gets (SPEC.md
// §5.4), how many kernel rows it keeps, which SPEC.md §9 state each row is, and what it costs.
// PytorchLARS (the plain fp32 form of SPEC.md §4.8) is the one special case, handled here.
#include <cstddef>
#include <string>
#include <string_view>

#include "bnb/catalogue.hpp"
#include "bnb/kernels/state_format.hpp"

namespace bnb {

/// SPEC.md §5.4: 8-bit state when optim_bits is 8 and the tensor has at least min_8bit_size
/// elements (one scale per block, or per tensor with block_wise = false); else 32-bit.
/// PytorchLARS is always 32-bit.
StateFormat state_format_for(const EffectiveConfig& cfg, std::size_t numel);

/// Kernel state rows: the algorithm's (adam 2, 3 for the two-EMA algorithm, else 1).
int state_row_count(const EffectiveConfig& cfg);

/// Which SPEC.md §9 state (1 or 2) kernel row `row` belongs to.
int state_of_row(const EffectiveConfig& cfg, int row);

/// "state1" or "state2": the checkpoint and report name of kernel row `row`'s state.
std::string state_name(const EffectiveConfig& cfg, int row);

/// Whether kernel row `row` uses the signed quantization map (SPEC.md §5.2).
bool state_row_is_signed(const EffectiveConfig& cfg, int row);

/// Whether kernel row `row` stored in `format` uses the format's signed map. The 8-bit formats
/// follow state_row_is_signed (bitsandbytes: RMSprop's and Adagrad's non-negative accumulators
/// use the signed map); the extension formats (4-bit, fp8) give every non-negative row the
/// non-negative map (linear4 has no zero; e4m3 keeps a positive value above 0), so a small
/// accumulator never decodes as 0 (docs/four_bit.md, docs/fp8.md).
bool state_row_map_is_signed(const EffectiveConfig& cfg, StateFormat format, int row);

/// The algorithm a report names: the kernel algorithm, or "pytorch_lars" for the plain form.
std::string_view reported_algorithm(const EffectiveConfig& cfg);

/// An upper bound of the state bytes of one tensor before it is allocated (the CLI's memory
/// check): rows * (codes + scales), the scales counted at one per smallest block (64).
double state_bytes_bound(const EffectiveConfig& cfg, std::size_t numel);

}  // namespace bnb
