#include "bnb_ref/ref_optimizer.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

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
