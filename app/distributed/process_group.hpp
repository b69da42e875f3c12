#pragma once
// The processes of a sharded run (docs/distributed.md): MPI's world when the tool was built with
// MPI and started by mpirun (mpi_group.cpp), else none. The run loop (run/shards.hpp) sees only
// this interface, so it holds no MPI code. Every member is a collective: every rank calls it, in
// the same order.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "bnb/kernels/shard_fold.hpp"

namespace bnb::app {

class ProcessGroup : public ShardFold {
 public:
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }

  /// `all` holds every rank's part in rank order, part k `counts[k]` bytes; this rank's part is
  /// in place. On return every rank holds every part.
  virtual void all_gather_in_place(std::span<std::byte> all, std::span<const std::size_t> counts) const = 0;
  /// Every rank's `local` bytes concatenated in rank order, on rank 0 (empty elsewhere).
  virtual std::vector<std::byte> gather_to_root(std::span<const std::byte> local) const = 0;
  /// One value per rank, in rank order, on every rank.
  virtual std::vector<double> all_values(double local) const = 0;
  /// Rank 0's value on every rank.
  virtual int broadcast(int value) const = 0;

  /// Seconds this process spent in the group's collectives so far (communication, and waiting for
  /// the slower ranks).
  virtual double communication_seconds() const = 0;
  /// Ends every process of the group at once (after an error on this one).
  virtual void abort(int exit_code) const = 0;
};

/// The group this process was started in: nullptr when it was not started by mpirun (the
/// single-process run of today). Under mpirun the MPI module (mpi_group.cpp, a shared library
/// next to the tool) is loaded then, so a single-process run maps no MPI library at all.
/// ConfigError when mpirun started several processes of a build without MPI, or the module
/// cannot be loaded. Call once, first thing in main; the group lives until exit.
std::unique_ptr<ProcessGroup> join_process_group(int& argc, char**& argv);

/// Ends every process of the group at once after an error on one of them (the others would wait
/// in a collective forever); returns normally when there is no group.
void abort_group(const ProcessGroup* group, int exit_code);

}  // namespace bnb::app
