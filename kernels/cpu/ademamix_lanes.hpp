#pragma once
// AdEMAMix's update of 16 elements with its two divisions by per-step constants (m1 / c1 and
// sqrt(nu) / c2) off the divider, for the fused 8-bit block loop (fused_block_step.hpp). Why:
// that loop is bound by the divider, and AdEMAMix's update (algorithms/ademamix.hpp) divides
// three times and takes a square root per element where Adam divides once (block-wise 8-bit
// AdEMAMix -3 to -6%: results/perf/round8/ademamix.md). Not used where the step is bound by
// memory (fp32 state, the tensor-wise loop): measured no faster there; nor by the decade
// encoder's single pass (single_pass_step.hpp), bound by its multiplies on Zen 4 (round 19).
//
// The same operations as update_element<AdEMAMix, Store, true> on each element: the new states
// (update_states), the two quotients by ExactQuotient512 (exact_quotient.hpp: the IEEE quotient
// in every lane; a vector with a lane outside its window takes vdivps for those lanes), the
// parameter from them (step_numerator, step_denominator, step_param), then the guard's select.
// Only how the quotients are computed changes, not their values: bit-identical to the scalar variant (cpu_variants_test).
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "exact_quotient.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

#if defined(__AVX512F__) && defined(__AVX512DQ__)

/// Whether A's fused update takes ademamix_lanes.
template <class A>
inline constexpr bool kQuotientLanes = std::is_base_of_v<AdEMAMix, A>;

inline constexpr std::size_t kLaneCount = 16;

/// The step's divisors, prepared once per loop (a division each).
struct AdemamixDivisors {
  ExactQuotient512 c1, c2;
  explicit AdemamixDivisors(const StepConstants& c) : c1(c.c1), c2(c.c2) {}
};

/// update_element<A, Store, true> on 16 elements (g = grad * gnorm_scale); counts the
/// non-finite gradients per lane in bad. kGuard false: every gradient is finite (the caller
/// checked), the guard's selects and count are left out; kScaledGrad false: gnorm_scale is 1.
template <class A, class Store, bool kGuard = true, bool kScaledGrad = true>
[[gnu::always_inline]] inline void ademamix_lanes(const StepConstants& c, const AdemamixDivisors& div,
                                                  const float* __restrict grad, float* __restrict param,
                                                  float* __restrict s0, float* __restrict s1, float* __restrict s2,
                                                  float gnorm_scale, std::uint32_t* __restrict bad) {
  alignas(64) float g[kLaneCount], m1[kLaneCount], m2[kLaneCount], nu[kLaneCount], root[kLaneCount];
  for (std::size_t i = 0; i < kLaneCount; ++i) {
    g[i] = kScaledGrad ? grad[i] * gnorm_scale : grad[i];
    float s[3] = {s0[i], s1[i], s2[i]};
    A::update_states(c, g[i], param[i], s);
    m1[i] = s[0];
    m2[i] = s[1];
    nu[i] = s[2];
    root[i] = sqrtf(s[2]);
  }
  alignas(64) float m1_hat[kLaneCount], root_hat[kLaneCount];
  _mm512_store_ps(m1_hat, div.c1.divide(_mm512_load_ps(m1)));
  _mm512_store_ps(root_hat, div.c2.divide(_mm512_load_ps(root)));
#pragma GCC ivdep  // param and the state rows are distinct arrays (GCC checked it at run time)
  for (std::size_t i = 0; i < kLaneCount; ++i) {
    float p = param[i];
    const float numerator = A::step_numerator(c, m1_hat[i], m2[i]);
    const float denominator = A::step_denominator(c, root_hat[i]);
    A::template step_param<Store>(c, p, numerator, denominator);
    const bool ok = !kGuard || is_finite(g[i]);
    if constexpr (kGuard) bad[i] += ok ? 0u : 1u;
    param[i] = ok ? p : param[i];
    s0[i] = ok ? m1[i] : 0.0f;
    s1[i] = ok ? m2[i] : 0.0f;
    s2[i] = ok ? nu[i] : 0.0f;
  }
}

#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
