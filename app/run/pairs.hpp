#pragma once
// Entries of one run that differ only in state format (AdamW32bit and AdamW8bit with the same
// arguments, an 8-bit entry and its variant with 32-bit overrides): the pairs the user wants side
// by side, with the ratios that decide whether the smaller state is good enough.
#include <optional>
#include <string>
#include <vector>

#include "results.hpp"

namespace bnb::app {

struct StatePair {
  const EntryResult* wide = nullptr;    // the entry with the most state bytes of its group
  const EntryResult* narrow = nullptr;  // an entry with less state, otherwise configured the same
  double state_memory_ratio = 0;        // narrow / wide state bytes
  std::optional<double> error_ratio;    // narrow / wide error.param.rel_travel (both measured)
  std::optional<double> time_ratio;     // narrow / wide median step time (both timed)
};

/// Groups the entries whose configuration is the same once optim_bits, min_8bit_size, block_wise
/// and the resulting state formats are set aside; in each group, every entry with another state
/// format than the group's widest entry is paired with it. In entry order.
std::vector<StatePair> state_format_pairs(const RunResult& r);

/// The pairs as rows under `pair_header()`.
std::vector<std::string> pair_header();
std::vector<std::vector<std::string>> pair_rows(const std::vector<StatePair>& pairs);

/// "adam-8 vs adam-32: 8-bit state: 25% of the state memory, 1.6% off the exact path (32-bit:
/// 0.00005%), 1.4x the step time".
std::string pair_sentence(const StatePair& p);

}  // namespace bnb::app
