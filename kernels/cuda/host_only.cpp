// The parts of the CUDA backend that need neither the CUDA toolkit nor a device: the launch plan
// and the packing of the kernel arguments. Compiled into every build so that the host test checks
// them on machines without a GPU.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "bnb/kernels/cuda_step.hpp"

namespace bnb::kernels::cuda {
namespace {

[[noreturn]] void reject(const std::string& what) { throw std::invalid_argument("cuda_step: " + what); }

void check_block_size(std::size_t block_size) {
  // The step kernel's block reduction needs whole warps and at most 256 threads striding evenly.
  const bool power_of_two = block_size != 0 && (block_size & (block_size - 1)) == 0;
  if (!power_of_two || block_size < 64 || block_size > 4096) {
    reject("block_size " + std::to_string(block_size) + " is not a power of two in [64, 4096]");
  }
}

std::size_t checked_grid(std::size_t n, std::size_t per_block) {
  const std::size_t grid = block_count(n, per_block);
  if (grid > kMaxGridX) reject("n = " + std::to_string(n) + " needs more thread blocks than CUDA allows");
  return grid;
}

}  // namespace

std::string cuda_version_string(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

LaunchGeometry step_geometry(StateFormat format, int rows, std::size_t n, std::size_t block_size) {
  LaunchGeometry g;
  if (format_codec(format).scale == ScaleKind::per_block) {
    check_block_size(block_size);
    g.elements_per_block = block_size;
    // kStepElementsPerThread elements a thread (at least one warp, at most 256 threads): a thread's
    // set-up, the block's absmax reductions and the epilogue are shared by that many elements
    // (one element a thread spent a third of the kernel's instructions there, results/gpu/kernel-8bit.md).
    const std::size_t threads = block_size / kStepElementsPerThread;
    g.threads = static_cast<unsigned>(threads < 32 ? 32 : threads > kThreadsPerBlock ? kThreadsPerBlock : threads);
    const std::size_t scratch_floats = kThreadsPerBlock / 32 + 1;
    g.shared_bytes = (scratch_floats + static_cast<std::size_t>(rows) * block_size) * sizeof(float);
  } else {
    g.elements_per_block = kThreadsPerBlock;
    g.threads = kThreadsPerBlock;
    g.shared_bytes = 0;
  }
  g.grid = checked_grid(n, g.elements_per_block);
  return g;
}

LaunchGeometry prepass_geometry(std::size_t n) {
  LaunchGeometry g;
  g.elements_per_block = kReductionBlock;
  g.threads = kThreadsPerBlock;
  g.grid = checked_grid(n, kReductionBlock);
  return g;
}

bool needs_prepass(const StepRequest& r) {
  return (clips_update_norm(r.algorithm) && r.max_unorm > 0.0f) ||
         format_codec(r.state.format).scale == ScaleKind::per_tensor;
}

KernelArgs pack_kernel_args(const StepRequest& r, const ScratchPointers& scratch) {
  const int rows = state_rows(r.algorithm);
  const std::string algo(algorithm_name(r.algorithm));
  if (r.state.rows != rows) {
    reject("state.rows is " + std::to_string(r.state.rows) + " but " + algo + " keeps " + std::to_string(rows));
  }
  if (r.n > 0 && (r.param == nullptr || r.grad == nullptr)) reject("param and grad must be device pointers");
  const FormatCodec& codec = format_codec(r.state.format);
  const std::string title = " (" + std::to_string(codec.element_bits) + "-bit state)";
  for (int k = 0; k < rows; ++k) {
    const std::string row = "state row " + std::to_string(k);
    if (!codec.quantized) {
      if (r.state.values[k] == nullptr) reject(row + ": values is null" + title);
    } else {
      if (r.state.codes[k] == nullptr) reject(row + ": codes is null" + title);
      if (r.state.absmax[k] == nullptr) reject(row + ": absmax is null" + title);
      if (r.state.table[k] == nullptr) reject(row + ": quantization table is null" + title);
    }
  }
  if (codec.scale == ScaleKind::per_block) check_block_size(r.state.block_size);
  const bool compensated = r.rounding == ParamRounding::compensated && r.dtype != DType::f32;
  if (compensated && r.n > 0 && r.compensation == nullptr) reject("compensation is null (param_rounding compensated)");

  KernelArgs a;
  a.algorithm = r.algorithm;
  a.format = r.state.format;
  a.clip = clip_rule(r.algorithm);
  a.per_tensor_scale = codec.scale == ScaleKind::per_tensor;
  a.rows = rows;
  a.n = r.n;
  a.param = r.param;
  a.grad = r.grad;
  for (int k = 0; k < rows; ++k) {
    a.values[k] = r.state.values[k];
    a.codes[k] = r.state.codes[k];
    a.absmax[k] = r.state.absmax[k];
  }
  a.tables = codec.quantized ? scratch.tables : nullptr;
  for (int k = 0; codec.quantized && k < rows; ++k) {
    const QuantTable& t = *r.state.table[k];
    RowEncoder& e = a.encoders[k];
    e.shape = host_bucket_shape(t);
    if (e.shape.per_sign > 0 && scratch.tables != nullptr) {
      // The address of the device copy's words (the pointer is not dereferenced on the host).
      e.shape.words = reinterpret_cast<const std::uint32_t*>(reinterpret_cast<std::uintptr_t>(scratch.tables + k) +
                                                             offsetof(DeviceCodeTable, buckets) + offsetof(CodeBuckets, words));
    }
    e.zero_code = t.zero_code;
    e.zero_is_zero = t.values[t.zero_code] == 0.0f;
  }
  a.block_size = codec.scale == ScaleKind::per_block ? r.state.block_size : kReductionBlock;
  a.constants = r.constants;
  a.gnorm_scale = r.gnorm_scale;
  a.max_unorm = r.max_unorm;
  a.clips = clips_update_norm(r.algorithm) && r.max_unorm > 0.0f;
  const bool prepass = needs_prepass(r);
  a.scalars = prepass ? scratch.scalars : nullptr;
  a.unorm_part = a.clips ? scratch.unorm_part : nullptr;
  a.pnorm_part = a.clips ? scratch.pnorm_part : nullptr;
  a.max_part = a.per_tensor_scale ? scratch.max_part : nullptr;
  a.nonfinite = scratch.nonfinite;
  a.rounding = r.dtype == DType::f32 ? ParamRounding::nearest : r.rounding;
  a.rounding_key = r.rounding_key;
  a.compensation = compensated ? r.compensation : nullptr;
  a.underflow_guard = r.underflow_guard;
  a.state_rounding_key = r.state_rounding_key;
  a.first_element = r.first_element;
  a.underflows = scratch.underflows;
  return a;
}

}  // namespace bnb::kernels::cuda
