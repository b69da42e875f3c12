#include "device_states.hpp"

#include <memory>

#include <string>
#include <utility>

#include "bnb/errors.hpp"

namespace bnb {

DeviceStates::DeviceStates(std::shared_ptr<kernels::DeviceBackend> backend, std::size_t tensors,
                           std::size_t paged_budget_bytes)
    : backend_(std::move(backend)), tensors_(tensors), paging_(*backend_, paged_budget_bytes) {
  check_budget_support(paged_budget_bytes);
}

void DeviceStates::check_budget_support(std::size_t budget) const {
  if (budget > 0 && !backend_->describe().concurrent_managed_access) {
    throw ConfigError("a paging budget on the device needs managed memory that can be prefetched, and this device "
                      "reports no concurrent managed access (docs/gpu.md); remove the budget or use device \"cpu\"");
  }
}

void DeviceStates::set_paged_budget(std::size_t bytes) {
  check_budget_support(bytes);
  paging_.set_budget(bytes);
}

DeviceStates::~DeviceStates() {
  for (Tensor& t : tensors_) {
    for (void* p : t.rows) backend_->release(p);
    for (float* p : t.scales) backend_->release(p);
    backend_->release(t.compensation);
    backend_->release(t.tables);
    backend_->release(t.slot);
  }
}

void DeviceStates::allocate(Tensor& t, const ParamState& st, bool paged) {
  t.row_bytes = format_codec(st.format).row_bytes(st.numel);
  t.rows_used = st.rows;
  t.paged = paged;
  if (paged) {
    // Managed memory beyond what the device has free can hang the device, not only this process.
    // Under a budget part of the paged state waits on the host, but all of it must still fit:
    // the budget bounds what is resident, it never oversubscribes the device.
    const std::size_t need = static_cast<std::size_t>(st.rows) * t.row_bytes;
    const std::size_t on_host = paging_.managed_bytes() - paging_.resident_bytes();
    const kernels::DeviceMemoryInfo m = backend_->memory_info();
    if (need + on_host > m.free_bytes) {
      throw ConfigError("paged state of " + std::to_string(st.numel) + " elements needs " + std::to_string(need >> 20) +
                        " MiB of managed memory (" + std::to_string(on_host >> 20) +
                        " MiB more of this optimizer's paged state waits on the host) but the device has " +
                        std::to_string(m.free_bytes >> 20) +
                        " MiB free (cudaMemGetInfo); lower the parameter count or page less");
    }
  }
  for (int r = 0; r < st.rows; ++r) {
    t.rows[r] = paged ? backend_->allocate_managed(t.row_bytes) : backend_->allocate(t.row_bytes);
    if (paged) paging_.add(t.rows[r], t.row_bytes);
    if (!st.absmax[r].empty()) t.scales[r] = static_cast<float*>(backend_->allocate(st.absmax[r].size() * sizeof(float)));
  }
  t.compensation_bytes = st.compensation.size();
  t.compensation = backend_->allocate(t.compensation_bytes);
  if (format_codec(st.format).quantized) {
    t.tables = static_cast<kernels::DeviceCodeTable*>(backend_->allocate(static_cast<std::size_t>(st.rows) * sizeof(kernels::DeviceCodeTable)));
  }
  t.slot = static_cast<kernels::DeviceStepSlot*>(backend_->allocate(sizeof(kernels::DeviceStepSlot)));
  t.allocated = true;
}

void DeviceStates::to_device(std::size_t i, const ParamState& st, bool paged) {
  Tensor& t = tensors_.at(i);
  if (!t.allocated) allocate(t, st, paged);
  if (t.newer != Newer::host) return;
  for (int r = 0; r < st.rows; ++r) {
    backend_->upload(t.rows[r], st.row[r].data(), t.row_bytes);
    if (t.scales[r] != nullptr) backend_->upload(t.scales[r], st.absmax[r].data(), st.absmax[r].size() * sizeof(float));
    // The tables change only with the state's maps (initialization, a checkpoint): uploaded here,
    // never with a step.
    if (t.tables != nullptr) {
      const auto table = std::make_unique<kernels::DeviceCodeTable>();  // 34 KiB: not on the stack
      kernels::prepare_device_code_table(*st.table[r], *table);
      backend_->upload(t.tables + r, table.get(), sizeof(kernels::DeviceCodeTable));
    }
  }
  backend_->upload(t.compensation, st.compensation.data(), t.compensation_bytes);
  t.newer = Newer::same;
}

void DeviceStates::to_host(std::size_t i, ParamState& st, bool clips) {
  Tensor& t = tensors_.at(i);
  if (t.newer != Newer::device) return;
  for (int r = 0; r < t.rows_used; ++r) {
    backend_->download(st.row[r].data(), t.rows[r], t.row_bytes);
    if (t.scales[r] != nullptr) backend_->download(st.absmax[r].data(), t.scales[r], st.absmax[r].size() * sizeof(float));
  }
  backend_->download(st.compensation.data(), t.compensation, t.compensation_bytes);
  kernels::DeviceStepSlot slot;
  backend_->download(&slot, t.slot, sizeof slot);
  st.unorm = clips ? slot.unorm : 0.0f;
  t.newer = Newer::same;
}

void DeviceStates::step(std::size_t i, const ParamState& st, StepRequest r) {
  Tensor& t = tensors_.at(i);
  const bool quantized = format_codec(st.format).quantized;
  for (int k = 0; k < st.rows; ++k) {
    if (quantized) {
      r.state.codes[k] = static_cast<std::uint8_t*>(t.rows[k]);
      r.state.absmax[k] = t.scales[k];
      r.state.table[k] = &*st.table[k];  // the request's host tables are checked, the device's used
    } else {
      r.state.values[k] = static_cast<float*>(t.rows[k]);
    }
  }
  if (r.rounding == ParamRounding::compensated) r.compensation = t.compensation;
  if (t.paged) {
    for (int k = 0; k < st.rows; ++k) paging_.prefetch(t.rows[k]);
  }
  backend_->step(r, t.tables, t.slot);
  if (t.paged) paging_.enforce_budget();  // enqueued after the step: its moves wait for the kernels, not the host
  t.newer = Newer::device;
}

std::uint64_t DeviceStates::take_nonfinite(std::size_t i) {
  Tensor& t = tensors_.at(i);
  if (!t.allocated) return 0;
  unsigned long long count = 0;
  backend_->download(&count, &t.slot->nonfinite, sizeof count);
  const unsigned long long zero = 0;
  backend_->upload(&t.slot->nonfinite, &zero, sizeof zero);
  return count;
}

std::array<std::uint64_t, kMaxStateRows> DeviceStates::take_underflows(std::size_t i) {
  Tensor& t = tensors_.at(i);
  std::array<std::uint64_t, kMaxStateRows> out{};
  if (!t.allocated) return out;
  unsigned long long counts[kMaxStateRows] = {};
  backend_->download(counts, t.slot->underflows, sizeof counts);
  const unsigned long long zeros[kMaxStateRows] = {};
  backend_->upload(t.slot->underflows, zeros, sizeof zeros);
  for (int k = 0; k < kMaxStateRows; ++k) out[static_cast<std::size_t>(k)] = counts[k];
  return out;
}

std::size_t DeviceStates::resident_bytes(std::size_t i) const {
  const Tensor& t = tensors_.at(i);
  std::size_t bytes = 0;
  if (t.paged) {
    for (int r = 0; r < t.rows_used; ++r) bytes += paging_.resident_bytes(t.rows[r]);
  }
  return bytes;
}

}  // namespace bnb
