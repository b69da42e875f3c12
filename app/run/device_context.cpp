// The device part of the machine context (issue 17).
#include "bnb/kernels/cuda_step.hpp"
#include "machine.hpp"

namespace bnb::app {

nlohmann::json device_context_json(const kernels::DeviceContext& d) {
  nlohmann::json j = {{"backend", d.backend},
                      {"name", d.name},
                      {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
                      {"memory_bytes", d.total_memory},
                      {"multiprocessors", d.multiprocessors},
                      {"driver_version", kernels::cuda::cuda_version_string(d.driver_version)},
                      {"runtime_version", kernels::cuda::cuda_version_string(d.runtime_version)},
                      {"concurrent_managed_access", d.concurrent_managed_access}};
  // Clocks where the driver reports them (0: not readable, left out).
  if (d.clock_khz > 0) j["clock_mhz"] = d.clock_khz / 1000;
  if (d.memory_clock_khz > 0) j["memory_clock_mhz"] = d.memory_clock_khz / 1000;
  if (d.memory_bus_bits > 0) j["memory_bus_bits"] = d.memory_bus_bits;
  return j;
}

}  // namespace bnb::app
