// The host side of one CUDA step: check the request, lay out the scratch, copy the quantization
// tables, launch pre-pass -> finalize -> step on the caller's stream, read the report back.
#include <cuda_runtime.h>

#include <array>
#include <cstring>
#include <utility>
#include <string>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "cuda_check.hpp"
#include "launchers.hpp"
#include "prefetch.hpp"
#include "step_workspace.hpp"

namespace bnb::kernels::cuda {
namespace {

constexpr std::size_t kAlign = 256;

constexpr std::size_t align_up(std::size_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

/// Byte offsets of the step's scratch areas, the same for the device and the pinned buffer
/// (the pinned one ends after the tables).
struct ScratchLayout {
  std::size_t results = 0;
  std::size_t tables = 0;
  std::size_t unorm_part = 0;
  std::size_t pnorm_part = 0;
  std::size_t max_part = 0;
  std::size_t pinned_bytes = 0;
  std::size_t device_bytes = 0;

  ScratchLayout(int rows, std::size_t chunks) {
    tables = align_up(sizeof(StepResults));
    unorm_part = align_up(tables + static_cast<std::size_t>(rows) * sizeof(DeviceCodeTable));
    pinned_bytes = unorm_part;
    pnorm_part = align_up(unorm_part + chunks * sizeof(float));
    max_part = align_up(pnorm_part + chunks * sizeof(float));
    device_bytes = align_up(max_part + chunks * static_cast<std::size_t>(rows) * sizeof(float));
  }
};

const char* dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "fp32";
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
  }
  return "?";
}

void require_device() {
  int device = 0;
  const cudaError_t e = cudaGetDevice(&device);
  int count = 0;
  const cudaError_t c = e == cudaSuccess ? cudaGetDeviceCount(&count) : e;
  if (c != cudaSuccess || count == 0) {
    static_cast<void>(cudaGetLastError());
    throw CudaError(std::string("cuda_step: no CUDA device: ") +
                    (c != cudaSuccess ? cudaGetErrorString(c) : "cudaGetDeviceCount found none"));
  }
}

bool is_managed(const void* p) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    return false;
  }
  return attributes.type == cudaMemoryTypeManaged;
}

/// SPEC.md §7: paged (managed) state is brought to the device before the tensor's step.
void prefetch_managed_state(const StepRequest& r, cudaStream_t stream) {
  for (int k = 0; k < r.state.rows && k < kMaxStateRows; ++k) {
    const FormatCodec& codec = format_codec(r.state.format);
    void* row = codec.quantized ? static_cast<void*>(r.state.codes[k]) : static_cast<void*>(r.state.values[k]);
    if (is_managed(row)) prefetch_managed(row, codec.row_bytes(r.n), stream);
  }
}

void check_launch(const char* kernel, const StepRequest& r) {
  check(cudaGetLastError(), std::string(kernel) + " launch (" + dtype_name(r.dtype) + ", " +
                                 std::string(format_codec(r.state.format).title) + ")");
}

}  // namespace

Launchers launchers_for(Algorithm algorithm, DType dtype, StateFormat format) {
  using ShardFn = Launchers (*)(Algorithm, DType, StateFormat);
  static constexpr auto kShards = []<int... S>(std::integer_sequence<int, S...>) {
    return std::array<ShardFn, sizeof...(S)>{&shard_launchers<S>...};
  }(std::make_integer_sequence<int, kLauncherShards>{});
  return kShards[static_cast<std::size_t>(algorithm) % kLauncherShards](algorithm, dtype, format);
}

StepWorkspace::StepWorkspace() : impl_(std::make_unique<Impl>()) {}
StepWorkspace::~StepWorkspace() = default;
StepWorkspace::StepWorkspace(StepWorkspace&&) noexcept = default;
StepWorkspace& StepWorkspace::operator=(StepWorkspace&&) noexcept = default;

void cuda_step(const StepRequest& r, StepReport& report, StreamHandle stream) {
  StepWorkspace workspace;
  cuda_step(r, report, stream, workspace);
}

void enqueue_step(const StepRequest& r, const DeviceCodeTable* device_tables, StepResults* results, cudaStream_t s,
                  StepWorkspace::Impl& w) {
  const int rows = state_rows(r.algorithm);
  const std::size_t chunks = block_count(r.n, kReductionBlock);
  const ScratchLayout layout(rows, chunks);
  w.reserve(layout.device_bytes, layout.pinned_bytes);
  auto* device = static_cast<unsigned char*>(w.device.data());
  ScratchPointers scratch;
  scratch.tables = device_tables;
  scratch.scalars = &results->scalars;
  scratch.nonfinite = &results->nonfinite;
  scratch.underflows = results->underflows;
  scratch.unorm_part = reinterpret_cast<float*>(device + layout.unorm_part);
  scratch.pnorm_part = reinterpret_cast<float*>(device + layout.pnorm_part);
  scratch.max_part = reinterpret_cast<float*>(device + layout.max_part);
  const KernelArgs args = pack_kernel_args(r, scratch);  // validates the request
  const Launchers launch = launchers_for(r.algorithm, r.dtype, r.state.format);
  if (launch.step == nullptr) {
    throw CudaError("cuda_step: " + std::string(algorithm_name(r.algorithm)) + " has no CUDA kernels for " +
                    std::string(format_codec(r.state.format).title) + " state (docs/four_bit.md); step it on the CPU");
  }
  prefetch_managed_state(r, s);
  const bool prepass = needs_prepass(r);
  if (prepass) {
    const LaunchGeometry g = prepass_geometry(r.n);
    if (launch.prepass == nullptr) throw CudaError("cuda_step: no pre-pass kernel for this combination");
    if (g.grid > 0) {
      launch.prepass(args, g, s);
      check_launch("pre-pass kernel", r);
    }
    launch_finalize(args, chunks, s);
    check_launch("finalize kernel", r);
  }
  const LaunchGeometry g = step_geometry(r.state.format, rows, r.n, r.state.block_size);
  if (g.grid > 0) {
    launch.step(args, g, s);
    check_launch("step kernel", r);
  }
}

void cuda_step(const StepRequest& r, StepReport& report, StreamHandle stream, StepWorkspace& workspace) {
  require_device();
  const int rows = state_rows(r.algorithm);
  const ScratchLayout layout(rows, block_count(r.n, kReductionBlock));
  StepWorkspace::Impl& w = workspace.impl();
  w.reserve(layout.device_bytes, layout.pinned_bytes);
  auto* device = static_cast<unsigned char*>(w.device.data());
  auto* pinned = static_cast<unsigned char*>(w.pinned.data());
  auto* results = reinterpret_cast<StepResults*>(device + layout.results);
  auto* tables = reinterpret_cast<DeviceCodeTable*>(device + layout.tables);
  cudaStream_t s = stream;
  check(cudaMemsetAsync(results, 0, sizeof(StepResults), s), "cudaMemsetAsync(step results)");
  if (format_codec(r.state.format).quantized) {
    for (int k = 0; k < rows && r.state.table[k] != nullptr; ++k) {
      prepare_device_code_table(*r.state.table[k], *reinterpret_cast<DeviceCodeTable*>(pinned + layout.tables + static_cast<std::size_t>(k) * sizeof(DeviceCodeTable)));
    }
    check(cudaMemcpyAsync(tables, pinned + layout.tables, static_cast<std::size_t>(rows) * sizeof(DeviceCodeTable),
                          cudaMemcpyHostToDevice, s),
          "cudaMemcpyAsync(quantization tables)");
  }
  enqueue_step(r, tables, results, s, w);
  const bool prepass = needs_prepass(r);
  const bool clips = clips_update_norm(r.algorithm) && r.max_unorm > 0.0f;
  check(cudaMemcpyAsync(pinned + layout.results, results, sizeof(StepResults), cudaMemcpyDeviceToHost, s),
        "cudaMemcpyAsync(step results)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize(after the step kernels)");

  StepResults out;
  std::memcpy(&out, pinned + layout.results, sizeof out);
  if (clips) {
    report.unorm = out.scalars.unorm;
    report.pnorm = out.scalars.pnorm;
  }
  report.update_scale = prepass ? out.scalars.update_scale : 1.0f;
  report.nonfinite_grads = out.nonfinite;
  for (int k = 0; k < kMaxStateRows; ++k) report.underflows[k] = out.underflows[k];
}

}  // namespace bnb::kernels::cuda
