#pragma once
// What paging cost so far, as a device-neutral record: the CPU arena (file-backed mappings) fills
// it today; a managed-memory path on a GPU would count its prefetches and host-advised bytes the
// same way, so callers measure paging without knowing where the state lives.
#include <cstddef>
#include <cstdint>

namespace bnb {

struct PagingCounters {
  std::uint64_t evicted_bytes = 0;   // written back and dropped from fast memory
  std::uint64_t restored_bytes = 0;  // brought back before a step (not resident when asked for)
  std::uint64_t evictions = 0;       // buffers dropped
  std::uint64_t restores = 0;        // buffers that had to be brought back (wholly or in part)
  std::size_t peak_resident_bytes = 0;  // largest resident paged state measured after a step
};

}  // namespace bnb
