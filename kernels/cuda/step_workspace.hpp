#pragma once
// StepWorkspace's contents: device scratch and a pinned read-back area, grown on demand and kept
// between steps so that a step allocates nothing in the steady state.
#include <cstddef>

#include "bnb/kernels/cuda_step.hpp"
#include "pinned_buffer.hpp"

namespace bnb::kernels::cuda {

/// What one step reads back: the pre-pass scalars and the non-finite gradient count.
struct StepResults {
  StepScalars scalars;
  unsigned long long nonfinite = 0;
};

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

}  // namespace bnb::kernels::cuda
