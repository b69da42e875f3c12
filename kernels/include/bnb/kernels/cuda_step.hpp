#pragma once
// The CUDA backend (issue 9): one optimizer step of one tensor on a GPU, device discovery for the
// CLI's machine context, and RAII owners of the CUDA resources a caller needs (streams, device and
// managed memory). Plain C++: no CUDA header is needed to include this, and a build without CUDA
// links a stub where every entry point reports "this build has no CUDA" (docs/cuda.md).
//
// The launch geometry and the kernel-argument packing are pure host functions declared here so
// that the host test (tests/unit/cuda_host_test.cpp) checks them on machines without a GPU.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "bnb/kernels/code_buckets.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/step_request.hpp"

struct CUstream_st;  // the CUDA runtime's stream type: cudaStream_t is CUstream_st*

namespace bnb::kernels::cuda {

using StreamHandle = CUstream_st*;  // == cudaStream_t; nullptr is the legacy default stream

/// A CUDA call failed, or CUDA is unavailable. The message names the call and the CUDA error.
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Discovery

/// Whether this binary contains the CUDA kernels.
bool built_with_cuda() noexcept;

/// True when a CUDA device can run the kernels. Otherwise false, and *why (if given) says why:
/// "this build has no CUDA" or "no CUDA device: <cudaGetErrorString>".
bool cuda_available(std::string* why = nullptr);

/// What the tool records about the device in its machine context.
struct DeviceDescription {
  int index = 0;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  int driver_version = 0;   // CUDA encoding: 1000*major + 10*minor (13000 = 13.0)
  int runtime_version = 0;
  std::size_t total_memory = 0;  // bytes
  int multiprocessors = 0;
  bool concurrent_managed_access = false;  // managed memory can be prefetched (SPEC.md §7)
};

/// Describes device `index`. Throws CudaError when it does not exist or CUDA is unavailable.
DeviceDescription describe_device(int index = 0);

/// "13.0" from 13000.
std::string cuda_version_string(int version);

// ---------------------------------------------------------------------------------------------
// Resources (move-only owners; destructors never throw, release errors are dropped)

/// A non-blocking CUDA stream on the current device.
class Stream {
 public:
  Stream();  // throws CudaError
  ~Stream();
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  StreamHandle get() const noexcept { return stream_; }
  void synchronize() const;  // throws CudaError naming the failed work

 private:
  StreamHandle stream_ = nullptr;
};

/// Device memory (cudaMalloc). The copies are synchronous; they exist for tests and set-up.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes);  // throws CudaError
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }
  void upload(const void* host, std::size_t bytes);
  void download(void* host, std::size_t bytes) const;

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Managed memory (cudaMallocManaged) for paged state (SPEC.md §7): the driver may evict its
/// pages from the device; prefetch() brings them back before a tensor's step. Host-accessible.
class ManagedBuffer {
 public:
  ManagedBuffer() = default;
  explicit ManagedBuffer(std::size_t bytes);  // throws CudaError
  ~ManagedBuffer();
  ManagedBuffer(ManagedBuffer&& other) noexcept;
  ManagedBuffer& operator=(ManagedBuffer&& other) noexcept;
  ManagedBuffer(const ManagedBuffer&) = delete;
  ManagedBuffer& operator=(const ManagedBuffer&) = delete;
  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }
  /// Prefetches the pages to the current device on `stream` when the device supports concurrent
  /// managed access; returns whether it did (otherwise the pages migrate on demand).
  bool prefetch(StreamHandle stream) const;

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Bytes currently allocated through ManagedBuffer in this process (for the run report).
std::size_t managed_bytes_in_use() noexcept;

// ---------------------------------------------------------------------------------------------
// The step

/// Reusable device scratch of cuda_step (pre-pass partial sums, step scalars, quant tables,
/// the non-finite counter) and a pinned read-back area. One per stream; grows as needed.
class StepWorkspace {
 public:
  StepWorkspace();
  ~StepWorkspace();
  StepWorkspace(StepWorkspace&&) noexcept;
  StepWorkspace& operator=(StepWorkspace&&) noexcept;
  StepWorkspace(const StepWorkspace&) = delete;
  StepWorkspace& operator=(const StepWorkspace&) = delete;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// One step of one tensor on the GPU, the same computation as cpu_step (bit for bit: the same
/// per-element functions, no FMA contraction, IEEE division and sqrt, the fixed reduction order
/// of step_request.hpp). Every pointer in `r` (param, grad, state values/codes/absmax) is a
/// device or managed pointer; `r.state.table[k]` points to a QuantTable in HOST memory (it is
/// copied to the device with the step). Every launch goes to `stream`; the call returns once the
/// step has finished on the stream, because `report` (norms, non-finite count) comes from it.
/// Managed state buffers are prefetched to the device first (SPEC.md §7). Throws
/// std::invalid_argument for a malformed request and CudaError for a CUDA failure.
void cuda_step(const StepRequest& r, StepReport& report, StreamHandle stream, StepWorkspace& workspace);
void cuda_step(const StepRequest& r, StepReport& report, StreamHandle stream);  // temporary workspace

// ---------------------------------------------------------------------------------------------
// Launch plan (pure host functions, no device needed)

/// Threads per thread block of every kernel, and the elements one pre-pass block reduces.
inline constexpr unsigned kThreadsPerBlock = 256;
static_assert(kThreadsPerBlock == kReductionBlock, "one pre-pass thread block per reduction chunk");

/// The largest grid dimension x CUDA accepts.
inline constexpr std::size_t kMaxGridX = 2147483647u;

struct LaunchGeometry {
  std::size_t grid = 0;               // thread blocks
  unsigned threads = 0;               // threads per block
  std::size_t elements_per_block = 0; // elements each thread block covers (the tail may be fewer)
  std::size_t shared_bytes = 0;       // dynamic shared memory per block
};

/// Elements each thread of the block-wise step kernel covers (fewer where 32 threads cover the
/// block, more where 256 do not).
inline constexpr std::size_t kStepElementsPerThread = 4;

/// The update kernel: one thread block per state block. Block-wise 8-bit: one block per
/// `block_size` elements (threads = block_size / kStepElementsPerThread within [32, 256], each
/// thread a strided share), with the new state rows staged in shared memory until the block's
/// absmax is known. 32-bit and tensor-wise 8-bit: one block per 256 elements, no staging.
LaunchGeometry step_geometry(StateFormat format, int rows, std::size_t n, std::size_t block_size);

/// The pre-pass (update norm, tensor-wise new max): one block per 256-element reduction chunk.
LaunchGeometry prepass_geometry(std::size_t n);

/// Results of the pre-pass, combined on the device in the fixed order (one thread block).
struct StepScalars {
  float unorm = 0.0f;
  float pnorm = 0.0f;
  float update_scale = 1.0f;
  float old_max[kMaxStateRows] = {};  // tensor-wise: the scale the codes were written with
  float new_max[kMaxStateRows] = {};  // tensor-wise: the scale the new codes use
};

/// What the step kernel needs of one row's map to encode besides the table itself, in the kernel
/// arguments so that it costs no load and no register per element (read from the table, the
/// code stores that may alias it for the compiler make it reload every field per element): the
/// bucket encoder's shape (words: the device copy's), the map's zero code and whether it decodes
/// to 0 (underflow_guard.hpp's underflowed()).
struct RowEncoder {
  BucketShape shape;
  std::uint8_t zero_code = 0;
  bool zero_is_zero = false;
};

/// Everything a kernel reads, packed once on the host and passed by value (no positional float
/// lists). Device pointers only.
struct KernelArgs {
  Algorithm algorithm = Algorithm::adam;
  StateFormat format = StateFormat::fp32;
  ClipRule clip = ClipRule::none;           // the algorithm's clip rule (the finalizer reads it)
  bool per_tensor_scale = false;            // the codec keeps one scale per row (pre-pass max)
  int rows = 0;                             // state rows of the algorithm
  std::size_t n = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  float* values[kMaxStateRows] = {};        // 32-bit state rows
  std::uint8_t* codes[kMaxStateRows] = {};  // 8-bit codes
  float* absmax[kMaxStateRows] = {};        // block-wise: per block; tensor-wise: [0]
  const DeviceCodeTable* tables = nullptr;  // device copy, one per row (8-bit only)
  RowEncoder encoders[kMaxStateRows] = {};  // 8-bit: per row, from the host's maps
  std::size_t block_size = kDefaultBlockSize;
  StepConstants constants{};
  float gnorm_scale = 1.0f;
  float max_unorm = 0.0f;
  bool clips = false;                       // update-norm clipping is on for this step
  StepScalars* scalars = nullptr;           // pre-pass results; null: scale 1, no tensor-wise max
  float* unorm_part = nullptr;              // per reduction chunk
  float* pnorm_part = nullptr;
  float* max_part = nullptr;                // per chunk and row: [chunk * rows + row]
  unsigned long long* nonfinite = nullptr;  // non-finite gradient count of the step
  ParamRounding rounding = ParamRounding::nearest;  // 16-bit parameters (param_rounding.hpp)
  RoundingKey rounding_key{};
  void* compensation = nullptr;             // compensated 16-bit parameters: n values of T
  UnderflowGuard underflow_guard = UnderflowGuard::off;
  RoundingKey state_rounding_key{};          // drop_momentum_unstall (underflow_guard.hpp)
  std::size_t first_element = 0;             // the index of element 0 in the whole tensor
  unsigned long long* underflows = nullptr;  // 8-bit: per row (StepReport::underflows)
};
static_assert(std::is_trivially_copyable_v<KernelArgs>, "kernel arguments are copied to the device by value");
static_assert(std::is_trivially_copyable_v<StepScalars>);

/// Scratch pointers of one step (from the workspace, or null when a pass is not needed).
struct ScratchPointers {
  const DeviceCodeTable* tables = nullptr;
  StepScalars* scalars = nullptr;
  float* unorm_part = nullptr;
  float* pnorm_part = nullptr;
  float* max_part = nullptr;
  unsigned long long* nonfinite = nullptr;
  unsigned long long* underflows = nullptr;  // kMaxStateRows counters
};

/// Whether a step needs the pre-pass: the algorithm clips its update norm and max_unorm > 0, or
/// the state is tensor-wise 8-bit (its new max must be known before any code is written).
bool needs_prepass(const StepRequest& r);

/// Checks the request (sizes, pointers, rows, block size) and packs the kernel arguments.
/// Throws std::invalid_argument naming the offending field.
KernelArgs pack_kernel_args(const StepRequest& r, const ScratchPointers& scratch);

}  // namespace bnb::kernels::cuda
