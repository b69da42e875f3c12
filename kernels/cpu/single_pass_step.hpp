#pragma once
// The 8-bit step (map codes, a scale per block, fp32 tensors, AVX-512) for rows that encode
// with the decade encoder (decade_codec.hpp): per block, decode, then one pass that updates 16
// elements at a time and folds each new state row into its running absmax in registers, then
// the encode. tensor_step's sequence reads every new state row once more for block_abs_max.
// With VBMI the decode is inside that pass: each row's 64 codes per byte-plane look-up
// (byte_plane_codec.hpp) go to the update in registers, not through the block's buffer (Adam
// -5 to -15% CPU time at 1 thread, -7 to -8% at 2: results/perf/round12/registers_decode.md).
//
// Results are those of the sequential loop: the same decode, update (update_lanes of
// fused_block_step.hpp, i.e. update_element), encode_run and settle_block; the running absmax
// is block_abs_max's rule (m = vmaxps(|v|, m) skips NaNs; the maximum of non-NaN values does
// not depend on the order). The non-finite guard's selects and count run only for the 64
// elements that hold a non-finite gradient (round 14: they were ~6 of the update's ~21 vector
// operations per 16 elements). It steps the tensor's whole blocks without an underflow guard;
// the rest runs tensor_step's loop.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "block_abs_max.hpp"
#include "fused_block_step.hpp"
#include "state_runs.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

#if BNB_SIMD_CODEC_AVX512

/// The largest lane of m (no NaN lanes: they come from vmaxps(|v|, m) folds).
inline float fold_abs_max(__m512 m) {
  alignas(64) float lanes[16];  // through memory: see block_abs_max
  _mm512_store_ps(lanes, m);
  return fold_lanes(_mm256_max_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)));
}

/// update_lanes on states held in registers: s[k] holds row k's 16 states, the new ones after.
/// Through this function's own arrays, which nothing else can reach, so GCC keeps the states
/// in registers; through the block's buffer it reloaded them (a parameter store may alias it).
template <class A, bool kSkipZeros, bool kDecay, bool kGuard, bool kScaledGrad>
[[gnu::always_inline]] inline void update_registers(const StepConstants& c, const AdemamixDivisors& divisors,
                                                    const float* grad, float* param, __m512 (&s)[A::kRows],
                                                    float gnorm_scale, float scale, std::uint32_t* bad) {
  alignas(64) float lanes[A::kRows][kFusedLanes];
  for (int k = 0; k < A::kRows; ++k) _mm512_store_ps(lanes[k], s[k]);
  update_lanes<A, kSkipZeros, kDecay, kGuard, kScaledGrad>(c, divisors, grad, param, lanes[0],
                                                          lanes[A::kRows > 1 ? 1 : 0], lanes[A::kRows > 2 ? 2 : 0],
                                                          gnorm_scale, scale, bad);
  for (int k = 0; k < A::kRows; ++k) s[k] = _mm512_load_ps(lanes[k]);
}

template <class A, class Codec, bool kSkipZeros, bool kDecay>
void single_pass_blocks(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes,
                        float scale, std::size_t block, std::uint64_t& nonfinite_out, std::uint64_t* under_out) {
  constexpr int kRows = A::kRows;
  const std::size_t blocks = r.n / block;  // whole blocks
  float* param = static_cast<float*>(r.param);
  const float* grad = static_cast<const float*>(r.grad);
  std::uint64_t nonfinite = 0;
  std::uint64_t under[kMaxStateRows] = {};
#pragma omp parallel num_threads(r.threads) reduction(+ : nonfinite, under[:kMaxStateRows])
  {
    const StepConstants c = r.constants;  // this thread's own copy (fused_blocks says why)
    const float gnorm_scale = r.gnorm_scale;
    const float update_scale = scale;  // a local: the shared one was reloaded after every store
    const AdemamixDivisors divisors(c);
    const __m512 magnitude = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    alignas(64) float st[kRows][kMaxBlock];
    alignas(64) std::uint32_t bad[kFusedLanes] = {};
    float* s1 = st[kRows > 1 ? 1 : 0];
    float* s2 = st[kRows > 2 ? 2 : 0];
#if BNB_BYTE_PLANE_CODEC
    const __m512i order = plane_order_index();
    const BytePlanes* planes[kRows];
    for (int k = 0; k < kRows; ++k) planes[k] = &codecs.decoders[k]->planes();
#endif
#pragma omp for schedule(static)
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t begin = b * block;
      prefetch_block<A, float>(r, begin + kPrefetchAhead * block, block);
      __m512 m[kRows];
      for (int k = 0; k < kRows; ++k) m[k] = _mm512_setzero_ps();
#if BNB_BYTE_PLANE_CODEC
      if (block % 64 == 0) {  // each row's 64 codes decoded in registers, updated 16 at a time
        __m512 vscale[kRows];
        for (int k = 0; k < kRows; ++k) vscale[k] = _mm512_set1_ps(r.state.absmax[k][b]);
        for (std::size_t i = 0; i < block; i += 64) {
          __m512 v[kRows][4];
          for (int k = 0; k < kRows; ++k) decode_64_codes(*planes[k], r.state.codes[k] + begin + i, order, vscale[k], v[k]);
          const auto update_64 = [&]<bool kGuard, bool kScaledGrad>() {
            for (int q = 0; q < 4; ++q) {
              const std::size_t j = begin + i + 16 * q;
              __m512 s[kRows];
              for (int k = 0; k < kRows; ++k) s[k] = v[k][q];
              update_registers<A, kSkipZeros, kDecay, kGuard, kScaledGrad>(c, divisors, grad + j, param + j, s,
                                                                           gnorm_scale, update_scale, bad);
              for (int k = 0; k < kRows; ++k) {
                _mm512_store_ps(st[k] + i + 16 * q, s[k]);
                m[k] = _mm512_max_ps(_mm512_and_ps(s[k], magnitude), m[k]);
              }
            }
          };
          // The guard's selects and count only where a gradient is not finite (see update_lanes);
          // no multiplication by a gnorm_scale of 1 (the step without percentile clipping).
          if (gnorm_scale == 1.0f) {
            if (any_nonfinite<4, false>(grad + begin + i, gnorm_scale)) [[unlikely]] {
              update_64.template operator()<true, false>();
            } else {
              update_64.template operator()<false, false>();
            }
          } else if (any_nonfinite<4, true>(grad + begin + i, gnorm_scale)) [[unlikely]] {
            update_64.template operator()<true, true>();
          } else {
            update_64.template operator()<false, true>();
          }
        }
      } else
#endif
      {
        for (int k = 0; k < kRows; ++k) decode_state_run<Codec>(r.state, codecs, k, begin, block, st[k]);
        for (std::size_t i = 0; i < block; i += kFusedLanes) {
          update_lanes<A, kSkipZeros, kDecay>(c, divisors, grad + begin + i, param + begin + i, st[0] + i, s1 + i,
                                               s2 + i, gnorm_scale, update_scale, bad);
          for (int k = 0; k < kRows; ++k) {
            m[k] = _mm512_max_ps(_mm512_and_ps(_mm512_load_ps(st[k] + i), magnitude), m[k]);
          }
        }
      }
      for (int k = 0; k < kRows; ++k) {
        const float s = fold_abs_max(m[k]);
        r.state.absmax[k][b] = s;
        encode_run<true>(*codecs.encoders[k], *r.state.table[k], st[k], block, s, r.state.codes[k] + begin);
      }
      settle_block<A>(UnderflowGuard::off, zero_codes, r.state, st, begin, block, under);
    }
    for (std::uint32_t n : bad) nonfinite += n;
  }
  nonfinite_out += nonfinite;
  for (int k = 0; k < kMaxStateRows; ++k) under_out[k] += under[k];
}

#endif  // BNB_SIMD_CODEC_AVX512

/// The single-pass step over the tensor's whole blocks when it applies (see the header
/// comment); returns the number of blocks it stepped (0 when it does not apply).
template <class A, class T, class Codec>
std::size_t single_pass_step(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes,
                             float scale, std::size_t block, std::uint64_t& nonfinite, std::uint64_t* under) {
#if BNB_SIMD_CODEC_AVX512
  if constexpr (kWholeBlockFormat<T, Codec>) {
    if (!steps_whole_blocks(r, block)) return 0;
    for (int k = 0; k < A::kRows; ++k) {
      if (!codecs.encoders[k] || !codecs.encoders[k]->has_decade_codes()) return 0;
    }
    with_switches(r.constants, [&]<bool kSkipZeros, bool kDecay>() {
      single_pass_blocks<A, Codec, kSkipZeros, kDecay>(r, codecs, zero_codes, scale, block, nonfinite, under);
    });
    return r.n / block;
  }
#endif
  (void)r, (void)codecs, (void)zero_codes, (void)scale, (void)block, (void)nonfinite, (void)under;
  return 0;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
