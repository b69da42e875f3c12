// join_process_group of a build without MPI (CMake found none): always the single-process run;
// a launch of several processes is refused rather than run N times side by side.
#include <fmt/format.h>

#include "bnb/errors.hpp"
#include "launch_environment.hpp"
#include "process_group.hpp"

namespace bnb::app {

std::unique_ptr<ProcessGroup> join_process_group(int&, char**&) {
  if (const auto n = launched_process_count(); n && *n > 1) {
    throw ConfigError(fmt::format("started by mpirun as {} processes, but this bnb-bench was built without MPI; "
                                  "install libopenmpi-dev (scripts/setup.sh) and rebuild (docs/distributed.md)",
                                  *n));
  }
  return nullptr;
}

void abort_group(const ProcessGroup*, int) {}

}  // namespace bnb::app
