// The optimizer on a device (issue 17): which configurations the CUDA kernels cover, and the
// device step. The states live in DeviceStates (device_states.hpp); the step only enqueues.
#include <string>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/optimizer.hpp"
#include "bnb/percentile_clipping.hpp"
#include "bnb/state_rules.hpp"
#include "device_states.hpp"

namespace bnb {

std::shared_ptr<kernels::DeviceBackend> open_cuda_backend() {
  std::string why;
  if (!kernels::cuda::cuda_available(&why)) throw DeviceUnavailable("device \"cuda\": " + why);
  return kernels::make_cuda_backend();
}

void Optimizer::check_device_support() const {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const EffectiveConfig& cfg = configs_[i];
    const std::string where = info_->name + ": parameter '" + params_[i].name + "'";
    if (cfg.reference_form) {
      throw ConfigError(where + ": PytorchLARS has no CUDA kernel (its reference form runs on the CPU); use device \"cpu\"");
    }
  }
}

StepReport Optimizer::device_step(std::size_t i, void* param, const void* grad) {
  initialize_state(i);
  ParamState& st = states_[i];
  const EffectiveConfig& cfg = configs_[i];
  device_->to_device(i, st, layout(i).paged);
  st.step += 1;
  StepRequest r = step_request(i, param, grad);
  r.state = st.view();
  if (cfg.percentile_clipping < 100) {
    // The one host synchronisation of a device step: the clipping history and its percentile are
    // host values (SPEC.md §4.9), so the gradient's sum of squares is taken on the host, from a
    // copy, with the CPU's reduction (the same value as a CPU run).
    const ParamSpec& spec = params_[i];
    std::vector<std::byte> host_grad(spec.numel * dtype_size(spec.dtype));
    device_->backend().download(host_grad.data(), grad, host_grad.size());
    const auto g2 = static_cast<float>(kernels::cpu_sum_squares(spec.dtype, host_grad.data(), spec.numel, options_.threads));
    r.gnorm_scale = percentile_gnorm_scale(st.gnorm_vec, g2, st.step, static_cast<int>(cfg.percentile_clipping));
  }
  device_->step(i, st, r);
  return {};
}

std::uint64_t Optimizer::take_device_nonfinite_grads() {
  std::uint64_t count = 0;
  if (device_) {
    for (std::size_t i = 0; i < params_.size(); ++i) count += device_->take_nonfinite(i);
  }
  return count;
}

std::array<std::uint64_t, kMaxStateRows> Optimizer::take_device_underflows(std::size_t i) {
  return device_ ? device_->take_underflows(i) : std::array<std::uint64_t, kMaxStateRows>{};
}

}  // namespace bnb
