#pragma once
// StepWorkspace's contents: device scratch and a pinned read-back area, grown on demand and kept
// between steps so that a step allocates nothing in the steady state.
#include <cstddef>

#include <cuda_runtime.h>

#include <cstddef>

#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/device_backend.hpp"
#include "pinned_buffer.hpp"

namespace bnb::kernels::cuda {

/// What one step reads back: the pre-pass scalars, the non-finite gradient count, the 8-bit
/// underflows per row.
struct StepResults {
  StepScalars scalars;
  unsigned long long nonfinite = 0;
  unsigned long long underflows[kMaxStateRows] = {};
};
// The device run loop's read-back slot (device_backend.hpp) is the same bytes.
static_assert(sizeof(StepResults) == sizeof(DeviceStepSlot));
static_assert(offsetof(StepResults, nonfinite) == offsetof(DeviceStepSlot, nonfinite));
static_assert(offsetof(StepResults, scalars) + offsetof(StepScalars, update_scale) == offsetof(DeviceStepSlot, update_scale));

struct StepWorkspace::Impl {
  DeviceBuffer device;
  PinnedBuffer pinned;

  void reserve(std::size_t device_bytes, std::size_t pinned_bytes) {
    if (device.bytes() < device_bytes) {
      device = DeviceBuffer();  // free first: peak memory stays at the larger of the two
      device = DeviceBuffer(device_bytes);
    }
    if (pinned.bytes() < pinned_bytes) {
      pinned = PinnedBuffer();
      pinned = PinnedBuffer(pinned_bytes);
    }
  }
};

/// Enqueues pre-pass, finalize and step of `r` on `s` with no host synchronisation: the tables
/// and the read-back `results` are device memory, the partial sums come from the workspace
/// (cuda_step.cpp). cuda_step() is this plus the table upload and the read-back.
void enqueue_step(const StepRequest& r, const DeviceCodeTable* device_tables, StepResults* results, cudaStream_t s,
                  StepWorkspace::Impl& w);

}  // namespace bnb::kernels::cuda
