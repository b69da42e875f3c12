#pragma once
// A tensor stepped in shards by several processes (sharded runs, docs/distributed.md): each
// process owns one consecutive range of the tensor, the ranges in shard order tile it, and each
// starts at a multiple of kReductionBlock and of the state's block size. The whole-tensor
// reductions of a step (update and parameter norms, tensor-wise maxima, the gradient norm of
// percentile clipping) are folds over the tensor's reduction chunks in chunk order
// (step_request.hpp); a ShardFold runs such a fold through the shards in shard order, so the
// result is bit for bit the single-process one, whatever the number of shards.
#include <functional>
#include <span>

namespace bnb {

class ShardFold {
 public:
  virtual ~ShardFold() = default;
  /// Runs `fold` on this shard with `running` holding the values after every earlier shard's
  /// fold (the caller's initial values on the first shard); on return `running` holds the values
  /// after the last shard's fold, on every shard. A collective: every shard calls it.
  virtual void in_shard_order(std::span<double> running, const std::function<void(std::span<double>)>& fold) const = 0;
};

/// `fold(running)` on the whole tensor, or through the shards when `shards` is set.
template <class Fold>
void fold_in_shard_order(const ShardFold* shards, std::span<double> running, Fold&& fold) {
  if (shards) {
    shards->in_shard_order(running, fold);
  } else {
    fold(running);
  }
}

}  // namespace bnb
