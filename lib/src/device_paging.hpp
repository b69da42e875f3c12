#pragma once
// Paged state on a device under a budget (issues 17 and 25, docs/gpu.md): the CPU arena's policy
// (paged_arena.hpp) over managed memory. Before a tensor's step its buffers are prefetched to the
// device; after it, buffers are advised to stay on the host and moved there, most recently used
// first, while the device-resident paged state exceeds the budget. Both moves are enqueued on the
// device's stream: nothing here waits for the device.
// Residency is the library's accounting of where each buffer was last sent (the driver does not
// migrate a prefetched page back on its own while the device has room: the run never asks for
// more managed memory than the device has free, device_states.cpp).
#include <cstddef>
#include <list>

#include "bnb/kernels/device_backend.hpp"
#include "bnb/paging_counters.hpp"

namespace bnb {

class DevicePaging {
 public:
  /// `budget_bytes`: device-resident paged state allowed between steps; 0 = unlimited.
  DevicePaging(kernels::DeviceBackend& backend, std::size_t budget_bytes) : backend_(backend), budget_(budget_bytes) {}

  /// A new managed buffer. Under a budget it is sent to the host at once (a fresh allocation's
  /// pages may sit on the device); without one it is counted where it is first prefetched.
  void add(void* data, std::size_t bytes);
  /// Sends the buffer to the device and marks it most recently used; counts a restore when it
  /// was on the host.
  void prefetch(void* data);
  /// Records the resident total as a peak candidate, then evicts buffers, most recently used
  /// first, until it is within the budget.
  void enforce_budget();

  std::size_t budget_bytes() const { return budget_; }
  void set_budget(std::size_t bytes) { budget_ = bytes; }
  /// Paged bytes on the device now, by this accounting; `data`: of that buffer only.
  std::size_t resident_bytes() const;
  std::size_t resident_bytes(const void* data) const;
  /// Managed bytes of every buffer, wherever it is.
  std::size_t managed_bytes() const;

  const PagingCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  struct Buffer {
    void* data;
    std::size_t bytes;
    bool on_device;
  };
  std::list<Buffer>::iterator find(const void* data);

  kernels::DeviceBackend& backend_;
  std::size_t budget_;
  std::list<Buffer> buffers_;  // most recently used at the back
  PagingCounters counters_;
};

}  // namespace bnb
