#include "shards.hpp"

#include <fmt/format.h>

#include <cstring>

#include "bnb/errors.hpp"
#include "bnb/kernels/dtype.hpp"

namespace bnb::app {

void check_sharded_run(const Config& c, int ranks) {
  if (c.device == Device::cuda) {
    throw ConfigError(fmt::format("device: a sharded run ({} ranks under mpirun) steps CPU tensors; run cuda "
                                  "without mpirun",
                                  ranks));
  }
  for (const auto& e : c.optimizers) {
    if (e.peer) {
      throw ConfigError(fmt::format("{}.implementation: {} ({}) is run by {}, which a sharded run ({} ranks under "
                                    "mpirun) cannot shard; run it without mpirun",
                                    e.path, e.label, e.name, e.peer->implementation, ranks));
    }
  }
}

Shards::Shards(const ProcessGroup* group, const Config& c) : group_(group) {
  OptimizerOptions options;  // the block sizes the run's optimizers use
  alignment_ = shard_alignment(options);
  for (const auto& p : c.params) numel_.push_back(p.numel);
}

ShardRange Shards::range(std::size_t i, int rank) const {
  const std::size_t n = numel_.at(i);
  if (!group_) return {0, n};
  return shard_range(n, alignment_, rank, group_->size());
}

std::vector<ParamSpec> Shards::param_specs(const Config& c) const {
  std::vector<ParamSpec> specs = app::param_specs(c);
  if (group_) {
    for (std::size_t i = 0; i < specs.size(); ++i) specs[i].shard = range(i);
  }
  return specs;
}

void* Shards::local(std::size_t i, TensorBuffer& full) const {
  return static_cast<std::byte*>(full.data()) + range(i).begin * dtype_size(full.dtype());
}

void Shards::gather(std::size_t i, TensorBuffer& full) const {
  if (!group_) return;
  std::vector<std::size_t> counts;
  for (int k = 0; k < group_->size(); ++k) counts.push_back(range(i, k).numel * dtype_size(full.dtype()));
  group_->all_gather_in_place({static_cast<std::byte*>(full.data()), full.bytes()}, counts);
}

std::vector<float> Shards::gather_to_root(std::span<const float> local) const {
  if (!group_) return {local.begin(), local.end()};
  const std::vector<std::byte> bytes = group_->gather_to_root(std::as_bytes(local));
  std::vector<float> all(bytes.size() / sizeof(float));
  std::memcpy(all.data(), bytes.data(), all.size() * sizeof(float));
  return all;
}

std::vector<double> Shards::per_rank(double local) const {
  if (!group_) return {local};
  return group_->all_values(local);
}

std::uint64_t Shards::total(std::uint64_t local) const {
  std::uint64_t sum = 0;
  for (double v : per_rank(static_cast<double>(local))) sum += static_cast<std::uint64_t>(v);
  return sum;
}

}  // namespace bnb::app
