#pragma once
// The device a run steps its tensors on (issue 17, `device: "cuda"`), as an interface: the CUDA
// runtime backs it in the product (kernels/cuda/cuda_backend.cpp), the CPU emulation of the same
// kernels backs it in the tests (tests/support/emulated_device.hpp), so that the host side of the
// device run loop (the optimizer's device state, the runner's copies, timing and floors) is tested
// on machines without a GPU. Plain C++: no CUDA header is needed to include this.
//
// Ordering: every call that touches device memory is ordered on one stream of the backend.
// upload() may return before the copy is done but the host buffer may be reused at once;
// download() returns once the bytes are on the host. step() only enqueues: nothing in a step
// waits for the device.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bnb/kernels/code_buckets.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/step_request.hpp"

namespace bnb::kernels {

/// What the tool records about the device in the results' machine context.
struct DeviceContext {
  std::string backend;            // "cuda", or "emulation" in the tests
  std::string name;
  int compute_major = 0, compute_minor = 0;
  std::size_t total_memory = 0;   // bytes
  int multiprocessors = 0;
  int driver_version = 0;         // CUDA encoding: 1000*major + 10*minor
  int runtime_version = 0;
  int clock_khz = 0;              // 0: not readable
  int memory_clock_khz = 0;
  int memory_bus_bits = 0;
  bool concurrent_managed_access = false;  // managed memory can be prefetched (SPEC.md §7)
};

struct DeviceMemoryInfo {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  std::size_t used_bytes() const { return total_bytes - free_bytes; }
};

/// One tensor's step read-back in device memory: the pre-pass scalars of its last step and the
/// non-finite gradients counted since the slot was last cleared (the kernels add to it).
struct DeviceStepSlot {
  float unorm = 0.0f;
  float pnorm = 0.0f;
  float update_scale = 1.0f;
  float reserved[2 * kMaxStateRows] = {};  // tensor-wise old/new maxima (the kernels' StepScalars)
  unsigned long long nonfinite = 0;
  unsigned long long underflows[kMaxStateRows] = {};  // 8-bit map codes, per row (not read back per step)
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;

  virtual DeviceContext describe() = 0;
  /// Free and total device memory now (cudaMemGetInfo).
  virtual DeviceMemoryInfo memory_info() = 0;

  /// Zeroed device memory; throws on failure. release(nullptr) is a no-op.
  virtual void* allocate(std::size_t bytes) = 0;
  /// Zeroed managed memory for paged state (SPEC.md §7): the driver may move its pages; the
  /// step prefetches them to the device. The caller checks memory_info() first.
  virtual void* allocate_managed(std::size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  /// Bytes of the managed range [p, p+bytes) last prefetched to the device (all or nothing).
  virtual std::size_t resident_bytes(const void* p, std::size_t bytes) = 0;
  /// Paging under a budget (docs/gpu.md; needs concurrent_managed_access): moves the managed range
  /// [p, p+bytes) to the device, or advises it to stay on the host (preferred location CPU) and
  /// moves it there. Both are enqueued after the work before them; neither waits.
  virtual void prefetch_to_device(void* p, std::size_t bytes) = 0;
  virtual void evict_to_host(void* p, std::size_t bytes) = 0;

  virtual void upload(void* device, const void* host, std::size_t bytes) = 0;
  virtual void download(void* host, const void* device, std::size_t bytes) = 0;

  /// Enqueues one step of one tensor. Every pointer of `r` is device (or managed) memory;
  /// `r.state.table` is ignored: `device_tables` holds the rows' maps with their bucket encoders
  /// in device memory (prepare_device_code_table, uploaded once per tensor). `slot` is a
  /// DeviceStepSlot in device memory.
  virtual void step(const StepRequest& r, const DeviceCodeTable* device_tables, DeviceStepSlot* slot) = 0;
  /// Waits for everything enqueued.
  virtual void synchronize() = 0;

  /// Device time of the work enqueued between timer_start() and timer_stop() (CUDA events);
  /// timer_stop() waits for it and returns seconds.
  virtual void timer_start() = 0;
  virtual double timer_stop() = 0;

  /// One sample of the device's copy bandwidth: a device-to-device copy kernel over `bytes`,
  /// in bytes moved (read + write) per second.
  virtual double copy_bandwidth_sample(std::size_t bytes) = 0;
};

/// The CUDA runtime's backend on the current device. Throws cuda::CudaError when CUDA is
/// unavailable (the stub of a build without CUDA always does).
std::shared_ptr<DeviceBackend> make_cuda_backend();

}  // namespace bnb::kernels
