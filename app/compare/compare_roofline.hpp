#pragma once
// The machine-normalized speed verdict of `compare` (docs/compare.md, "Roofline fraction"): when
// two runs' raw step times cannot be compared (different machine contexts, or loads or spreads too
// different), an entry is judged by its step time relative to the memory-traffic floor measured in
// the same run (throughput.roofline_fraction = floor / median step time), with a tolerance derived
// from both runs' measured spreads.
#include "compare.hpp"
#include "results_reading.hpp"

namespace bnb::app {

/// A fraction above this says the floor was measured slower than the step itself: a disturbed
/// floor sample, not a result (docs/cli.md, "Timing method and the roofline").
inline constexpr double kRooflineDefect = 1.05;

/// The roofline verdict of one entry: verdict roofline_fraction with status slower/faster/same,
/// or verdict none with the reason in the note (fields not recorded, a defective floor, floors in
/// different memory levels). `ratio` is baseline fraction / candidate fraction: how many times
/// slower than its own floor the candidate runs, relative to the baseline.
TimeVerdict compare_roofline(const compare_detail::EntryReader& baseline, const compare_detail::EntryReader& candidate,
                             const CompareThresholds& t);

}  // namespace bnb::app
