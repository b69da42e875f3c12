#pragma once
// The fp64 reference (lib/reference, issue 3) of one optimizer entry: one RefOptimizer per
// tensor, configured from the tensor's effective configuration, parameters stored like the
// product's (fp32, fp16 or bf16 rounding with the tensor's param_rounding: "the fp32
// reference"), or in fp32 whatever their dtype (`fp32_params`: the trajectory 16-bit storage is
// measured against, docs/param_rounding.md). In resync mode it is overwritten with the
// product's parameters, dequantized states and compensation before every step.
#include <memory>
#include <vector>

#include "bnb/optimizer.hpp"
#include "tensor_buffer.hpp"

namespace bnb::app {

/// The product's state of one tensor, whole: rows dequantized in kernel row order (none before
/// the first step), steps done, percentile-clipping history (empty when off).
struct ProductState {
  std::vector<std::vector<float>> rows;
  std::int64_t step = 0;
  std::vector<float> gnorm_vec;
  std::vector<double> compensation;  // param_rounding compensated: the stored values
};

/// Tensor i's state in `opt` (all of it: a single-process optimizer).
ProductState product_state(const Optimizer& opt, std::size_t i);

class ReferenceModel {
 public:
  /// Starts every tensor from the product's current parameters and (dequantized) states:
  /// `states[i]` of tensor i (product_state, or gathered from the shards of a sharded run).
  ReferenceModel(const Optimizer& opt, const std::vector<TensorBuffer>& params, const std::vector<ProductState>& states,
                 int threads, bool fp32_params = false);
  /// The reference of a peer entry (docs/peers.md): configured from the catalogue configuration
  /// computing the same update, one per tensor, started from `params` with zero states.
  ReferenceModel(const std::vector<EffectiveConfig>& configs, const std::vector<TensorBuffer>& params, int threads);
  ~ReferenceModel();
  ReferenceModel(ReferenceModel&&) noexcept;
  ReferenceModel& operator=(ReferenceModel&&) noexcept;

  /// Overwrites tensor i with the product's parameter, states, step count and clipping history.
  void resync(std::size_t i, const TensorBuffer& param, const ProductState& state);
  /// The same from a peer's values: parameter, state rows in kernel row order (fp32), steps done.
  void resync(std::size_t i, const TensorBuffer& param, const std::vector<std::vector<float>>& states,
              std::int64_t step);
  void step(std::size_t i, const std::vector<double>& grad);
  const std::vector<double>& param(std::size_t i) const;
  /// Reference state row r of tensor i (kernel row order); empty when the tensor has no row r.
  const std::vector<double>& state(std::size_t i, int r) const;
  int rows(std::size_t i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnb::app
