// The time rule of `compare` (docs/compare.md): the Mann-Whitney rank test on the step-time
// samples plus a minimum effect on the medians.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "compare.hpp"
#include "results_reading.hpp"

namespace bnb::app {
namespace {

using compare_detail::median_of;

// Above this many samples per side (or with ties) the normal approximation is used: the exact
// distribution costs O((m n)^2) and the approximation is good to ~1e-3 there.
constexpr std::size_t kExactMaxSamples = 30;

}  // namespace

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return 1.0;
  // Ranks of the pooled samples, ties sharing their mean rank.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(m + n);
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end());
  const std::size_t total = m + n;
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < total;) {
    std::size_t j = i;
    while (j + 1 < total && pooled[j + 1].first == pooled[i].first) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    const double t = static_cast<double>(j - i + 1);
    if (j > i) ties = true;
    tie_term += t * t * t - t;
    for (std::size_t k = i; k <= j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += rank;
    }
    i = j + 1;
  }
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  const double u = rank_sum_a - md * (md + 1) / 2;  // pairs (a_i, b_j) with a_i > b_j, ties count 1/2
  if (!ties && m <= kExactMaxSamples && n <= kExactMaxSamples) {
    // Exact null distribution: ways[i][j][u] = ways[i-1][j][u-j] + ways[i][j-1][u] (the largest of
    // i + j values is either from a, beating all j values of b, or from b).
    const std::size_t umax = m * n;
    std::vector<std::vector<double>> prev(n + 1, std::vector<double>(umax + 1, 0.0));
    for (std::size_t j = 0; j <= n; ++j) prev[j][0] = 1;  // i = 0: U = 0 in one way
    for (std::size_t i = 1; i <= m; ++i) {
      std::vector<std::vector<double>> cur(n + 1, std::vector<double>(umax + 1, 0.0));
      cur[0][0] = 1;
      for (std::size_t j = 1; j <= n; ++j) {
        for (std::size_t k = 0; k <= i * j; ++k) {
          cur[j][k] = (k >= j ? prev[j][k - j] : 0.0) + cur[j - 1][k];
        }
      }
      prev = std::move(cur);
    }
    const std::vector<double>& ways = prev[n];
    double all = 0, below = 0, above = 0;
    const auto u_int = static_cast<std::size_t>(std::llround(u));
    for (std::size_t k = 0; k <= umax; ++k) {
      all += ways[k];
      if (k <= u_int) below += ways[k];
      if (k >= u_int) above += ways[k];
    }
    return std::min(1.0, 2.0 * std::min(below, above) / all);
  }
  const double nn = md + nd;
  const double var = md * nd / 12.0 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (var <= 0) return 1.0;  // every value equal
  const double z = std::max(0.0, std::abs(u - md * nd / 2) - 0.5) / std::sqrt(var);
  return std::erfc(z / std::sqrt(2.0));
}

TimeVerdict compare_time(const std::vector<double>& baseline, const std::vector<double>& candidate,
                         const CompareThresholds& t) {
  TimeVerdict v;
  v.baseline_samples = baseline.size();
  v.candidate_samples = candidate.size();
  if (baseline.empty() || candidate.empty()) {
    v.note = "no time samples recorded";
    return v;
  }
  v.verdict = SpeedVerdict::raw_time;
  v.baseline_median = median_of(baseline);
  v.candidate_median = median_of(candidate);
  v.ratio = v.baseline_median > 0 ? v.candidate_median / v.baseline_median : 1.0;
  v.p_value = mann_whitney_p(baseline, candidate);
  const bool significant = v.p_value < t.time_alpha;
  if (std::abs(v.ratio - 1) <= t.time_min_effect) {
    v.status = MetricStatus::same;
    v.note = fmt::format("median change within {:g}%", t.time_min_effect * 100);
  } else if (!significant) {
    v.status = MetricStatus::ambiguous;
    v.note = fmt::format("median changed by {:+.1f}% but p = {:.3g} >= {:g}: within the noise of {} vs {} samples",
                         (v.ratio - 1) * 100, v.p_value, t.time_alpha, v.baseline_samples, v.candidate_samples);
  } else {
    v.status = v.ratio > 1 ? MetricStatus::slower : MetricStatus::faster;
    v.note = fmt::format("median {:+.1f}%, p = {:.3g} < {:g}", (v.ratio - 1) * 100, v.p_value, t.time_alpha);
  }
  return v;
}

}  // namespace bnb::app
