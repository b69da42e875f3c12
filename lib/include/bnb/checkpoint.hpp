#pragma once
// Checkpoints (SPEC.md §9, DESIGN.md §3.3): a safetensors file with, per parameter NAME,
// `param/NAME` (its dtype) and `state/NAME/<key>` for every state buffer with its own dtype —
// step (I64), state1/state2 (F32 or U8 codes; a state of two kernel rows is [2, n]), qmap1/qmap2 (F32
// maps as used), absmax1/absmax2 (block-wise) or max1/max2 (tensor-wise), gnorm_vec, unorm —
// plus the optimizer name, the state format and the effective configuration in __metadata__.
// Loading restores everything bit for bit, so save, load and one more step equal a straight run.
#include <map>
#include <span>
#include <string>

#include "bnb/optimizer.hpp"
#include "bnb/safetensors.hpp"

namespace bnb {

/// Writes a checkpoint atomically. `params[i]` holds parameter i (dtype and numel of its spec).
/// `metadata` adds caller entries (e.g. the run's label) to __metadata__. IoError on failure.
void save_checkpoint(const Optimizer& opt, std::span<const void* const> params, const std::string& path,
                     const std::map<std::string, std::string>& metadata = {});

/// Restores parameters (into `params[i]`) and every tensor's state from `path`. DataError when
/// the file is malformed or does not match the optimizer (name, parameters, dtypes, sizes, state
/// format); IoError when it cannot be read. On error `opt` and `params` are left unchanged.
void load_checkpoint(Optimizer& opt, std::span<void* const> params, const std::string& path);
/// The same from a file already read (messages name its source).
void load_checkpoint(Optimizer& opt, std::span<void* const> params, const SafetensorsFile& file);

/// The __metadata__ of a checkpoint, without loading it (for `run --resume` to check the label).
std::map<std::string, std::string> checkpoint_metadata(const std::string& path);

}  // namespace bnb
