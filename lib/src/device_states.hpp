#pragma once
// The optimizer's state on a device (issue 17, `device: "cuda"`): per tensor the state rows, the
// scales, the quantization tables and the step read-back slot in device memory (paged state in
// managed memory), next to the host ParamState that stays the state's description and the copy
// that checkpoints, error measurement and memory accounting read.
//
// Which copy is newer is tracked per tensor: a step makes the device copy newer; reading the
// state on the host (Optimizer::state) brings it back first; writing it on the host (checkpoint
// load, initialization) makes the host copy newer, uploaded before the next step. So the host
// copy is refreshed only where the host needs it, never inside the timed steps.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "bnb/kernels/device_backend.hpp"
#include "bnb/param_state.hpp"
#include "device_paging.hpp"

namespace bnb {

class DeviceStates {
 public:
  /// `paged_budget_bytes`: device-resident paged state allowed between steps (0 = unlimited);
  /// a budget needs a device that prefetches managed memory (ConfigError otherwise).
  DeviceStates(std::shared_ptr<kernels::DeviceBackend> backend, std::size_t tensors, std::size_t paged_budget_bytes);
  ~DeviceStates();
  DeviceStates(const DeviceStates&) = delete;
  DeviceStates& operator=(const DeviceStates&) = delete;

  kernels::DeviceBackend& backend() { return *backend_; }

  /// Makes tensor i's device copy current (allocating it at the first call; paged state in
  /// managed memory, refused with ConfigError when all the paged state would not fit in the
  /// device's free memory).
  void to_device(std::size_t i, const ParamState& st, bool paged);
  /// Makes the host copy `st` current (rows, scales, compensation, the last update norm when `clips`).
  void to_host(std::size_t i, ParamState& st, bool clips);
  /// The host copy was written: upload it before the next step.
  void host_written(std::size_t i) { tensors_.at(i).newer = Newer::host; }

  /// Enqueues one step: `r` carries the device parameter and gradient; the state view, tables and
  /// slot are filled in here; paged rows are prefetched before it and the budget enforced after
  /// it. Makes the device copy newer.
  void step(std::size_t i, const ParamState& st, StepRequest r);

  /// Non-finite gradients counted on the device since the last call (waits for the device).
  std::uint64_t take_nonfinite(std::size_t i);
  /// 8-bit underflows per state row counted on the device since the last call (waits for it).
  std::array<std::uint64_t, kMaxStateRows> take_underflows(std::size_t i);
  bool paged(std::size_t i) const { return tensors_.at(i).paged; }
  /// Bytes of tensor i's managed state on the device (the paging's accounting).
  std::size_t resident_bytes(std::size_t i) const;
  DevicePaging& paging() { return paging_; }
  const DevicePaging& paging() const { return paging_; }
  /// A new budget (0 = unlimited), enforced from the next step on.
  void set_paged_budget(std::size_t bytes);

 private:
  enum class Newer { same, host, device };
  struct Tensor {
    std::array<void*, kMaxStateRows> rows{};
    std::array<float*, kMaxStateRows> scales{};
    void* compensation = nullptr;  // param_rounding compensated (16-bit parameters)
    std::size_t compensation_bytes = 0;
    kernels::DeviceCodeTable* tables = nullptr;  // the rows' maps with their bucket encoders
    kernels::DeviceStepSlot* slot = nullptr;
    std::size_t row_bytes = 0;
    int rows_used = 0;
    bool paged = false;
    bool allocated = false;
    Newer newer = Newer::host;
  };
  void allocate(Tensor& t, const ParamState& st, bool paged);
  void check_budget_support(std::size_t budget) const;

  std::shared_ptr<kernels::DeviceBackend> backend_;
  std::vector<Tensor> tensors_;
  DevicePaging paging_;
};

}  // namespace bnb
