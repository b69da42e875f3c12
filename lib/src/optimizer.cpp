#include "bnb/optimizer.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "bnb/errors.hpp"
#include "bnb/glob.hpp"
#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "device_states.hpp"
#include "bnb/paged_arena.hpp"
#include "bnb/percentile_clipping.hpp"
#include "bnb/pytorch_lars.hpp"
#include "bnb/quantize.hpp"
#include "bnb/state_rules.hpp"

namespace bnb {
namespace {

/// The remedy of `underflow_guard: true`: the best of docs/eight_bit.md's comparison
/// (results/underflow/remedies.md).
constexpr kernels::UnderflowGuard kUnderflowGuardRemedy = kernels::UnderflowGuard::drop_momentum_unstall;

/// The stream of a tensor's stochastic state rounding (drop_momentum_unstall): a function of the
/// seed, the tensor's name and the step, apart from the parameters' stream (param_rounding).
constexpr std::uint64_t kStateStream = 0x7374617465ull;  // "state"

StepConstants prepare_constants(Algorithm a, const HyperParams& h, std::int64_t t) {
  return kernels::with_algorithm(a, [&]<class A>() { return A::prepare(h, t); });
}

}  // namespace

std::size_t shard_alignment(const OptimizerOptions& options) {
  std::size_t align = kReductionBlock;
  for (const FormatCodec& codec : kFormatCodecs) align = std::max(align, codec.block_of(options.block_size));
  return align;
}

ShardRange shard_range(std::size_t numel, std::size_t alignment, int rank, int ranks) {
  const std::size_t units = (numel + alignment - 1) / alignment;
  const auto k = static_cast<std::size_t>(rank);
  const auto n = static_cast<std::size_t>(ranks);
  const std::size_t begin = std::min(numel, units * k / n * alignment);
  const std::size_t end = std::min(numel, units * (k + 1) / n * alignment);
  return {begin, end - begin};
}

Optimizer::Optimizer(const std::string& name, const ArgMap& args, std::vector<ParamSpec> params,
                     const std::vector<Override>& overrides, OptimizerOptions options)
    : options_(std::move(options)), params_(std::move(params)) {
  info_ = find_optimizer(name);
  if (!info_) {
    throw ConfigError("unknown optimizer '" + name + "' (did you mean '" + nearest_optimizer_name(name) + "'?)");
  }
  check_block_size(options_.block_size);
  if (options_.threads < 1) throw ConfigError("threads must be at least 1, got " + std::to_string(options_.threads));
  if (options_.device == Device::cuda && !options_.backend) options_.backend = open_cuda_backend();
  const EffectiveConfig base = resolve_config(*info_, args);
  for (const std::string& w : base.ignored) warnings_.push_back(w);

  std::vector<bool> used(overrides.size(), false);
  configs_.reserve(params_.size());
  for (const ParamSpec& p : params_) {
    EffectiveConfig cfg = base;
    for (std::size_t k = 0; k < overrides.size(); ++k) {
      if (!glob_match(overrides[k].pattern, p.name)) continue;
      used[k] = true;
      cfg = apply_override(*info_, cfg, overrides[k].values);
    }
    if (cfg.reference_form && p.dtype != DType::f32) {
      throw ConfigError(name + ": parameter '" + p.name + "' is not fp32; PytorchLARS is fp32 only");
    }
    if (cfg.param_rounding != ParamRounding::nearest && p.dtype == DType::f32) {
      // Accepted (one configuration serves mixed-precision models), but said: fp32 stores the result as it is.
      cfg.ignored.push_back(name + ": param_rounding=" + param_rounding_name(cfg.param_rounding) +
                            " has no effect on an fp32 parameter");
    }
    for (const std::string& w : cfg.ignored) {
      const std::string line = "parameter '" + p.name + "': " + w;
      if (std::find(base.ignored.begin(), base.ignored.end(), w) == base.ignored.end() &&
          std::find(warnings_.begin(), warnings_.end(), line) == warnings_.end()) {
        warnings_.push_back(line);
      }
    }
    configs_.push_back(std::move(cfg));
  }
  for (std::size_t k = 0; k < overrides.size(); ++k) {
    if (!used[k]) {
      throw ConfigError(name + ": override pattern '" + overrides[k].pattern + "' matches no parameter");
    }
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const ParamSpec& p = params_[i];
    if (!p.shard) continue;
    if (p.dtype != DType::f32 && configs_[i].param_rounding != ParamRounding::nearest) {
      throw ConfigError(name + ": parameter '" + p.name + "': param_rounding other than nearest is not available in "
                        "a sharded run (docs/distributed.md)");
    }
    if (!options_.shards) throw std::invalid_argument("Optimizer: parameter '" + p.name + "' has a shard range but no ShardFold");
    const std::size_t align = shard_alignment(options_);
    if (p.shard->begin % align != 0 || p.shard->begin + p.shard->numel > p.numel) {
      throw ConfigError(name + ": parameter '" + p.name + "': shard [" + std::to_string(p.shard->begin) + ", " +
                        std::to_string(p.shard->begin + p.shard->numel) + ") is not a range of its " +
                        std::to_string(p.numel) + " elements starting at a multiple of " + std::to_string(align));
    }
  }
  states_.resize(params_.size());
  if (options_.device == Device::cuda) {
    check_device_support();
    device_ = std::make_unique<DeviceStates>(options_.backend, params_.size(), options_.paged_budget_bytes);
    return;  // paged state lives in the device's managed memory, not in the CPU's arena
  }
  const bool any_paged = std::any_of(configs_.begin(), configs_.end(), [](const auto& c) { return c.paged; });
  if (any_paged) arena_ = std::make_unique<PagedArena>(options_.paged_dir, options_.paged_budget_bytes);
}

Optimizer::~Optimizer() {
  states_.clear();  // release paged buffers before their arena
  device_.reset();
}
Optimizer::Optimizer(Optimizer&&) noexcept = default;
Optimizer& Optimizer::operator=(Optimizer&&) noexcept = default;

Optimizer::StateLayout Optimizer::layout(std::size_t i) const {
  const EffectiveConfig& cfg = configs_.at(i);
  const std::size_t n = params_[i].numel;
  StateLayout l;
  l.rows = state_row_count(cfg);
  l.format = state_format_for(cfg, n);
  l.row_bytes = format_codec(l.format).row_bytes(params_[i].local_numel());
  l.paged = cfg.paged && (arena_ || options_.device == Device::cuda) && n >= options_.paged_min_numel;
  return l;
}

bool Optimizer::uses_compensation(std::size_t i) const {
  return configs_.at(i).param_rounding == ParamRounding::compensated && params_.at(i).dtype != DType::f32;
}

void Optimizer::initialize_state(std::size_t i) {
  ParamState& st = states_.at(i);
  if (st.initialized) return;
  const EffectiveConfig& cfg = configs_[i];
  const std::size_t n = params_[i].local_numel();
  const StateLayout l = layout(i);
  st.numel = n;
  st.rows = l.rows;
  st.format = l.format;
  const FormatCodec& codec = format_codec(st.format);
  st.block_size = codec.block_of(options_.block_size);
  for (int r = 0; r < st.rows; ++r) {
    st.row[r] = l.paged && arena_ ? StateBuffer::paged(*arena_, l.row_bytes) : StateBuffer::heap(l.row_bytes);
    if (!codec.quantized) continue;
    const bool is_signed = state_row_map_is_signed(cfg, st.format, r);
    st.table[r] = quant_table(state_map(st.format, is_signed));
    std::fill_n(st.row[r].as<std::uint8_t>(), l.row_bytes, st.table[r]->zero_code);
    st.absmax[r].assign(codec.scale_slots(n, st.block_size), 0.0f);
  }
  if (uses_compensation(i)) st.compensation = StateBuffer::heap(n * dtype_size(params_[i].dtype));
  if (cfg.percentile_clipping < 100) st.gnorm_vec.assign(kGnormHistory, 0.0f);
  st.initialized = true;
  if (device_) device_->host_written(i);
}

ParamState& Optimizer::mutable_state(std::size_t i) {
  static_cast<void>(std::as_const(*this).state(i));  // brings a newer device copy back first
  if (device_) device_->host_written(i);
  return states_.at(i);
}

const ParamState& Optimizer::state(std::size_t i) const {
  ParamState& st = states_.at(i);
  if (device_ && st.initialized) {
    const EffectiveConfig& cfg = configs_[i];
    device_->to_host(i, st, kernels::clips_update_norm(cfg.algorithm) && cfg.hyper.max_unorm > 0);
  }
  return st;
}

std::optional<Optimizer::StateShape> Optimizer::state_shape(std::size_t i) const {
  const ParamState& st = states_.at(i);
  if (!st.initialized) return std::nullopt;
  return StateShape{st.format, st.rows};
}

StepRequest Optimizer::step_request(std::size_t i, void* param, const void* grad) const {
  const ParamState& st = states_[i];
  const EffectiveConfig& cfg = configs_[i];
  StepRequest r;
  r.algorithm = cfg.algorithm;
  r.dtype = params_[i].dtype;
  r.n = params_[i].local_numel();
  r.param = param;
  r.grad = grad;
  r.constants = prepare_constants(cfg.algorithm, cfg.hyper, st.step);
  r.max_unorm = static_cast<float>(cfg.hyper.max_unorm);
  r.underflow_guard = cfg.underflow_guard ? kUnderflowGuardRemedy : kernels::UnderflowGuard::off;
  if (cfg.underflow_guard) {
    r.state_rounding_key = kernels::rounding_key(options_.seed ^ kStateStream,
                                                 kernels::tensor_id(params_[i].name.data(), params_[i].name.size()), st.step);
  }
  r.first_element = params_[i].shard ? params_[i].shard->begin : 0;
  r.threads = options_.threads;
  if (params_[i].dtype != DType::f32 && cfg.param_rounding != ParamRounding::nearest) {
    // The same key on every device: the stochastic bits are a function of seed, tensor, step and element.
    r.rounding = cfg.param_rounding;
    r.rounding_key = kernels::rounding_key(options_.seed, kernels::tensor_id(params_[i].name.data(), params_[i].name.size()), st.step);
  }
  return r;
}

StepReport Optimizer::step(std::size_t i, void* param, const void* grad) {
  if (device_) return device_step(i, param, grad);
  initialize_state(i);
  ParamState& st = states_[i];
  const EffectiveConfig& cfg = configs_[i];
  const ParamSpec& spec = params_[i];
  st.step += 1;
  for (int r = 0; r < st.rows; ++r) st.row[r].prefetch();

  StepReport report;
  if (cfg.reference_form) {
    report.update_scale = pytorch_lars_step(cfg, st.step, static_cast<float*>(param), static_cast<const float*>(grad),
                                            st.row[0].as<float>(), spec.local_numel(), options_.shards);
  } else {
    StepRequest r = step_request(i, param, grad);
    r.state = st.view();
    r.compensation = st.compensation.size() != 0 ? st.compensation.data() : nullptr;
    r.shards = options_.shards;
    if (cfg.percentile_clipping < 100) {
      const auto g2 = static_cast<float>(kernels::cpu_sum_squares(spec.dtype, grad, spec.local_numel(), options_.threads,
                                                                     options_.shards));
      r.gnorm_scale = percentile_gnorm_scale(st.gnorm_vec, g2, st.step, static_cast<int>(cfg.percentile_clipping));
    }
    kernels::cpu_step(r, report);
    st.unorm = report.unorm;
  }
  if (arena_) arena_->enforce_budget();
  return report;
}

MemoryReport Optimizer::memory() const {
  MemoryReport m;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const ParamState& st = states_[i];
    const std::string& name = params_[i].name;
    m.params += params_[i].local_numel();
    if (!st.initialized) continue;
    const EffectiveConfig& cfg = configs_[i];
    std::size_t state_bytes[3] = {}, absmax_bytes[3] = {};
    bool paged = device_ && device_->paged(i);
    for (int r = 0; r < st.rows; ++r) {
      const int s = state_of_row(cfg, r);
      state_bytes[s] += st.row[r].size();
      absmax_bytes[s] += st.absmax[r].size() * sizeof(float);
      paged = paged || st.row[r].is_paged();
    }
    if (device_) m.resident_paged_bytes += device_->resident_bytes(i);
    for (int s = 1; s <= 2; ++s) {
      if (state_bytes[s] == 0) continue;
      m.buffers.push_back({name + "/state" + std::to_string(s), state_bytes[s], paged});
      m.state_bytes += state_bytes[s];
      if (paged) m.paged_bytes += state_bytes[s];
      if (absmax_bytes[s] != 0) {
        const std::string scales(format_codec(st.format).scale_name);
        m.buffers.push_back({name + "/" + scales + std::to_string(s), absmax_bytes[s], false});
        m.state_bytes += absmax_bytes[s];
        m.buffers.push_back({name + "/qmap" + std::to_string(s), 256 * sizeof(float), false});
        m.overhead_bytes += 256 * sizeof(float);
      }
    }
    if (st.compensation.size() != 0) {
      m.buffers.push_back({name + "/compensation", st.compensation.size(), false});
      m.state_bytes += st.compensation.size();
    }
    if (!st.gnorm_vec.empty()) {
      m.buffers.push_back({name + "/gnorm_vec", st.gnorm_vec.size() * sizeof(float), false});
      m.overhead_bytes += st.gnorm_vec.size() * sizeof(float);
    }
  }
  if (arena_) m.resident_paged_bytes = arena_->resident_bytes();
  return m;
}

}  // namespace bnb
