#pragma once
// What the optimizers are run on (DESIGN.md §3.1 workload): initial parameters, and the gradient
// of every tensor at every step — a synthetic stream, the gradient of an objective with a known
// optimum at the current parameters, or a recorded trace.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnb/trace.hpp"
#include "config.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

/// Loads the trace of a replay workload and takes the run's parameters from it: fills
/// c.params when the config has none, else checks they agree (DataError). Steps beyond the
/// trace are a DataError. No-op for other workloads.
std::shared_ptr<const Trace> settle_replay(Config& c);

class Workload {
 public:
  Workload(const Config& c, std::shared_ptr<const Trace> trace);

  bool is_objective() const;
  std::size_t tensor_count() const { return params_.size(); }

  /// The initial value of tensor i.
  TensorBuffer initial_param(std::size_t i) const;

  /// The gradient of tensor i at 0-based step `step`, given the parameter's current value (used
  /// by objectives only), written in the gradient's dtype.
  void gradient(std::size_t i, std::int64_t step, const TensorBuffer& param, TensorBuffer& grad) const;
  /// The same for the elements of `range` only (a rank's range in a sharded run: streams and
  /// traces produce only those, objectives evaluate the whole tensor): `grad` holds range.numel.
  void gradient(std::size_t i, std::int64_t step, const TensorBuffer& param, TensorBuffer& grad,
                ShardRange range) const;
  /// The same in double for the reference (objectives evaluate at the reference's parameters).
  void gradient(std::size_t i, std::int64_t step, const std::vector<double>& param, std::vector<double>& grad) const;

  /// Objectives: the loss of tensor i at x (mean over its elements; the optimum's loss is 0),
  /// and the squared distance of x to the optimum.
  double loss(std::size_t i, const std::vector<double>& x) const;
  double distance_squared(std::size_t i, const std::vector<double>& x) const;

 private:
  void objective_gradient(std::size_t i, std::int64_t step, const std::vector<double>& x, std::vector<double>& g) const;
  double optimum(std::size_t i, std::size_t j) const;
  double curvature(std::size_t j) const;

  WorkloadConfig config_;
  std::vector<ParamConfig> params_;
  std::uint64_t seed_ = 0;
  int threads_ = 1;
  std::shared_ptr<const Trace> trace_;
  std::vector<std::size_t> trace_index_;  // config param i -> trace param
};

}  // namespace bnb::app
