#include "reference_model.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "bnb_ref/from_product.hpp"
#include "bnb_ref/ref_optimizer.hpp"

namespace bnb::app {
namespace {

const std::vector<double> kEmpty;

}  // namespace

ProductState product_state(const Optimizer& opt, std::size_t i) {
  const ParamState& s = opt.state(i);
  ProductState out;
  out.step = s.step;
  if (!s.initialized) return out;
  for (int r = 0; r < s.rows; ++r) out.rows.push_back(s.dequantized(r));
  if (s.compensation.size() != 0) {  // param_rounding compensated (never sharded)
    TensorBuffer comp(opt.param(i).dtype, s.numel);
    std::memcpy(comp.data(), s.compensation.data(), comp.bytes());
    out.compensation = comp.to_double(1);
  }
  out.gnorm_vec = s.gnorm_vec;
  return out;
}

struct ReferenceModel::Impl {
  std::vector<bnb_ref::RefOptimizer> tensors;
  int threads = 1;
};

ReferenceModel::ReferenceModel(const Optimizer& opt, const std::vector<TensorBuffer>& params,
                               const std::vector<ProductState>& states, int threads, bool fp32_params)
    : impl_(std::make_unique<Impl>()) {
  impl_->threads = threads;
  for (std::size_t i = 0; i < opt.param_count(); ++i) {
    const EffectiveConfig& c = opt.config(i);
    const ParamSpec& spec = opt.param(i);
    impl_->tensors.emplace_back(bnb_ref::ref_algo(c), bnb_ref::ref_hyper(c), spec.numel,
                                 bnb_ref::ref_storage(fp32_params ? DType::f32 : spec.dtype, /*exact_fp32=*/false));
    if (!fp32_params && spec.dtype != DType::f32) {
      impl_->tensors.back().set_param_rounding(bnb_ref::ref_param_rounding(c.param_rounding),
                                               bnb_ref::RoundingStream(opt.options().seed, spec.name));
    }
    resync(i, params[i], states.at(i));
  }
}

ReferenceModel::ReferenceModel(const std::vector<EffectiveConfig>& configs, const std::vector<TensorBuffer>& params,
                               int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->threads = threads;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    impl_->tensors.emplace_back(bnb_ref::ref_algo(configs[i]), bnb_ref::ref_hyper(configs[i]), params[i].numel(),
                                 bnb_ref::ref_storage(params[i].dtype(), /*exact_fp32=*/false));
    impl_->tensors.back().set_param(std::span<const double>(params[i].to_double(threads)));
  }
}

ReferenceModel::~ReferenceModel() = default;
ReferenceModel::ReferenceModel(ReferenceModel&&) noexcept = default;
ReferenceModel& ReferenceModel::operator=(ReferenceModel&&) noexcept = default;

void ReferenceModel::resync(std::size_t i, const TensorBuffer& param, const ProductState& s) {
  auto& ref = impl_->tensors.at(i);
  ref.set_param(std::span<const double>(param.to_double(impl_->threads)));
  if (s.rows.empty()) return;  // no step yet: the reference's zero states and t = 0 agree
  for (int r = 0; r < ref.rows() && r < static_cast<int>(s.rows.size()); ++r) {
    ref.set_state(r, std::span<const float>(s.rows[static_cast<std::size_t>(r)]));
  }
  ref.set_step(s.step);
  if (!s.compensation.empty() && ref.compensation().size() == s.compensation.size()) {
    ref.set_compensation(std::span<const double>(s.compensation));
  }
  if (s.gnorm_vec.size() == bnb_ref::kGnormHistory) {
    std::array<double, bnb_ref::kGnormHistory> history{};
    for (std::size_t k = 0; k < history.size(); ++k) history[k] = static_cast<double>(s.gnorm_vec[k]);
    ref.set_gnorm_history(history);
  }
}

void ReferenceModel::resync(std::size_t i, const TensorBuffer& param, const std::vector<std::vector<float>>& states,
                            std::int64_t step) {
  auto& ref = impl_->tensors.at(i);
  ref.set_param(std::span<const double>(param.to_double(impl_->threads)));
  for (int r = 0; r < ref.rows() && r < static_cast<int>(states.size()); ++r) {
    ref.set_state(r, std::span<const float>(states[static_cast<std::size_t>(r)]));
  }
  ref.set_step(step);
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
