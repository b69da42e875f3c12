#pragma once
// How a sharded run splits its tensors over the ranks of a process group (docs/distributed.md):
// rank k owns one consecutive range of every tensor, the ranges in rank order tile it, and each
// starts at a multiple of bnb::shard_alignment (the reduction chunk and every state block), so
// no quantization block is cut and the whole-tensor reductions fold in the single-process order.
// Parameters are whole on every rank (as in ZeRO stages 1 and 2): each rank steps its range, then
// the ranges are gathered. Without a group (not started by mpirun) there is one range per tensor,
// the whole tensor, and nothing is communicated.
#include <cstddef>
#include <span>
#include <vector>

#include "bnb/optimizer.hpp"
#include "config.hpp"
#include "distributed/process_group.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

/// Refuses what a sharded run of `ranks` processes cannot do (entries run by peer libraries, CUDA
/// tensors), naming the config path. ConfigError.
void check_sharded_run(const Config& c, int ranks);

class Shards {
 public:
  /// `group` may be null (a single-process run); it must outlive the Shards.
  Shards(const ProcessGroup* group, const Config& c);

  bool sharded() const { return group_ != nullptr; }
  const ProcessGroup* group() const { return group_; }
  bool is_root() const { return !group_ || group_->is_root(); }
  int ranks() const { return group_ ? group_->size() : 1; }

  /// Rank `rank`'s range of tensor i (the whole tensor without a group).
  ShardRange range(std::size_t i, int rank) const;
  /// This rank's range of tensor i.
  ShardRange range(std::size_t i) const { return range(i, group_ ? group_->rank() : 0); }

  /// The parameters for the optimizer of this rank: each with its range when sharded.
  std::vector<ParamSpec> param_specs(const Config& c) const;
  /// The optimizer options' fold through the shards (null without a group).
  const ShardFold* fold() const { return group_; }

  /// This rank's range of tensor i's whole buffer `full`.
  void* local(std::size_t i, TensorBuffer& full) const;
  /// After every rank stepped its range of `full` (tensor i): the whole tensor on every rank.
  void gather(std::size_t i, TensorBuffer& full) const;
  /// Tensor i's values of every rank's range (`local`: this rank's), whole, on rank 0 (empty
  /// elsewhere). Without a group: `local` itself.
  std::vector<float> gather_to_root(std::span<const float> local) const;

  /// Each rank's value, in rank order, on every rank ({local} without a group).
  std::vector<double> per_rank(double local) const;
  /// The sum over the ranks of a count (exact below 2^53).
  std::uint64_t total(std::uint64_t local) const;
  /// Seconds this rank spent communicating so far (0 without a group).
  double communication_seconds() const { return group_ ? group_->communication_seconds() : 0.0; }

 private:
  const ProcessGroup* group_ = nullptr;
  std::vector<std::size_t> numel_;
  std::size_t alignment_ = 0;
};

}  // namespace bnb::app
