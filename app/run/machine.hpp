#pragma once
// The machine a run happened on (DESIGN.md §3.2): CPU model, ISA variant in use, cores and
// threads, caches, measured memory bandwidth, and memory figures of this process.
#include <cstddef>
#include <nlohmann/json.hpp>

#include "bnb/kernels/device_backend.hpp"

namespace bnb::app {

/// CPU model, logical CPUs, caches, ISA variant, run threads; bandwidth measured when
/// `bandwidth_elements` > 0 (the 32-bit Adam streaming pattern over that many elements).
nlohmann::json machine_context(int threads, std::size_t bandwidth_elements);

/// The device of a device run (issue 17): name, compute capability, memory, driver and runtime
/// versions, clocks where readable (device_context.cpp).
nlohmann::json device_context_json(const kernels::DeviceContext& d);

/// MemAvailable of /proc/meminfo in bytes (0 when unknown).
std::size_t available_memory_bytes();

/// Peak resident set of this process (VmHWM), in bytes.
std::size_t peak_rss_bytes();

}  // namespace bnb::app
