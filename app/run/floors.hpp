#pragma once
// The roofline floors of a run (DESIGN.md §5), measured the way the entries are: one probe per
// access pattern and size in use, sampled once per round of the timing pass, interleaved with
// the entries' samples, so that floor and step see the same machine; the floor is the probe's
// best sample. Each floor says which memory level its arrays fit (a tensor that stays in cache
// gets a cache floor, not a DRAM one) and how noisy its own samples were.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "roofline.hpp"

namespace bnb::app {

/// One entry's use of one access pattern: the elements of its tensors that stream that way.
struct FloorUse {
  AccessPattern pattern;
  std::size_t elements = 0;
};

/// An entry's floor: ns per parameter (its patterns' best samples weighted by their elements),
/// the relative spread (iqr/median) of the noisiest probe, the memory level of the probe that
/// moves most bytes ("L1", "L2", "L3", "dram"), and the fewest samples of its probes.
struct EntryFloor {
  double ns_per_param = 0;
  double spread = 0;
  std::string memory_level;
  std::int64_t samples = 0;
};

class FloorSet {
 public:
  /// uses[k]: entry k's patterns. Probes are shared by entries with the same pattern and size;
  /// sizes beyond `max_elements` are measured at that size (they are DRAM-bound either way).
  FloorSet(const std::vector<std::vector<FloorUse>>& uses, int threads, std::size_t max_elements);

  /// One sample of every probe, each lasting about `sample_seconds` (several passes when short).
  void sample_round(double sample_seconds);

  EntryFloor floor_of(std::size_t entry) const;

 private:
  struct Probe {
    FloorProbe probe;
    std::string level;
    std::int64_t passes = 0;  // per sample, set by the first (warm-up) pass
    std::vector<double> samples;
  };
  std::vector<Probe> probes_;
  std::vector<std::vector<std::pair<std::size_t, FloorUse>>> uses_;  // entry -> (probe, use)
};

/// The memory level that holds `bytes` streamed by `threads` threads: the smallest data or
/// unified cache of /sys/devices/system/cpu/cpu0/cache whose capacity (private caches: one per
/// thread) holds them, else "dram".
std::string memory_level(std::size_t bytes, int threads);

}  // namespace bnb::app
