#pragma once
// An optimizer over a set of named parameter tensors: the catalogue entry and its arguments,
// per-parameter overrides (GlobalOptimManager, SPEC.md §8), and the state manager that owns each
// tensor's state, decides its format at the first step and accounts its memory.
//
// The caller owns the parameter and gradient tensors; step() updates one tensor in place.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnb/arguments.hpp"
#include "bnb/catalogue.hpp"
#include "bnb/kernels/device_backend.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/step_request.hpp"
#include "bnb/param_state.hpp"
#include "bnb/paging_counters.hpp"

namespace bnb {

/// The range of a tensor one process steps in a sharded run (docs/distributed.md).
struct ShardRange {
  std::size_t begin = 0;
  std::size_t numel = 0;
};

struct ParamSpec {
  std::string name;
  DType dtype = DType::f32;
  std::size_t numel = 0;            // the whole tensor: decides the state format and paging
  std::optional<ShardRange> shard = std::nullopt;  // set: step() and the state cover only this range

  std::size_t local_numel() const { return shard ? shard->numel : numel; }
};

/// Per-parameter override: parameters whose name matches `pattern` (exact name or glob with * ?
/// and [..]) get `values` on top of the optimizer's arguments. Later overrides win.
struct Override {
  std::string pattern;
  ArgMap values;
};

enum class Device { cpu, cuda };

struct OptimizerOptions {
  int threads = 1;
  std::size_t block_size = kDefaultBlockSize;  // 8-bit block size (power of two, 64..4096)
  Device device = Device::cpu;
  std::size_t paged_min_numel = 100000;         // SPEC.md §7
  std::size_t paged_budget_bytes = 0;           // resident budget for paged state; 0 = unlimited
  std::string paged_dir;                        // directory for paged state files; "" = $TMPDIR
  std::uint64_t seed = 0;                       // stochastic param_rounding, underflow_guard: with the tensor and step
  /// Device::cuda: the device the states live on; null = the CUDA runtime's (open_cuda_backend).
  /// Tests pass the CPU emulation of the kernels here.
  std::shared_ptr<kernels::DeviceBackend> backend;
  /// Sharded runs: whole-tensor reductions go through every shard (shard_fold.hpp); the caller
  /// keeps it alive. Required when a parameter has a shard range.
  const ShardFold* shards = nullptr;
};

/// The CUDA backend of this process's current device. Throws DeviceUnavailable (exit 64) whose
/// message is the reason: "device \"cuda\": this build has no CUDA" or "... no CUDA device: <why>".
std::shared_ptr<kernels::DeviceBackend> open_cuda_backend();

/// Where a shard range may start: a multiple of every block a step reduces or scales over (the
/// reduction chunk, the configured 8-bit block, the 4-bit block).
std::size_t shard_alignment(const OptimizerOptions& options);
/// Range `rank` of `ranks` of a tensor of `numel` elements: whole units of `alignment` elements
/// (the last may be a tail) spread as evenly as they go, in rank order; possibly empty.
ShardRange shard_range(std::size_t numel, std::size_t alignment, int rank, int ranks);

struct BufferBytes {
  std::string name;    // "<param>/state1", "<param>/absmax1", ...
  std::size_t bytes = 0;
  bool paged = false;
};

struct MemoryReport {
  std::size_t state_bytes = 0;       // everything that scales with the parameter count
  std::size_t overhead_bytes = 0;    // maps, gnorm history, counters
  std::size_t paged_bytes = 0;       // part of state_bytes in paged memory
  std::size_t resident_paged_bytes = 0;  // of which currently resident (measured)
  std::size_t params = 0;
  std::vector<BufferBytes> buffers;
  double state_bytes_per_param() const { return params ? static_cast<double>(state_bytes) / static_cast<double>(params) : 0.0; }
};

class PagedArena;
class DeviceStates;

class Optimizer {
 public:
  /// Throws ConfigError for an unknown name, invalid arguments, or an override matching no
  /// parameter.
  Optimizer(const std::string& name, const ArgMap& args, std::vector<ParamSpec> params,
            const std::vector<Override>& overrides = {}, OptimizerOptions options = {});
  ~Optimizer();
  Optimizer(Optimizer&&) noexcept;
  Optimizer& operator=(Optimizer&&) noexcept;

  const OptimizerInfo& info() const { return *info_; }
  const OptimizerOptions& options() const { return options_; }
  std::size_t param_count() const { return params_.size(); }
  const ParamSpec& param(std::size_t i) const { return params_.at(i); }
  const EffectiveConfig& config(std::size_t i) const { return configs_.at(i); }
  /// Warnings about accepted arguments that have no effect (SPEC.md §2; param_rounding on an
  /// fp32 parameter).
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// One step of tensor i: `param` and `grad` hold local_numel() values of the parameter's dtype
  /// (its shard range in a sharded run: a collective, every shard steps tensor i together). On a
  /// device they are device pointers, the step is only enqueued, and the report is empty: the
  /// non-finite count stays on the device (take_device_nonfinite_grads), the norms with the state.
  StepReport step(std::size_t i, void* param, const void* grad);

  /// Tensor i's state on the host. On a device, reading brings the device copy back first (waits
  /// for the device).
  const ParamState& state(std::size_t i) const;
  /// The same for writing (checkpoint load, tests): on a device the host copy becomes the newer
  /// one, uploaded before the next step.
  ParamState& mutable_state(std::size_t i);
  /// The device the states live on (nullptr on the CPU).
  const std::shared_ptr<kernels::DeviceBackend>& device_backend() const { return options_.backend; }
  /// Device: non-finite gradients counted since the last call (waits for the device); CPU: 0,
  /// each step's report carries its count.
  std::uint64_t take_device_nonfinite_grads();
  /// Device: tensor i's 8-bit underflows per state row (StepReport::underflows) counted since the
  /// last call (waits for the device); CPU: zeros, each step's report carries them.
  std::array<std::uint64_t, kMaxStateRows> take_device_underflows(std::size_t i);
  /// Tensor i's state format and row count once decided (its first step or initialize_state),
  /// read without bringing a device copy back; nullopt before.
  struct StateShape {
    StateFormat format;
    int rows;
  };
  std::optional<StateShape> state_shape(std::size_t i) const;
  /// Decides and allocates tensor i's state now (as its first step would); idempotent.
  void initialize_state(std::size_t i);
  /// Whether tensor i keeps a compensation buffer (param_rounding compensated, 16-bit).
  bool uses_compensation(std::size_t i) const;

  MemoryReport memory() const;
  /// The paged-state arena (nullptr when no tensor is paged): resident bytes, budget.
  PagedArena* paged_arena() { return arena_.get(); }

  // Paging (SPEC.md §7), independent of where paged state lives (optimizer_paging.cpp).
  /// Paged memory tensor i's state occupies (whole pages), 0 when it is not paged; known before
  /// its first step, nothing is allocated.
  std::size_t paged_state_bytes(std::size_t i) const;
  /// What paging cost since construction or the last reset (zeros when nothing is paged).
  PagingCounters paging_counters() const;
  void reset_paging_counters();
  /// A new resident budget (0 = unlimited), enforced from the next step on.
  void set_paged_budget(std::size_t bytes);
  /// Evicts paged state over the budget now: after reading states outside a step (error
  /// measurement, checkpoints), which brings them back into memory.
  void enforce_paged_budget();

 private:
  struct StateLayout {
    int rows = 0;
    StateFormat format = StateFormat::fp32;
    std::size_t row_bytes = 0;
    bool paged = false;
  };
  /// How tensor i's state is laid out at its first step (the format decision of SPEC.md §5).
  StateLayout layout(std::size_t i) const;
  StepRequest step_request(std::size_t i, void* param, const void* grad) const;
  StepReport device_step(std::size_t i, void* param, const void* grad);  // optimizer_device.cpp
  void check_device_support() const;

  const OptimizerInfo* info_ = nullptr;
  OptimizerOptions options_;
  std::vector<ParamSpec> params_;
  std::vector<EffectiveConfig> configs_;
  // mutable: on a device, const readers refresh the host copy of the state (device_states.hpp).
  mutable std::vector<ParamState> states_;
  std::vector<std::string> warnings_;
  std::unique_ptr<PagedArena> arena_;
  std::unique_ptr<DeviceStates> device_;  // Device::cuda only
};

}  // namespace bnb
