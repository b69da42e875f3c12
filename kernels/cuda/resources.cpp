// Move-only owners of CUDA resources: streams, device memory, managed (paged) memory.
#include <cuda_runtime.h>

#include <atomic>
#include <string>
#include <utility>

#include "bnb/kernels/cuda_step.hpp"
#include "cuda_check.hpp"
#include "prefetch.hpp"

namespace bnb::kernels::cuda {
namespace {

std::atomic<std::size_t> g_managed_bytes{0};

}  // namespace

// --- Stream -----------------------------------------------------------------------------------

Stream::Stream() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  stream_ = s;
}

Stream::~Stream() {
  if (stream_ != nullptr) static_cast<void>(cudaStreamDestroy(stream_));
}

Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    Stream old(std::move(*this));
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void Stream::synchronize() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

// --- DeviceBuffer -----------------------------------------------------------------------------

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes > 0) check(cudaMalloc(&data_, bytes), "cudaMalloc(" + std::to_string(bytes) + " bytes)");
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) static_cast<void>(cudaFree(data_));
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    DeviceBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, std::size_t bytes) {
  if (bytes > bytes_) throw CudaError("DeviceBuffer::upload: " + std::to_string(bytes) + " bytes exceed the buffer");
  if (bytes > 0) check(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy(host to device)");
}

void DeviceBuffer::download(void* host, std::size_t bytes) const {
  if (bytes > bytes_) throw CudaError("DeviceBuffer::download: " + std::to_string(bytes) + " bytes exceed the buffer");
  if (bytes > 0) check(cudaMemcpy(host, data_, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy(device to host)");
}

// --- ManagedBuffer ----------------------------------------------------------------------------

ManagedBuffer::ManagedBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes > 0) {
    check(cudaMallocManaged(&data_, bytes, cudaMemAttachGlobal), "cudaMallocManaged(" + std::to_string(bytes) + " bytes)");
    g_managed_bytes += bytes;
  }
}

ManagedBuffer::~ManagedBuffer() {
  if (data_ != nullptr) {
    static_cast<void>(cudaFree(data_));
    g_managed_bytes -= bytes_;
  }
}

ManagedBuffer::ManagedBuffer(ManagedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

ManagedBuffer& ManagedBuffer::operator=(ManagedBuffer&& other) noexcept {
  if (this != &other) {
    ManagedBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool prefetch_managed(const void* data, std::size_t bytes, cudaStream_t stream) {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  int concurrent = 0;
  check(cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, device),
        "cudaDeviceGetAttribute(ConcurrentManagedAccess)");
  if (concurrent == 0) return false;  // pages migrate on demand instead
  cudaMemLocation location{};
  location.type = cudaMemLocationTypeDevice;
  location.id = device;
  check(cudaMemPrefetchAsync(data, bytes, location, 0, stream), "cudaMemPrefetchAsync");
  return true;
}

bool ManagedBuffer::prefetch(StreamHandle stream) const {
  if (data_ == nullptr) return false;
  return prefetch_managed(data_, bytes_, stream);
}

std::size_t managed_bytes_in_use() noexcept { return g_managed_bytes.load(); }

}  // namespace bnb::kernels::cuda
