// join_process_group: not started by mpirun, no group (nothing of MPI is loaded); started by
// mpirun, the MPI module built beside the tool (BNB_MPI_MODULE, mpi_group.cpp) is loaded and
// joined. A build without MPI refuses a launch of several processes rather than run N copies.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>

#include "bnb/errors.hpp"
#include "launch_environment.hpp"
#include "process_group.hpp"

namespace bnb::app {

std::unique_ptr<ProcessGroup> join_process_group(int& argc, char**& argv) {
  const auto launched = launched_process_count();
  if (!launched) return nullptr;
#ifdef BNB_MPI_MODULE
  // Global: Open MPI's own components, loaded later, resolve their symbols against libmpi.
  void* module = dlopen(BNB_MPI_MODULE, RTLD_NOW | RTLD_GLOBAL);
  if (!module) {
    throw ConfigError(fmt::format("started by mpirun, but the MPI module {} cannot be loaded: {}", BNB_MPI_MODULE,
                                  dlerror()));
  }
  ProcessGroup* (*join)(int*, char***) = nullptr;
  void* symbol = dlsym(module, "bnb_join_mpi_group");
  if (!symbol) throw ConfigError(fmt::format("{}: no bnb_join_mpi_group", BNB_MPI_MODULE));
  std::memcpy(&join, &symbol, sizeof join);
  return std::unique_ptr<ProcessGroup>(join(&argc, &argv));
#else
  (void)argc;
  (void)argv;
  if (*launched > 1) {
    throw ConfigError(fmt::format("started by mpirun as {} processes, but this bnb-bench was built without MPI; "
                                  "install libopenmpi-dev (scripts/setup.sh) and rebuild (docs/distributed.md)",
                                  *launched));
  }
  return nullptr;
#endif
}

void abort_group(const ProcessGroup* group, int exit_code) {
  if (group) group->abort(exit_code);
}

}  // namespace bnb::app
