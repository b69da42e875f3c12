#pragma once
// Percentile clipping (SPEC.md §6.1): a per-tensor ring of the last 100 squared gradient norms;
// the gradient is scaled down when its norm exceeds the given percentile of that history.
#include <cstdint>
#include <vector>

namespace bnb {

/// Records G = sum g^2 of step t (t >= 1; t == 1 fills every slot) in `history` (100 entries)
/// and returns gnorm_scale: clip/current when current = sqrt(G) exceeds
/// clip = sqrt(sorted(history)[percentile]), else 1. `percentile` in [1, 100), used as an index.
float percentile_gnorm_scale(std::vector<float>& history, float sum_squares, std::int64_t t, int percentile);

}  // namespace bnb
