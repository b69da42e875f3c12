#include "bnb_ref/ref_optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "bnb_ref/storage_rounding.hpp"
#include "ref_algorithms.hpp"

namespace bnb_ref {
namespace {

template <class V>
void copy_checked(std::vector<double>& dst, std::span<const V> src, const char* what) {
  if (src.size() != dst.size()) {
    throw std::invalid_argument(std::string("bnb_ref::RefOptimizer: ") + what + " has " + std::to_string(src.size()) +
                                " values, expected " + std::to_string(dst.size()));
  }
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<double>(src[i]);
}

}  // namespace

RefOptimizer::RefOptimizer(Algo algo, const RefHyper& hyper, std::size_t n, StorageKind storage)
    : algo_(algo), hyper_(hyper), clip_(hyper.percentile_clipping), grad_(n, 0.0) {
  tensor_.p.assign(n, 0.0);
  for (int r = 0; r < rows(); ++r) tensor_.s[static_cast<std::size_t>(r)].assign(n, 0.0);
  tensor_.storage = storage;
}

void RefOptimizer::set_hyper(const RefHyper& hyper) {
  const auto history = clip_.history();
  hyper_ = hyper;
  clip_ = RefPercentileClip(hyper.percentile_clipping);
  clip_.set_history(history);
}

void RefOptimizer::set_param(std::span<const float> values) { copy_checked(tensor_.p, values, "parameter"); }
void RefOptimizer::set_param(std::span<const double> values) { copy_checked(tensor_.p, values, "parameter"); }

const std::vector<double>& RefOptimizer::state(int row) const {
  if (row < 0 || row >= rows()) {
    throw std::invalid_argument(std::string("bnb_ref::RefOptimizer: ") + algo_name(algo_) + " has no state row " +
                                std::to_string(row));
  }
  return tensor_.s[static_cast<std::size_t>(row)];
}

void RefOptimizer::set_state(int row, std::span<const float> values) {
  state(row);  // validates the row
  copy_checked(tensor_.s[static_cast<std::size_t>(row)], values, "state row");
}
void RefOptimizer::set_state(int row, std::span<const double> values) {
  state(row);
  copy_checked(tensor_.s[static_cast<std::size_t>(row)], values, "state row");
}

void RefOptimizer::set_param_rounding(ParamRoundingKind kind, RoundingStream stream) {
  rounding_ = kind;
  stream_ = stream;
  compensation_.assign(kind == ParamRoundingKind::compensated ? size() : 0, 0.0);
}

void RefOptimizer::set_compensation(std::span<const double> values) {
  if (rounding_ != ParamRoundingKind::compensated) {
    throw std::invalid_argument("bnb_ref::RefOptimizer: set_compensation without compensated rounding");
  }
  copy_checked(compensation_, values, "compensation");
}

void RefOptimizer::set_step(std::int64_t completed) {
  if (completed < 0) throw std::invalid_argument("bnb_ref::RefOptimizer: negative step count");
  tensor_.t = completed;
}

void RefOptimizer::step(std::span<const float> grad) {
  check_gradient_size(grad.size());
  for (std::size_t i = 0; i < grad.size(); ++i) grad_[i] = static_cast<double>(grad[i]);
  run_step();
}

void RefOptimizer::step(std::span<const double> grad) {
  check_gradient_size(grad.size());
  std::copy(grad.begin(), grad.end(), grad_.begin());
  run_step();
}

void RefOptimizer::check_gradient_size(std::size_t n) const {
  if (n != size()) {
    throw std::invalid_argument("bnb_ref::RefOptimizer: gradient has " + std::to_string(n) + " values, expected " +
                                std::to_string(size()));
  }
}

void RefOptimizer::run_step() {
  tensor_.t += 1;

  // SPEC.md §6.1 then §3: every gradient element is first multiplied by gnorm_scale.
  double sum_sq = 0;
  if (clip_.active()) {
    for (double v : grad_) sum_sq += v * v;
  }
  last_gnorm_scale_ = clip_.record(tensor_.t, sum_sq);
  if (last_gnorm_scale_ != 1.0) {
    for (double& v : grad_) v *= last_gnorm_scale_;
  }

  const bool sixteen_bit = tensor_.storage == StorageKind::f16 || tensor_.storage == StorageKind::bf16;
  if (rounding_ == ParamRoundingKind::nearest || !sixteen_bit) {
    run_algorithm();
    return;
  }
  // The step on binary32 assignments (on p + c when compensated), then the mode's store.
  const StorageKind kind = tensor_.storage;
  const std::vector<double> stored = tensor_.p;
  if (rounding_ == ParamRoundingKind::compensated) {
    for (std::size_t i = 0; i < size(); ++i) tensor_.p[i] = round_to_f32(stored[i] + compensation_[i]);
  }
  const std::vector<double> before = tensor_.p;
  tensor_.storage = StorageKind::f32;
  run_algorithm();
  tensor_.storage = kind;
  for (std::size_t i = 0; i < size(); ++i) {
    const double x = tensor_.p[i];
    if (rounding_ == ParamRoundingKind::stochastic) {
      tensor_.p[i] = stochastic_round(x, kind, stream_.bits(tensor_.t, i));
    } else if (x == before[i]) {
      tensor_.p[i] = stored[i];  // unchanged by the step: the pair stays as it was
    } else {
      tensor_.p[i] = round_to_storage(x, kind);
      compensation_[i] = std::isfinite(tensor_.p[i]) ? round_to_storage(x - tensor_.p[i], kind) : 0.0;
    }
  }
}

void RefOptimizer::run_algorithm() {
  last_clip_ = ClipOutcome{};
  switch (algo_) {
    case Algo::adam: detail::adam_step(tensor_, hyper_, grad_, false); break;
    case Algo::lamb: last_clip_ = detail::adam_step(tensor_, hyper_, grad_, true); break;
    case Algo::ademamix: detail::ademamix_step(tensor_, hyper_, grad_); break;
    case Algo::momentum: detail::momentum_step(tensor_, hyper_, grad_, false); break;
    case Algo::lars: last_clip_ = detail::momentum_step(tensor_, hyper_, grad_, true); break;
    case Algo::rmsprop: last_clip_ = detail::rmsprop_step(tensor_, hyper_, grad_); break;
    case Algo::adagrad: detail::adagrad_step(tensor_, hyper_, grad_); break;
    case Algo::lion: detail::lion_step(tensor_, hyper_, grad_); break;
    case Algo::pytorch_lars: last_clip_ = detail::pytorch_lars_step(tensor_, hyper_, grad_); break;
  }
}

}  // namespace bnb_ref
