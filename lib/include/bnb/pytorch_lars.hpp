#pragma once
// PytorchLARS (SPEC.md §4.8, last paragraph): the plain fp32 reference form of LARS with
// PyTorch's momentum buffer (dampening, Nesterov) and the trust-ratio clip on ||update||.
#include <cstddef>
#include <cstdint>

#include "bnb/catalogue.hpp"
#include "bnb/kernels/shard_fold.hpp"

namespace bnb {

/// One step on fp32 parameters; `buffer` is the momentum buffer (n floats), t >= 1.
/// Returns the update scale applied. `shards`: the norms run through every shard (shard_fold.hpp).
float pytorch_lars_step(const EffectiveConfig& cfg, std::int64_t t, float* param, const float* grad, float* buffer,
                        std::size_t n, const ShardFold* shards = nullptr);

}  // namespace bnb
