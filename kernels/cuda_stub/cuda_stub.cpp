// The CUDA entry points of a build without CUDA (BNB_WITH_CUDA off): discovery says why CUDA is
// unavailable, and everything that would touch a device throws CudaError with that reason ("this build has no CUDA"), so
// the CLI can answer `device: "cuda"` with a clear message instead of a link error.
#include <string>
#include <utility>

#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/device_backend.hpp"

namespace bnb::kernels::cuda {
namespace {

constexpr const char* kReason = "this build has no CUDA";

[[noreturn]] void unavailable(const char* what) { throw CudaError(std::string(what) + ": " + kReason); }

}  // namespace

bool built_with_cuda() noexcept { return false; }

bool cuda_available(std::string* why) {
  if (why != nullptr) *why = kReason;
  return false;
}

DeviceDescription describe_device(int) { unavailable("describe_device"); }

Stream::Stream() { unavailable("Stream"); }
Stream::~Stream() = default;
Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
Stream& Stream::operator=(Stream&& other) noexcept {
  stream_ = std::exchange(other.stream_, nullptr);
  return *this;
}
void Stream::synchronize() const { unavailable("Stream::synchronize"); }

DeviceBuffer::DeviceBuffer(std::size_t) { unavailable("DeviceBuffer"); }
DeviceBuffer::~DeviceBuffer() = default;
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  data_ = std::exchange(other.data_, nullptr);
  bytes_ = std::exchange(other.bytes_, 0);
  return *this;
}
void DeviceBuffer::upload(const void*, std::size_t) { unavailable("DeviceBuffer::upload"); }
void DeviceBuffer::download(void*, std::size_t) const { unavailable("DeviceBuffer::download"); }

ManagedBuffer::ManagedBuffer(std::size_t) { unavailable("ManagedBuffer"); }
ManagedBuffer::~ManagedBuffer() = default;
ManagedBuffer::ManagedBuffer(ManagedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
ManagedBuffer& ManagedBuffer::operator=(ManagedBuffer&& other) noexcept {
  data_ = std::exchange(other.data_, nullptr);
  bytes_ = std::exchange(other.bytes_, 0);
  return *this;
}
bool ManagedBuffer::prefetch(StreamHandle) const { return false; }

std::size_t managed_bytes_in_use() noexcept { return 0; }

struct StepWorkspace::Impl {};
StepWorkspace::StepWorkspace() : impl_(std::make_unique<Impl>()) {}
StepWorkspace::~StepWorkspace() = default;
StepWorkspace::StepWorkspace(StepWorkspace&&) noexcept = default;
StepWorkspace& StepWorkspace::operator=(StepWorkspace&&) noexcept = default;

void cuda_step(const StepRequest&, StepReport&, StreamHandle, StepWorkspace&) { unavailable("cuda_step"); }
void cuda_step(const StepRequest&, StepReport&, StreamHandle) { unavailable("cuda_step"); }

}  // namespace bnb::kernels::cuda

namespace bnb::kernels {

std::shared_ptr<DeviceBackend> make_cuda_backend() { cuda::unavailable("make_cuda_backend"); }

}  // namespace bnb::kernels
