// The device run loop's backend on the CUDA runtime (device_backend.hpp): one non-blocking stream,
// the step workspace, event timing and the copy kernel of the roofline floor.
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "bnb/kernels/device_backend.hpp"
#include "copy_kernel.hpp"
#include "cuda_check.hpp"
#include "step_workspace.hpp"

namespace bnb::kernels::cuda {
namespace {

/// A CUDA event; destroyed with its owner.
class Event {
 public:
  Event() { check(cudaEventCreate(&event_), "cudaEventCreate"); }
  ~Event() { static_cast<void>(cudaEventDestroy(event_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

int attribute(cudaDeviceAttr a, int device) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, a, device) != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    return 0;  // not readable: reported as 0
  }
  return value;
}

class CudaBackend final : public DeviceBackend {
 public:
  CudaBackend() { check(cudaGetDevice(&device_), "cudaGetDevice"); }

  DeviceContext describe() override {
    const DeviceDescription d = describe_device(device_);
    DeviceContext c;
    c.backend = "cuda";
    c.name = d.name;
    c.compute_major = d.compute_major;
    c.compute_minor = d.compute_minor;
    c.total_memory = d.total_memory;
    c.multiprocessors = d.multiprocessors;
    c.driver_version = d.driver_version;
    c.runtime_version = d.runtime_version;
    c.concurrent_managed_access = d.concurrent_managed_access;
    c.clock_khz = attribute(cudaDevAttrClockRate, device_);
    c.memory_clock_khz = attribute(cudaDevAttrMemoryClockRate, device_);
    c.memory_bus_bits = attribute(cudaDevAttrGlobalMemoryBusWidth, device_);
    return c;
  }

  DeviceMemoryInfo memory_info() override {
    DeviceMemoryInfo m;
    check(cudaMemGetInfo(&m.free_bytes, &m.total_bytes), "cudaMemGetInfo");
    return m;
  }

  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    if (bytes == 0) return nullptr;
    check(cudaMalloc(&p, bytes), "cudaMalloc(" + std::to_string(bytes) + " bytes)");
    check(cudaMemsetAsync(p, 0, bytes, stream_.get()), "cudaMemsetAsync");
    return p;
  }

  void* allocate_managed(std::size_t bytes) override {
    void* p = nullptr;
    if (bytes == 0) return nullptr;
    check(cudaMallocManaged(&p, bytes, cudaMemAttachGlobal), "cudaMallocManaged(" + std::to_string(bytes) + " bytes)");
    check(cudaMemsetAsync(p, 0, bytes, stream_.get()), "cudaMemsetAsync(managed)");
    return p;
  }

  void release(void* p) noexcept override {
    if (p != nullptr) static_cast<void>(cudaFree(p));
  }

  std::size_t resident_bytes(const void* p, std::size_t bytes) override {
    if (p == nullptr || bytes == 0) return 0;
    int location = cudaInvalidDeviceId;
    if (cudaMemRangeGetAttribute(&location, sizeof location, cudaMemRangeAttributeLastPrefetchLocation, p, bytes) !=
        cudaSuccess) {
      static_cast<void>(cudaGetLastError());
      return 0;
    }
    return location == device_ ? bytes : 0;
  }

  void prefetch_to_device(void* p, std::size_t bytes) override {
    if (p == nullptr || bytes == 0) return;
    cudaMemLocation device{};
    device.type = cudaMemLocationTypeDevice;
    device.id = device_;
    check(cudaMemPrefetchAsync(p, bytes, device, 0, stream_.get()), "cudaMemPrefetchAsync(to the device)");
  }

  void evict_to_host(void* p, std::size_t bytes) override {
    if (p == nullptr || bytes == 0) return;
    cudaMemLocation host{};
    host.type = cudaMemLocationTypeHost;  // id ignored
    // Preferred location CPU: a page the device touches outside a prefetch is mapped, not migrated.
    check(cudaMemAdvise(p, bytes, cudaMemAdviseSetPreferredLocation, host), "cudaMemAdvise(preferred location host)");
    check(cudaMemPrefetchAsync(p, bytes, host, 0, stream_.get()), "cudaMemPrefetchAsync(to the host)");
  }

  void upload(void* device, const void* host, std::size_t bytes) override {
    // Pageable host memory: the copy is staged before the call returns, so the host buffer may be
    // reused at once (CUDA's documented behaviour for pageable cudaMemcpyAsync).
    if (bytes > 0) check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_.get()), "cudaMemcpyAsync(upload)");
  }

  void download(void* host, const void* device, std::size_t bytes) override {
    if (bytes == 0) return;
    check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_.get()), "cudaMemcpyAsync(download)");
    stream_.synchronize();
  }

  void step(const StepRequest& r, const DeviceCodeTable* device_tables, DeviceStepSlot* slot) override {
    enqueue_step(r, device_tables, reinterpret_cast<StepResults*>(slot), stream_.get(), workspace_.impl());
  }

  void synchronize() override { stream_.synchronize(); }

  void timer_start() override { check(cudaEventRecord(start_.get(), stream_.get()), "cudaEventRecord(start)"); }

  double timer_stop() override {
    check(cudaEventRecord(stop_.get(), stream_.get()), "cudaEventRecord(stop)");
    check(cudaEventSynchronize(stop_.get()), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start_.get(), stop_.get()), "cudaEventElapsedTime");
    return static_cast<double>(ms) * 1e-3;
  }

  double copy_bandwidth_sample(std::size_t bytes) override {
    const DeviceBuffer buffer(2 * bytes);  // freed after the sample: not counted as the run's memory
    auto* base = static_cast<unsigned char*>(buffer.data());
    launch_copy(base, base + bytes, bytes, stream_.get());  // warm: first touch, clocks up
    timer_start();
    launch_copy(base, base + bytes, bytes, stream_.get());
    check(cudaGetLastError(), "copy kernel launch");
    const double seconds = timer_stop();
    return seconds > 0 ? 2.0 * static_cast<double>(bytes) / seconds : 0.0;
  }

 private:
  int device_ = 0;
  Stream stream_;
  StepWorkspace workspace_;
  Event start_, stop_;
};

}  // namespace
}  // namespace bnb::kernels::cuda

namespace bnb::kernels {

std::shared_ptr<DeviceBackend> make_cuda_backend() {
  std::string why;
  if (!cuda::cuda_available(&why)) throw cuda::CudaError(why);
  return std::make_shared<cuda::CudaBackend>();
}

}  // namespace bnb::kernels
