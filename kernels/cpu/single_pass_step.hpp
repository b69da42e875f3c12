#pragma once
// The 8-bit step (map codes, a scale per block, AVX-512) for rows that encode with the decade
// encoder (decade_codec.hpp): per block, decode, then one pass that updates 16
// elements at a time and folds each new state row into its running absmax in registers, then
// the encode. tensor_step's sequence reads every new state row once more for block_abs_max.
// With one scale per tensor (the pre-pass found the new one) the same pass, coded by that scale.
// With VBMI the decode is inside that pass: each row's 64 codes per byte-plane look-up
// (byte_plane_codec.hpp) go to the update in registers, not through the block's buffer (Adam
// -5 to -15% CPU time at 1 thread, -7 to -8% at 2: results/perf/round12/registers_decode.md).
// fp16 and bf16 tensors (rounding nearest) take it too, their gradients and parameters widened
// to fp32 lanes and the parameters rounded back as tensor_run does (tensor_lanes.hpp): in
// tensor_step's loop the 16-bit 8-bit step took 1.4x the fp32 one, here 1.0-1.1x without weight
// decay (round 16). With decoupled weight decay after the step (Adam's, AdEMAMix's) their
// parameter's rounding before the decay runs on the whole vector after the update, not inside it
// (F16C's two conversions, or AVX512_BF16's, against ~8 integer operations: round 17).
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

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/decay_identity.hpp"
#include "block_abs_max.hpp"
#include "fused_block_step.hpp"
#include "state_runs.hpp"
#include "step_loops.hpp"
#include "tensor_lanes.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

#if BNB_SIMD_CODEC_AVX512

/// The largest lane of m (no NaN lanes: they come from vmaxps(|v|, m) folds).
inline float fold_abs_max(__m512 m) {
  alignas(64) float lanes[16];  // through memory: see block_abs_max
  _mm512_store_ps(lanes, m);
  return fold_lanes(_mm256_max_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)));
}

/// AdEMAMix's divisions by c1 and c2 by vdivps here, not by ademamix_lanes.hpp's exact quotients:
/// this loop (the decade encoder's, AMD's automatic choice) is bound by its multiplies rather than
/// the divider on Zen 4, and the quotients' eight multiply-pipe operations per 16 elements cost more
/// than the two divisions (8-bit AdEMAMix -4.6% / -5.1% at 1 / 2 threads, results/perf/round19).
inline constexpr bool kSinglePassQuotients = false;

/// update_lanes on states held in registers: s[k] holds row k's 16 states, the new ones after.
/// Through this function's own arrays, which nothing else can reach, so GCC keeps the states
/// in registers; through the block's buffer it reloaded them (a parameter store may alias it).
template <class A, bool kSkipZeros, bool kDecay, bool kGuard, bool kScaledGrad, class Store>
[[gnu::always_inline]] inline void update_registers(const StepConstants& c, const AdemamixDivisors& divisors,
                                                    const float* grad, float* param, __m512 (&s)[A::kRows],
                                                    float gnorm_scale, float scale, std::uint32_t* bad) {
  alignas(64) float lanes[A::kRows][kFusedLanes];
  for (int k = 0; k < A::kRows; ++k) _mm512_store_ps(lanes[k], s[k]);
  update_lanes<A, kSkipZeros, kDecay, kGuard, kScaledGrad, Store, kSinglePassQuotients>(
      c, divisors, grad, param, lanes[0], lanes[A::kRows > 1 ? 1 : 0], lanes[A::kRows > 2 ? 2 : 0], gnorm_scale, scale,
      bad);
  for (int k = 0; k < A::kRows; ++k) s[k] = _mm512_load_ps(lanes[k]);
}

/// The same with the parameters p in registers too (a 16-bit tensor's, widened): the new ones in p
/// after. An fp32 tensor's are read and written in place.
template <class A, bool kSkipZeros, bool kDecay, bool kGuard, bool kScaledGrad, class Store>
[[gnu::always_inline]] inline void update_registers(const StepConstants& c, const AdemamixDivisors& divisors,
                                                    const float* grad, __m512& p, __m512 (&s)[A::kRows],
                                                    float gnorm_scale, float scale, std::uint32_t* bad) {
  alignas(64) float param[kFusedLanes];
  _mm512_store_ps(param, p);
  update_registers<A, kSkipZeros, kDecay, kGuard, kScaledGrad, Store>(c, divisors, grad, param, s, gnorm_scale, scale,
                                                                      bad);
  p = _mm512_load_ps(param);
}

/// encode_run of a block (kByAbsmax: coded by its own absmax), out of line: GCC's choice to inline
/// encode_run depends on its other callers, and inlined here it cost the fp32 step 1-5% (round 16).
template <bool kByAbsmax>
[[gnu::noinline]] void encode_block(const Encoder& e, const QuantTable& t, const float* x, std::size_t len, float scale,
                                    std::uint8_t* out) {
  encode_run<kByAbsmax>(e, t, x, len, scale, out);
}

/// The state this file's loop steps: 8-bit map codes with a scale per block, or one per tensor
/// (its new scale known from the pre-pass, so the blocks are coded by it and keep no absmax).
template <class Codec>
inline constexpr bool kSinglePassFormat = kBlockwiseMapCodes<Codec> ||
                                          (Codec::kScale == ScaleKind::per_tensor && Codec::kElementBits == 8 &&
                                           Codec::kCodes == CodeKind::map_index);

/// kLen gradients of a T tensor as floats: an fp32 tensor's own, else widened into wide.
template <class T, std::size_t kLen>
[[gnu::always_inline]] inline const float* grad_floats(const T* grad, float* wide) {
  if constexpr (std::is_same_v<T, float>) {
    return grad;
  } else {
    for (std::size_t i = 0; i < kLen; i += kFusedLanes) _mm512_store_ps(wide + i, TensorLanes<T>::load(grad + i));
    return wide;
  }
}

/// Whether A's update ends in the decoupled decay p = round(p) * decay (A::kDecayLast).
template <class A>
inline constexpr bool kDecaysLast = requires { requires A::kDecayLast; };

/// The parameter's rounding inside the update of a tensor of T: tensor_run's for rounding
/// nearest (StoredLaterStorage: the last rounding is TensorLanes<T>::store's).
template <class T>
using LaneStore = std::conditional_t<std::is_same_v<T, float>, VectorStorage<float>, StoredLaterStorage<T>>;

// GCC 12 reports the placeholder operand of _mm512_max_ps (_mm512_undefined_ps, initialized by
// itself) as "used uninitialized" in some of these instantiations (fp16 AdEMAMix): a known false
// positive of the intrinsics header, silenced for this loop only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
/// Lanes: TensorLanes<T>, or for bf16 Bf16InstructionLanes (the same bits).
/// tensor_scale: a per-tensor format's new scale per row (unread for a block-wise one).
template <class A, class T, class Lanes, class Codec, bool kSkipZeros, bool kDecay>
void single_pass_blocks(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes,
                        float scale, const float* tensor_scale, std::size_t block, std::uint64_t& nonfinite_out,
                        std::uint64_t* under_out) {
  constexpr int kRows = A::kRows;
  constexpr bool kPerTensor = Codec::kScale == ScaleKind::per_tensor;
  const std::size_t blocks = r.n / block;  // whole blocks
  using Store = LaneStore<T>;
  // A 16-bit parameter's rounding before the decay, on the vector after the update: where every
  // element takes the whole update (no skip_zeros, every gradient finite), the same bits.
  [[maybe_unused]] constexpr bool kDecayAfterUpdate = !std::is_same_v<T, float> && kDecay && !kSkipZeros && kDecaysLast<A>;
  T* param = static_cast<T*>(r.param);
  const T* grad = static_cast<const T*>(r.grad);
  std::uint64_t nonfinite = 0;
  std::uint64_t under[kMaxStateRows] = {};
#pragma omp parallel num_threads(r.threads) reduction(+ : nonfinite, under[:kMaxStateRows])
  {
    const StepConstants c = r.constants;  // this thread's own copy (fused_blocks says why)
    const float gnorm_scale = r.gnorm_scale;
    const float update_scale = scale;  // a local: the shared one was reloaded after every store
    const AdemamixDivisors divisors(c);
    [[maybe_unused]] const __m512 decay = _mm512_set1_ps(c.decay);
    // The rounding before the decay and the decay leave every stored value as it is (bf16 with
    // lr * wd <= 2^-10, fp16 <= 2^-13): the store's rounding alone gives the same bits.
    [[maybe_unused]] bool decay_is_identity = false;
    if constexpr (kDecayAfterUpdate) decay_is_identity = decay_keeps_every_value<T>(c.decay);
    alignas(64) float st[kRows][kMaxBlock];
    alignas(64) std::uint32_t bad[kFusedLanes] = {};
    alignas(64) float wide[64];  // a 16-bit tensor's gradients as floats (grad_floats)
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
      prefetch_block<A, T>(r, begin + kPrefetchAhead * block, block);
      __m512 m[kRows];
      for (int k = 0; k < kRows; ++k) m[k] = _mm512_setzero_ps();
#if BNB_BYTE_PLANE_CODEC
      if (block % 64 == 0) {  // each row's 64 codes decoded in registers, updated 16 at a time
        __m512 vscale[kRows];
        for (int k = 0; k < kRows; ++k) vscale[k] = _mm512_set1_ps(r.state.absmax[k][kPerTensor ? 0 : b]);
        for (std::size_t i = 0; i < block; i += 64) {
          __m512 v[kRows][4];
          for (int k = 0; k < kRows; ++k) decode_64_codes(*planes[k], r.state.codes[k] + begin + i, order, vscale[k], v[k]);
          // The 64 gradients as floats: an fp32 tensor's in place, a 16-bit one's widened.
          const float* g = grad_floats<T, 64>(grad + begin + i, wide);
          const auto update_64 = [&]<bool kGuard, bool kScaledGrad>() {
            for (int q = 0; q < 4; ++q) {
              const std::size_t j = begin + i + 16 * q;
              __m512 s[kRows];
              for (int k = 0; k < kRows; ++k) s[k] = v[k][q];
              if constexpr (std::is_same_v<T, float>) {
                update_registers<A, kSkipZeros, kDecay, kGuard, kScaledGrad, Store>(c, divisors, g + 16 * q, param + j,
                                                                                    s, gnorm_scale, update_scale, bad);
              } else {
                __m512 p = Lanes::load(param + j);
                if constexpr (kDecayAfterUpdate && !kGuard) {
                  update_registers<A, kSkipZeros, false, kGuard, kScaledGrad, Store>(c, divisors, g + 16 * q, p, s,
                                                                                     gnorm_scale, update_scale, bad);
                  if (!decay_is_identity) p = _mm512_mul_ps(Lanes::round(p), decay);
                } else {
                  update_registers<A, kSkipZeros, kDecay, kGuard, kScaledGrad, Store>(c, divisors, g + 16 * q, p, s,
                                                                                      gnorm_scale, update_scale, bad);
                }
                Lanes::store(param + j, p);
              }
              for (int k = 0; k < kRows; ++k) {
                _mm512_store_ps(st[k] + i + 16 * q, s[k]);
                m[k] = fold_abs(s[k], m[k]);
              }
            }
          };
          // The guard's selects and count only where a gradient is not finite (see update_lanes);
          // no multiplication by a gnorm_scale of 1 (the step without percentile clipping).
          if (gnorm_scale == 1.0f) {
            if (any_nonfinite<4, false>(g, gnorm_scale)) [[unlikely]] {
              update_64.template operator()<true, false>();
            } else {
              update_64.template operator()<false, false>();
            }
          } else if (any_nonfinite<4, true>(g, gnorm_scale)) [[unlikely]] {
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
          const float* g = grad_floats<T, kFusedLanes>(grad + begin + i, wide);
          if constexpr (std::is_same_v<T, float>) {
            update_lanes<A, kSkipZeros, kDecay, true, true, VectorStorage<float>, kSinglePassQuotients>(
                c, divisors, g, param + begin + i, st[0] + i, s1 + i, s2 + i, gnorm_scale, update_scale, bad);
          } else {
            alignas(64) float p[kFusedLanes];
            _mm512_store_ps(p, Lanes::load(param + begin + i));
            update_lanes<A, kSkipZeros, kDecay, true, true, Store, kSinglePassQuotients>(
                c, divisors, g, p, st[0] + i, s1 + i, s2 + i, gnorm_scale, update_scale, bad);
            Lanes::store(param + begin + i, _mm512_load_ps(p));
          }
          for (int k = 0; k < kRows; ++k) {
            m[k] = fold_abs(_mm512_load_ps(st[k] + i), m[k]);
          }
        }
      }
      for (int k = 0; k < kRows; ++k) {
        if constexpr (kPerTensor) {  // m[k] unread: the compiler drops its folds
          encode_block<false>(*codecs.encoders[k], *r.state.table[k], st[k], block, tensor_scale[k],
                              r.state.codes[k] + begin);
        } else {
          const float s = fold_abs_max(m[k]);
          r.state.absmax[k][b] = s;
          encode_block<true>(*codecs.encoders[k], *r.state.table[k], st[k], block, s, r.state.codes[k] + begin);
        }
      }
      settle_block<A>(UnderflowGuard::off, zero_codes, r.state, st, begin, block, under);
    }
    for (std::uint32_t n : bad) nonfinite += n;
  }
  nonfinite_out += nonfinite;
  for (int k = 0; k < kMaxStateRows; ++k) under_out[k] += under[k];
}
#pragma GCC diagnostic pop

#endif  // BNB_SIMD_CODEC_AVX512

/// The single-pass step over the tensor's whole blocks when it applies (see the header
/// comment); returns the number of blocks it stepped (0 when it does not apply).
template <class A, class T, class Codec>
std::size_t single_pass_step(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes,
                             float scale, const float* tensor_scale, std::size_t block, std::uint64_t& nonfinite,
                             std::uint64_t* under) {
#if BNB_SIMD_CODEC_AVX512
  if constexpr (kLaneType<T> && kSinglePassFormat<Codec>) {
    if (!steps_whole_blocks(r, block)) return 0;
    if (!std::is_same_v<T, float> && r.rounding != ParamRounding::nearest) return 0;  // tensor_run's own rules
    for (int k = 0; k < A::kRows; ++k) {
      if (!codecs.encoders[k] || !codecs.encoders[k]->has_decade_codes()) return 0;
    }
    with_switches(r.constants, [&]<bool kSkipZeros, bool kDecay>() {
#if defined(__AVX512BF16__)
      if constexpr (std::is_same_v<T, bf16_t>) {
        if (cpu_bf16_instructions()) {
          return single_pass_blocks<A, T, Bf16InstructionLanes, Codec, kSkipZeros, kDecay>(
              r, codecs, zero_codes, scale, tensor_scale, block, nonfinite, under);
        }
      }
#endif
      single_pass_blocks<A, T, TensorLanes<T>, Codec, kSkipZeros, kDecay>(r, codecs, zero_codes, scale, tensor_scale,
                                                                          block, nonfinite, under);
    });
    return r.n / block;
  }
#endif
  (void)r, (void)codecs, (void)zero_codes, (void)scale, (void)tensor_scale, (void)block, (void)nonfinite, (void)under;
  return 0;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
