// The process group of a run started by mpirun: MPI's world (a duplicate of it, so nothing else
// shares its messages). Built only when CMake found MPI, as the shared module bnb_mpi that
// join_group.cpp loads under mpirun: the tool itself never links MPI.
#include <mpi.h>

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <stdexcept>

#include "process_group.hpp"

namespace bnb::app {
namespace {

using Clock = std::chrono::steady_clock;

int as_count(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error(fmt::format("a shard of {} bytes is beyond what one MPI message carries (2 GiB); "
                                        "use more ranks",
                                        bytes));
  }
  return static_cast<int>(bytes);
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(fmt::format("{} failed (MPI error {})", what, rc));
}

class MpiGroup final : public ProcessGroup {
 public:
  MpiGroup() {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiGroup() override {
    MPI_Comm_free(&comm_);
    MPI_Finalize();
  }
  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void in_shard_order(std::span<double> running, const std::function<void(std::span<double>)>& fold) const override {
    const int n = as_count(running.size());
    const int last = size_ - 1;
    {
      const Timed timed(*this);
      if (rank_ > 0) check(MPI_Recv(running.data(), n, MPI_DOUBLE, rank_ - 1, kFoldTag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
    }
    fold(running);
    const Timed timed(*this);
    if (rank_ < last) check(MPI_Send(running.data(), n, MPI_DOUBLE, rank_ + 1, kFoldTag, comm_), "MPI_Send");
    check(MPI_Bcast(running.data(), n, MPI_DOUBLE, last, comm_), "MPI_Bcast");
  }

  void all_gather_in_place(std::span<std::byte> all, std::span<const std::size_t> counts) const override {
    std::vector<int> sizes(counts.size()), offsets(counts.size());
    std::size_t offset = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      sizes[k] = as_count(counts[k]);
      offsets[k] = as_count(offset);
      offset += counts[k];
    }
    if (offset != all.size() || counts.size() != static_cast<std::size_t>(size_)) {
      throw std::logic_error("all_gather_in_place: the parts do not tile the buffer");
    }
    const Timed timed(*this);
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all.data(), sizes.data(), offsets.data(), MPI_BYTE, comm_),
          "MPI_Allgatherv");
  }

  std::vector<std::byte> gather_to_root(std::span<const std::byte> local) const override {
    const Timed timed(*this);
    const int mine = as_count(local.size());
    std::vector<int> sizes(static_cast<std::size_t>(size_)), offsets(sizes.size());
    check(MPI_Gather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm_), "MPI_Gather");
    std::vector<std::byte> all;
    if (rank_ == 0) {
      std::size_t total = 0;
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        offsets[k] = as_count(total);
        total += static_cast<std::size_t>(sizes[k]);
      }
      all.resize(total);
    }
    check(MPI_Gatherv(local.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0, comm_),
          "MPI_Gatherv");
    return all;
  }

  std::vector<double> all_values(double local) const override {
    const Timed timed(*this);
    std::vector<double> all(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&local, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, comm_), "MPI_Allgather");
    return all;
  }

  int broadcast(int value) const override {
    const Timed timed(*this);
    check(MPI_Bcast(&value, 1, MPI_INT, 0, comm_), "MPI_Bcast");
    return value;
  }

  double communication_seconds() const override { return seconds_; }

  void abort(int exit_code) const override {
    if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  }

 private:
  static constexpr int kFoldTag = 1;

  /// Adds the time of one collective to the communication time.
  class Timed {
   public:
    explicit Timed(const MpiGroup& g) : group_(g), start_(Clock::now()) {}
    ~Timed() { group_.seconds_ += std::chrono::duration<double>(Clock::now() - start_).count(); }
    Timed(const Timed&) = delete;
    Timed& operator=(const Timed&) = delete;

   private:
    const MpiGroup& group_;
    Clock::time_point start_;
  };

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  mutable double seconds_ = 0;
};

}  // namespace

}  // namespace bnb::app

/// The module's entry point (join_group.cpp): MPI_Init, then the world's group (owned by the caller).
extern "C" bnb::app::ProcessGroup* bnb_join_mpi_group(int* argc, char*** argv) {
  int provided = 0;
  // Only the main thread calls MPI; OpenMP threads run the kernels between the calls.
  bnb::app::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  return new bnb::app::MpiGroup();
}
