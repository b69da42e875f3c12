#pragma once
// The CUDA kernels on the CPU emulation of the CUDA execution model (kernels/cuda/emulation), for
// tests on machines without a GPU: EmulatedDevice is a DeviceBackend (device_backend.hpp) whose "device
// memory" is host memory and whose steps are those kernels, so the device run loop (the
// optimizer's device state, the runner's copies, timing, floors, dumps) runs end to end in CI.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/device_backend.hpp"
#include "bnb/kernels/algorithms/all.hpp"
#include "emulated_kernels.hpp"

namespace bnb::kernels::cuda {

// The read-back slot is the kernels' StepScalars followed by the non-finite counter.
static_assert(offsetof(DeviceStepSlot, update_scale) == offsetof(StepScalars, update_scale));
static_assert(offsetof(DeviceStepSlot, nonfinite) >= sizeof(StepScalars));

/// A DeviceBackend on the emulation: host memory stands in for device and managed memory; every
/// call is synchronous. Counts what the run loop asks of it, so tests can check the loop's
/// discipline (tables uploaded once, no download inside the timed steps).
class EmulatedDevice final : public DeviceBackend {
 public:
  static constexpr std::size_t kTotalBytes = std::size_t{64} << 20;  // small: the floor copies a quarter
  explicit EmulatedDevice(std::size_t total_bytes = kTotalBytes) : total_(total_bytes) {}

  std::size_t uploads = 0, downloads = 0, steps = 0, downloads_while_timing = 0;
  std::size_t table_uploads = 0;  // uploads of exactly one DeviceCodeTable
  std::size_t managed_allocations = 0;
  std::size_t prefetches_to_device = 0, evictions_to_host = 0;
  std::size_t peak_resident_managed = 0;  // managed bytes on the "device", measured at each step
  bool concurrent_managed_access = true;   // prefetch and advice are modelled (placement only)

  ~EmulatedDevice() override {
    for (auto& [p, a] : allocations_) std::free(p);
  }

  DeviceContext describe() override {
    DeviceContext c;
    c.backend = "emulation";
    c.name = "CPU emulation of the CUDA kernels";
    c.total_memory = total_;
    c.concurrent_managed_access = concurrent_managed_access;
    return c;
  }
  DeviceMemoryInfo memory_info() override {
    std::size_t used = 0;
    for (const auto& [p, a] : allocations_) used += a.managed && !a.prefetched ? 0 : a.bytes;  // managed: where it is
    return {total_ - std::min(used, total_), total_};
  }
  void* allocate(std::size_t bytes) override { return add(bytes, false); }
  void* allocate_managed(std::size_t bytes) override {
    ++managed_allocations;
    return add(bytes, true);
  }
  void release(void* p) noexcept override {
    if (p == nullptr) return;
    allocations_.erase(p);
    std::free(p);
  }
  std::size_t resident_bytes(const void* p, std::size_t bytes) override {
    const auto it = allocations_.find(const_cast<void*>(p));
    return it != allocations_.end() && it->second.managed && it->second.prefetched ? bytes : 0;
  }
  /// Managed bytes on the "device" now.
  std::size_t resident_managed() const {
    std::size_t resident = 0;
    for (const auto& [p, a] : allocations_) resident += a.managed && a.prefetched ? a.bytes : 0;
    return resident;
  }
  void prefetch_to_device(void* p, std::size_t) override {
    ++prefetches_to_device;
    managed(p).prefetched = true;
  }
  void evict_to_host(void* p, std::size_t) override {
    ++evictions_to_host;
    managed(p).prefetched = false;
  }
  void upload(void* device, const void* host, std::size_t bytes) override {
    ++uploads;
    if (bytes == sizeof(DeviceCodeTable)) ++table_uploads;
    std::memcpy(device, host, bytes);
  }
  void download(void* host, const void* device, std::size_t bytes) override {
    ++downloads;
    if (timing_) ++downloads_while_timing;
    std::memcpy(host, device, bytes);
  }
  void step(const StepRequest& r, const DeviceCodeTable* device_tables, DeviceStepSlot* slot) override {
    ++steps;
    for (int k = 0; k < r.state.rows; ++k) {  // cuda_step prefetches managed state rows
      for (void* row : {static_cast<void*>(r.state.values[k]), static_cast<void*>(r.state.codes[k])}) {
        const auto it = allocations_.find(row);
        if (it != allocations_.end() && it->second.managed) it->second.prefetched = true;
      }
    }
    peak_resident_managed = std::max(peak_resident_managed, resident_managed());
    const std::size_t chunks = block_count(r.n, kReductionBlock);
    const auto rows = static_cast<std::size_t>(state_rows(r.algorithm));
    unorm_.assign(chunks, 0.0f);
    pnorm_.assign(chunks, 0.0f);
    maxima_.assign(chunks * rows, 0.0f);
    ScratchPointers sp;
    sp.tables = device_tables;
    sp.scalars = reinterpret_cast<StepScalars*>(slot);
    sp.nonfinite = &slot->nonfinite;
    sp.underflows = slot->underflows;
    sp.unorm_part = unorm_.data();
    sp.pnorm_part = pnorm_.data();
    sp.max_part = maxima_.data();
    run_emulated_kernels(r, pack_kernel_args(r, sp), kDefaultFinalizeStage);
  }
  void synchronize() override {}
  void timer_start() override {
    timing_ = true;
    start_ = std::chrono::steady_clock::now();
  }
  double timer_stop() override {
    timing_ = false;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double copy_bandwidth_sample(std::size_t bytes) override {
    std::vector<unsigned char> a(bytes, 1), b(bytes);
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(b.data(), a.data(), bytes);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return s > 0 ? 2.0 * static_cast<double>(bytes) / s : 0.0;
  }

 private:
  struct Allocation {
    std::size_t bytes = 0;
    bool managed = false;
    bool prefetched = false;
  };
  Allocation& managed(void* p) {
    const auto it = allocations_.find(p);
    if (it == allocations_.end() || !it->second.managed) throw std::invalid_argument("not a managed allocation");
    return it->second;
  }
  void* add(std::size_t bytes, bool managed) {
    if (bytes == 0) return nullptr;
    void* p = std::calloc(1, (bytes + 15) / 16 * 16);
    if (p == nullptr) throw std::bad_alloc();
    allocations_[p] = {bytes, managed, false};
    return p;
  }
  std::size_t total_;
  std::map<void*, Allocation> allocations_;
  std::vector<float> unorm_, pnorm_, maxima_;
  bool timing_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bnb::kernels::cuda
