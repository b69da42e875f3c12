#pragma once
// Paged optimizer state on the CPU (SPEC.md §7, Decision: real paging). Each paged buffer is a
// shared mapping of an unlinked temporary file. Before a tensor's step its buffers are prefetched;
// after it, buffers are written back and dropped from memory (and from the page cache) whenever
// the resident paged state exceeds the budget. The data survives in the file, so results are
// identical to heap state; only residency and time differ.
// Eviction takes the most recently used buffer first: an optimizer steps its tensors in a fixed
// cycle, so the buffer just used is the one needed again last (Belady's choice). Least recently
// used would drop each buffer just before its next use: every step would bring the whole paged
// state back, whatever the budget (measured in results/paging/).
// Residency is measured (mincore), never assumed: pages that a reader outside the steps faulted
// back in count against the budget like any other.
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>

#include "bnb/paging_counters.hpp"

namespace bnb {

struct PageFaults {
  std::int64_t minor = 0;
  std::int64_t major = 0;
};

/// Page faults of this process so far (getrusage).
PageFaults process_page_faults();

class PagedArena {
 public:
  /// `directory`: where the backing files are created ("" = $TMPDIR or /tmp). `budget_bytes`:
  /// resident paged state allowed between steps; 0 = unlimited (nothing is ever evicted).
  PagedArena(std::string directory, std::size_t budget_bytes);
  PagedArena(const PagedArena&) = delete;
  PagedArena& operator=(const PagedArena&) = delete;
  ~PagedArena();

  /// Maps `bytes` of zeroed, file-backed memory. Throws IoError when the file cannot be made.
  std::byte* allocate(std::size_t bytes);
  void release(std::byte* data) noexcept;

  /// Makes resident and marks most recently used; counts what had to be brought back.
  void prefetch(const std::byte* data);
  /// Records the resident total as a peak candidate, then evicts buffers, most recently used
  /// first, until it is within the budget.
  void enforce_budget();

  std::size_t budget_bytes() const { return budget_; }
  /// A new budget (0 = unlimited); takes effect at the next enforce_budget().
  void set_budget(std::size_t bytes) { budget_ = bytes; }
  /// Bytes of paged buffers resident in memory now, measured with mincore().
  std::size_t resident_bytes() const;
  /// Memory one buffer of `bytes` occupies here: whole pages.
  static std::size_t mapped_bytes(std::size_t bytes);

  const PagingCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  struct Mapping {
    std::byte* data;
    std::size_t bytes;
    std::size_t mapped;  // rounded up to the page size
    int fd;
  };
  static void drop(Mapping& m);
  static std::size_t resident_bytes(const Mapping& m);

  std::string directory_;
  std::size_t budget_;
  std::list<Mapping> mappings_;  // most recently used at the back
  PagingCounters counters_;
};

}  // namespace bnb
