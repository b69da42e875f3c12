#include "reference_model.hpp"

#include <array>
#include <stdexcept>

#include "bnb_ref/ref_optimizer.hpp"

namespace bnb::app {
namespace {

bnb_ref::Algo ref_algo(const EffectiveConfig& c) {
  if (c.reference_form) return bnb_ref::Algo::pytorch_lars;
  switch (c.algorithm) {
    case Algorithm::adam: return bnb_ref::Algo::adam;
    case Algorithm::ademamix: return bnb_ref::Algo::ademamix;
    case Algorithm::momentum: return bnb_ref::Algo::momentum;
    case Algorithm::rmsprop: return bnb_ref::Algo::rmsprop;
    case Algorithm::adagrad: return bnb_ref::Algo::adagrad;
    case Algorithm::lion: return bnb_ref::Algo::lion;
    case Algorithm::lamb: return bnb_ref::Algo::lamb;
    case Algorithm::lars: return bnb_ref::Algo::lars;
  }
  throw std::logic_error("unknown algorithm");
}

bnb_ref::RefHyper ref_hyper(const EffectiveConfig& c) {
  bnb_ref::RefHyper h;
  h.lr = c.hyper.lr;
  h.beta1 = c.hyper.beta1;
  h.beta2 = c.hyper.beta2;
  h.beta3 = c.hyper.beta3;
  h.alpha = c.hyper.alpha;
  h.t_alpha = c.hyper.t_alpha;
  h.t_beta3 = c.hyper.t_beta3;
  h.eps = c.hyper.eps;
  h.weight_decay = c.hyper.weight_decay;
  h.max_unorm = c.hyper.max_unorm;
  h.skip_zeros = c.hyper.skip_zeros;
  h.percentile_clipping = c.percentile_clipping;
  h.nesterov = c.nesterov;
  h.dampening = c.dampening;
  return h;
}

bnb_ref::StorageKind storage_of(DType d) {
  switch (d) {
    case DType::f16: return bnb_ref::StorageKind::f16;
    case DType::bf16: return bnb_ref::StorageKind::bf16;
    case DType::f32: break;
  }
  return bnb_ref::StorageKind::f32;
}

const std::vector<double> kEmpty;

}  // namespace

struct ReferenceModel::Impl {
  std::vector<bnb_ref::RefOptimizer> tensors;
  int threads = 1;
};

ReferenceModel::ReferenceModel(const Optimizer& opt, const std::vector<TensorBuffer>& params, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->threads = threads;
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const EffectiveConfig& c = opt.config(i);
    impl_->tensors.emplace_back(ref_algo(c), ref_hyper(c), opt.param(i).numel, storage_of(opt.param(i).dtype));
    resync(i, opt, params[i]);
  }
}

ReferenceModel::~ReferenceModel() = default;
ReferenceModel::ReferenceModel(ReferenceModel&&) noexcept = default;
ReferenceModel& ReferenceModel::operator=(ReferenceModel&&) noexcept = default;

void ReferenceModel::resync(std::size_t i, const Optimizer& opt, const TensorBuffer& param) {
  auto& ref = impl_->tensors.at(i);
  ref.set_param(std::span<const double>(param.to_double(impl_->threads)));
  const ParamState& s = opt.state(i);
  if (!s.initialized) return;  // no step yet: the reference's zero states and t = 0 agree
  for (int r = 0; r < ref.rows() && r < s.rows; ++r) {
    const std::vector<float> values = s.dequantized(r);
    ref.set_state(r, std::span<const float>(values));
  }
  ref.set_step(s.step);
  if (s.gnorm_vec.size() == bnb_ref::kGnormHistory) {
    std::array<double, bnb_ref::kGnormHistory> history{};
    for (std::size_t k = 0; k < history.size(); ++k) history[k] = static_cast<double>(s.gnorm_vec[k]);
    ref.set_gnorm_history(history);
  }
}

void ReferenceModel::step(std::size_t i, const std::vector<double>& grad) {
  impl_->tensors.at(i).step(std::span<const double>(grad));
}

const std::vector<double>& ReferenceModel::param(std::size_t i) const { return impl_->tensors.at(i).param(); }

const std::vector<double>& ReferenceModel::state(std::size_t i, int r) const {
  const auto& ref = impl_->tensors.at(i);
  return r < ref.rows() ? ref.state(r) : kEmpty;
}

int ReferenceModel::rows(std::size_t i) const { return impl_->tensors.at(i).rows(); }

}  // namespace bnb::app
