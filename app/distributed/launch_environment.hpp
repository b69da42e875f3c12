#pragma once
// Whether mpirun (Open MPI, MPICH, Slurm's PMI) started this process, from the environment the
// launchers set: how a build without MPI recognises a launch it cannot serve.
#include <optional>

namespace bnb::app {

/// The number of processes the launcher started, nullopt when no launcher started this one.
std::optional<int> launched_process_count();

}  // namespace bnb::app
