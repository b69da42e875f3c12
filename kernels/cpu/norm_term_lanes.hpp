#pragma once
// The update-norm terms of LAMB and LARS, 8 elements at a time (AVX2 and AVX-512 variants; the
// 8 lanes are the 8 reduction lanes of step_request.hpp, so a vector of terms adds into the
// chunk's lane sums as it is): the fp32 operations of Adam::unorm_term / update_states and
// Momentum::unorm_term / update_states in the same order in every lane, so terms and new states
// are the scalar functions' bit for bit (cpu_variants_test, clip_step_test).
// Why explicit vectors: GCC's loop over the per-element functions stored the terms in two stack
// arrays and summed them after the loop (two serial chains of 32 additions per 256-element
// chunk); here the sums run inside the loop, in registers: pass 1 of the clipping step -6 to -7%
// (results/perf/round8/lamb_lars.md, which also says why the rest of LAMB's gap is its reads).
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "bnb/kernels/algorithms/adam.hpp"
#include "bnb/kernels/algorithms/momentum.hpp"
#include "bnb/kernels/step_request.hpp"
#include "step_loops.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define BNB_NORM_TERM_LANES 1
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

#if defined(BNB_NORM_TERM_LANES)
static_assert(kReductionLanes == 8, "one 256-bit vector of terms is one set of reduction lanes");

/// Whether A steps by Base's per-element rules (derived from it, none of them replaced).
template <class A, class Base>
consteval bool same_rules() {
  if constexpr (!std::is_base_of_v<Base, A>) {
    return false;
  } else {
    return &A::unorm_term == &Base::unorm_term && &A::update_states == &Base::update_states &&
           &A::skipped == &Base::skipped;
  }
}

/// The algorithms whose norm terms have a vector form here (LAMB, LARS).
template <class A>
inline constexpr bool kAdamTerms = same_rules<A, Adam>();
template <class A>
inline constexpr bool kMomentumTerms = same_rules<A, Momentum>();
template <class A>
inline constexpr bool kHasTermLanes = kAdamTerms<A> || kMomentumTerms<A>;

/// Per-step constants broadcast once, and the lane form of the algorithm's norm term and new
/// states. step() returns the term (0 where skip_zeros skips the element) and leaves in s the
/// states the element stores (the old ones where it is skipped).
template <class A, bool kSkipZeros, bool kDecay>
struct TermLanes {
  __m256 beta1, omb1, beta2, omb2, inv_c1, inv_c2_squared, eps, weight_decay, first;

  explicit TermLanes(const StepConstants& c)
      : beta1(_mm256_set1_ps(c.beta1)),
        omb1(_mm256_set1_ps(c.one_minus_beta1)),
        beta2(_mm256_set1_ps(c.beta2)),
        omb2(_mm256_set1_ps(c.one_minus_beta2)),
        inv_c1(_mm256_set1_ps(c.inv_c1)),
        inv_c2_squared(_mm256_set1_ps(c.inv_c2_squared)),
        eps(_mm256_set1_ps(c.eps)),
        weight_decay(_mm256_set1_ps(c.weight_decay)),
        first(_mm256_castsi256_ps(_mm256_set1_epi32(c.first_step ? -1 : 0))) {}

  [[gnu::always_inline]] __m256 step(__m256 g, __m256 p, __m256* s) const {
    if constexpr (kAdamTerms<A>) {
      // Adam::unorm_term and update_states: the same m and v.
      const __m256 m = _mm256_add_ps(_mm256_mul_ps(beta1, s[0]), _mm256_mul_ps(omb1, g));
      const __m256 v = _mm256_add_ps(_mm256_mul_ps(beta2, s[1]), _mm256_mul_ps(omb2, _mm256_mul_ps(g, g)));
      const __m256 r =
          _mm256_div_ps(_mm256_mul_ps(m, inv_c1), _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(v, inv_c2_squared)), eps));
      const __m256 term = _mm256_mul_ps(r, r);
      if constexpr (kSkipZeros) {
        const __m256 skip = _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_EQ_OQ);
        s[0] = _mm256_blendv_ps(m, s[0], skip);
        s[1] = _mm256_blendv_ps(v, s[1], skip);
        return _mm256_andnot_ps(skip, term);
      } else {
        s[0] = m;
        s[1] = v;
        return term;
      }
    } else {
      // Momentum::unorm_term (the buffer without weight decay) and update_states (with it).
      const __m256 decayed = kDecay ? _mm256_add_ps(g, _mm256_mul_ps(weight_decay, p)) : g;
      const __m256 old = _mm256_mul_ps(beta1, s[0]);
      const __m256 m = _mm256_blendv_ps(_mm256_add_ps(old, g), g, first);
      const __m256 term = _mm256_mul_ps(m, m);
      const __m256 next = kDecay ? _mm256_blendv_ps(_mm256_add_ps(old, decayed), decayed, first) : m;
      if constexpr (kSkipZeros) {
        const __m256 skip = _mm256_cmp_ps(decayed, _mm256_setzero_ps(), _CMP_EQ_OQ);
        s[0] = _mm256_blendv_ps(next, s[0], skip);
        return _mm256_andnot_ps(skip, term);
      } else {
        s[0] = next;
        return term;
      }
    }
  }
};

/// The two lane sums of a chunk (update-norm and parameter-norm terms) and its count of
/// non-finite gradients, accumulated a vector at a time in the fixed order of step_request.hpp.
struct LaneSums {
  __m256 unorm = _mm256_setzero_ps();
  __m256 pnorm = _mm256_setzero_ps();
  __m256i bad = _mm256_setzero_si256();

  [[gnu::always_inline]] void add(__m256 uterm, __m256 p, __m256 g) {
    unorm = _mm256_add_ps(unorm, uterm);
    pnorm = _mm256_add_ps(pnorm, _mm256_mul_ps(p, p));
    bad = _mm256_sub_epi32(bad, _mm256_castps_si256(nonfinite(g)));  // a true lane is -1
  }
  /// !(|g| <= FLT_MAX): Inf and NaN lanes (is_finite in step_loops.hpp) all ones.
  [[gnu::always_inline]] static __m256 nonfinite(__m256 g) {
    const __m256 abs_g = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
    return _mm256_cmp_ps(abs_g, _mm256_set1_ps(3.40282347e38f), _CMP_NLE_UQ);
  }
  std::uint32_t bad_count() const {
    alignas(32) std::uint32_t b[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(b), bad);
    std::uint32_t n = 0;
    for (const std::uint32_t x : b) n += x;
    return n;
  }
};
#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
