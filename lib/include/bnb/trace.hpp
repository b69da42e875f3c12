#pragma once
// Recorded gradient traces (DESIGN.md §3.3), the input of `workload.kind = "replay"`: a tensor
// file holding, for each parameter NAME, its initial value `init/NAME` (shape S, dtype F32, F16
// or BF16) and its gradients `grad/NAME` (shape [steps, *S], the same dtype).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bnb/kernels/dtype.hpp"
#include "bnb/safetensors.hpp"

namespace bnb {

/// One parameter of a trace. `init` and `grads` are views into the trace's file buffer.
struct TraceParam {
  std::string name;                 // NAME, without the init/ or grad/ prefix
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;  // S
  std::size_t numel = 0;
  std::span<const std::byte> init;   // numel elements of dtype
  std::span<const std::byte> grads;  // steps * numel elements, step-major

  /// The gradient of step `step` (0-based): numel elements of dtype.
  std::span<const std::byte> grad(std::int64_t step) const;
};

/// A validated trace. Parameters are sorted by name; the views in `params` stay valid while this
/// Trace (or a copy) lives, since it shares the file's buffer.
struct Trace {
  std::vector<TraceParam> params;
  std::int64_t steps = 0;
  SafetensorsFile file;
};

/// Reads and validates a trace: every init/NAME has a grad/NAME and vice versa, grad shape is
/// [steps, *init shape] with the same dtype, the step count is the same for all parameters and
/// at least 1, there is at least one parameter and no other tensor. IoError if the file cannot be
/// read, DataError (naming the file and tensors) otherwise.
Trace load_trace(const std::string& path);
/// The same validation of an already read file.
Trace make_trace(SafetensorsFile file);

}  // namespace bnb
