#pragma once
// The clipping step (LAMB, LARS) with fp32 parameters and fp32 state, in two passes that move
// fewer bytes than tensor_step's pre-pass + update (which reads every stream twice):
//   pass 1, per reduction chunk: the update-norm and parameter-norm terms from the old states,
//     as the pre-pass computes them, and the new states, stored in place (they do not depend
//     on the clip scale);
//   pass 2, per block: the new parameters from the new states and the clip scale.
// Bytes per element: LAMB 44 -> 40, LARS 32 -> 28 (plus the write-allocate reads of the stored
// lines: 56 -> 52, 40 -> 36). Bit-identical to the one-pass update: the algorithm's update() is
// skipped(), update_states() and update_param() (algorithms/adam.hpp, momentum.hpp), the norms
// are the same terms summed in the same fixed order, nothing else changes.
#include <omp.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "norm_term_lanes.hpp"
#include "pre_pass.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

/// Pass 1 over one reduction chunk: norm terms, new states in place, non-finite gradients
/// added to `nonfinite`. With AVX2/AVX-512, LAMB and LARS run their whole vectors through
/// norm_term_lanes.hpp (terms summed in registers); the rest, and the scalar variant, below.
/// 256-bit vectors (measured: 512-bit ones were slower, round 7 and round 8).
template <class A, bool kSkipZeros, bool kDecay>
BNB_PREFER_256_BIT_VECTORS ChunkPart state_pass_chunk(StepConstants c, const StepRequest& r, std::size_t begin,
                                                      std::size_t len, std::uint64_t& nonfinite) {
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  const float gnorm_scale = r.gnorm_scale;
  const float* __restrict grad = static_cast<const float*>(r.grad) + begin;
  const float* __restrict param = static_cast<const float*>(r.param) + begin;
  float* __restrict s0 = r.state.values[0] + begin;
  float* __restrict s1 = r.state.values[A::kRows > 1 ? 1 : 0] + begin;
  float uterm[kReductionBlock], pterm[kReductionBlock];
  std::uint32_t bad = 0;
  std::size_t i = 0;
#if defined(BNB_NORM_TERM_LANES)
  // Whole vectors in lanes (norm_term_lanes.hpp); the chunk's last len % 8 elements below, into
  // the same lane sums (element i adds into lane i % 8).
  float lane_u[kReductionLanes], lane_p[kReductionLanes];
  if constexpr (kHasTermLanes<A>) {
    const TermLanes<A, kSkipZeros, kDecay> lanes(c);
    const __m256 scale = _mm256_set1_ps(gnorm_scale);
    LaneSums sums;
    for (; i + kReductionLanes <= len; i += kReductionLanes) {
      const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(grad + i), scale);
      const __m256 p = _mm256_loadu_ps(param + i);
      __m256 s[2];
      s[0] = _mm256_loadu_ps(s0 + i);
      if constexpr (A::kRows > 1) s[1] = _mm256_loadu_ps(s1 + i);
      sums.add(lanes.step(g, p, s), p, g);
      _mm256_storeu_ps(s0 + i, s[0]);
      if constexpr (A::kRows > 1) _mm256_storeu_ps(s1 + i, s[1]);
    }
    _mm256_storeu_ps(lane_u, sums.unorm);
    _mm256_storeu_ps(lane_p, sums.pnorm);
    bad = sums.bad_count();
  }
#endif
  for (; i < len; ++i) {
    const float g = grad[i] * gnorm_scale;
    const float p = param[i];
    float s[A::kRows], sn[A::kRows];
    s[0] = s0[i];
    if constexpr (A::kRows > 1) s[1] = s1[i];
    uterm[i] = A::unorm_term(c, g, p, s);
    pterm[i] = p * p;
    bad += is_finite(g) ? 0u : 1u;
    for (int k = 0; k < A::kRows; ++k) sn[k] = s[k];
    A::update_states(c, g, p, sn);
    const bool keep = A::skipped(c, g, p);
    s0[i] = keep ? s[0] : sn[0];
    if constexpr (A::kRows > 1) s1[i] = keep ? s[1] : sn[1];
  }
  nonfinite += bad;
  ChunkPart part;
#if defined(BNB_NORM_TERM_LANES)
  if constexpr (kHasTermLanes<A>) {
    const std::size_t tail = len - len % kReductionLanes;
    part.unorm = chunk_sum_from(lane_u, uterm + tail, len - tail);
    part.pnorm = chunk_sum_from(lane_p, pterm + tail, len - tail);
    return part;
  }
#endif
  part.unorm = chunk_sum(uterm, len);
  part.pnorm = chunk_sum(pterm, len);
  return part;
}

/// Pass 2 over one block: the new parameters (a skipped element keeps its value).
template <class A, bool kSkipZeros, bool kDecay>
void param_pass_run(StepConstants c, const StepRequest& r, std::size_t begin, std::size_t len, float scale) {
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  const float gnorm_scale = r.gnorm_scale;
  const float* __restrict grad = static_cast<const float*>(r.grad) + begin;
  float* __restrict param = static_cast<float*>(r.param) + begin;
  const float* __restrict s0 = r.state.values[0] + begin;
  const float* __restrict s1 = r.state.values[A::kRows > 1 ? 1 : 0] + begin;
  for (std::size_t i = 0; i < len; ++i) {
    const float p = param[i];
    float s[A::kRows];
    s[0] = s0[i];
    if constexpr (A::kRows > 1) s[1] = s1[i];
    float pn = p;
    A::template update_param<VectorStorage<float>>(c, pn, s, scale);
    if constexpr (kSkipZeros) pn = A::skipped(c, grad[i] * gnorm_scale, p) ? p : pn;
    param[i] = pn;
  }
}

/// The whole clipping step of A (max_unorm > 0) on an fp32 tensor with fp32 state.
template <class A>
void clip_step(const StepRequest& r, StepReport& report) {
  static_assert(A::kRows <= 2, "pass 1 and 2 name at most two state rows");
  const std::size_t n = r.n;
  const StepConstants& c = r.constants;
  const std::size_t chunks = block_count(n, kReductionBlock);
  std::vector<ChunkPart> parts(chunks);
  std::uint64_t nonfinite = 0;
#pragma omp parallel for schedule(static) num_threads(r.threads) reduction(+ : nonfinite)
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    const std::size_t begin = ch * kReductionBlock;
    const std::size_t len = std::min(kReductionBlock, n - begin);
    parts[ch] = with_switches(c, [&]<bool kSkipZeros, bool kDecay>() {
      return state_pass_chunk<A, kSkipZeros, kDecay>(c, r, begin, len, nonfinite);
    });
  }
  const PrePass pre = fold_parts<A, StateFormat::fp32>(r, parts, true);
  report.unorm = static_cast<float>(std::sqrt(pre.unorm_sq));
  report.pnorm = static_cast<float>(std::sqrt(pre.pnorm_sq));
  const float scale = clip_scale(A::kClip, report.unorm, report.pnorm, r.max_unorm, c.eps);
  report.update_scale = scale;

  const std::size_t blocks = block_count(n, kMaxBlock);
#pragma omp parallel for schedule(static) num_threads(r.threads)
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t begin = b * kMaxBlock;
    const std::size_t len = std::min(kMaxBlock, n - begin);
    with_switches(c, [&]<bool kSkipZeros, bool kDecay>() {
      param_pass_run<A, kSkipZeros, kDecay>(c, r, begin, len, scale);
    });
  }
  report.nonfinite_grads = nonfinite;
  for (int k = 0; k < A::kRows; ++k) report.underflows[k] = 0;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
