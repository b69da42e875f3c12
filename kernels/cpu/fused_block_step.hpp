#pragma once
// The 8-bit step (map codes, a scale per block, fp32 tensors, AVX-512 direct bucket tables) with
// the update of block b and the encode of block b - 1 in one loop body, 16 elements at a time.
//
// Why: the update is bound by the divider (a division and a square root per element) and leaves
// ports idle; the encoder is bound by its gather and port work. In tensor_step's sequence
// (decode, update, absmax, encode per block) they add up, because the encode of a block needs
// its absmax, i.e. its whole update, and a block's encode is more than the out-of-order window
// holds. Block b - 1's scales are known while block b is updated, so both streams are
// independent and interleaving them per 16 elements lets the core overlap them. Round 7
// (results/perf/round7/): 8-bit Adam -8% at 1 thread, -7% at 2; the same interleave made of
// calls per 64-256 elements was slower (the calls' set-up cost more than the overlap gained).
//
// Not with the decade encoder (decade_codec.hpp, preferred where gathers are slow): there is no
// gather to hide, and on Zen 4 the fused body (two rows' decade tables and constants beside the
// update's) ran slower than tensor_step's sequence: with hdopt's encoder (bcde021) 8-bit Adam
// +12% / +7% at 1 / 2 threads, AdEMAMix +30% / +26% (results/perf/round10/decade_encoder.md).
//
// Results are those of the sequential loop: every block's codes, scale and counts depend only on
// its own elements and are computed by the same functions (Algo::update through update_element,
// the encoder's per-16-values codes, block_abs_max, settle_block). It steps the tensor's whole
// blocks; a partial last block, and the cases it does not take (other types, the underflow
// remedies, maps without direct tables, rows with the decade encoder), run tensor_step's loop.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "ademamix_lanes.hpp"
#include "block_abs_max.hpp"
#include "exact_quotient.hpp"
#include "state_runs.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

#if BNB_SIMD_CODEC_AVX512

inline constexpr std::size_t kFusedLanes = 16;
static_assert(kFusedLanes == kLaneCount);

/// Whether any of the gradients grad[0, 16 * kVectors) times gnorm_scale is NaN or infinite:
/// the non-finite guard's case, which a step almost never meets.
/// kScaledGrad false: gnorm_scale is 1 (g * 1 is g).
template <int kVectors, bool kScaledGrad>
[[gnu::always_inline]] inline bool any_nonfinite(const float* grad, float gnorm_scale) {
  constexpr int kNanOrInfinite = 0x01 | 0x08 | 0x10 | 0x80;  // vfpclassps: QNaN, +Inf, -Inf, SNaN
  const __m512 factor = _mm512_set1_ps(gnorm_scale);
  __mmask16 bad = 0;
  for (int v = 0; v < kVectors; ++v) {
    const __m512 g = _mm512_loadu_ps(grad + 16 * v);
    bad |= _mm512_fpclass_ps_mask(kScaledGrad ? _mm512_mul_ps(g, factor) : g, kNanOrInfinite);
  }
  return bad != 0;
}

/// state_loop's body for 16 elements (a constant trip count: one 512-bit iteration); the
/// non-finite gradients counted per lane in bad. kGuard false: the caller has checked that every
/// gradient is finite (any_nonfinite), so the guard would keep every lane and is left out.
/// kScaledGrad false: gnorm_scale is 1, whose multiplication changes no gradient's bits (a NaN's
/// may be quieted, but the guard discards that lane's results either way). Store: the parameter's
/// rounding inside the update (StoredLaterStorage for a 16-bit one staged as fp32, as tensor_run).
/// kQuotients: AdEMAMix's divisions by c1 and c2 off the divider (ademamix_lanes.hpp).
template <class A, bool kSkipZeros, bool kDecay, bool kGuard = true, bool kScaledGrad = true,
          class Store = VectorStorage<float>, bool kQuotients = kQuotientLanes<A>>
[[gnu::always_inline]] inline void update_lanes(StepConstants c, const AdemamixDivisors& divisors,
                                                const float* __restrict grad, float* __restrict param,
                                                float* __restrict s0, float* __restrict s1, float* __restrict s2,
                                                float gnorm_scale, float scale, std::uint32_t* __restrict bad) {
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  if constexpr (kQuotients) {  // the same update, its divisions by c1 and c2 off the divider
    return ademamix_lanes<A, Store, kGuard, kScaledGrad>(c, divisors, grad, param, s0, s1, s2, gnorm_scale, bad);
  }
  for (std::size_t i = 0; i < kFusedLanes; ++i) {
    const float g = kScaledGrad ? grad[i] * gnorm_scale : grad[i];
    float p = param[i];
    float s[A::kRows];
    s[0] = s0[i];
    if constexpr (A::kRows > 1) s[1] = s1[i];
    if constexpr (A::kRows > 2) s[2] = s2[i];
    if constexpr (kGuard) bad[i] += is_finite(g) ? 0u : 1u;
    update_element<A, Store, kGuard>(c, g, p, s, scale);
    param[i] = p;
    s0[i] = s[0];
    if constexpr (A::kRows > 1) s1[i] = s[1];
    if constexpr (A::kRows > 2) s2[i] = s[2];
  }
}

/// Each row's per-16-values code functor (its direct words').
template <int kRows, std::size_t... K>
std::array<Encoder::DirectCodes, kRows> all_row_codes(const RowCodecs<kRows>& codecs, std::index_sequence<K...>) {
  return {codecs.encoders[K]->direct_codes()...};
}

/// The fused loop over this thread's contiguous share of the blocks (the share schedule(static)
/// gives), with two block buffers: block b decoded and updated, block b - 1 encoded.
template <class A, class Codec, bool kSkipZeros, bool kDecay>
void fused_blocks(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes, float scale,
                  std::size_t block, std::uint64_t& nonfinite_out, std::uint64_t* under_out) {
  constexpr int kRows = A::kRows;
  const std::size_t blocks = r.n / block;  // whole blocks
  float* param = static_cast<float*>(r.param);
  const float* grad = static_cast<const float*>(r.grad);
  std::uint64_t nonfinite = 0;
  std::uint64_t under[kMaxStateRows] = {};
#pragma omp parallel num_threads(r.threads) reduction(+ : nonfinite, under[:kMaxStateRows])
  {
    const auto threads = static_cast<std::size_t>(omp_get_num_threads());
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const std::size_t share = blocks / threads, extra = blocks % threads;
    const std::size_t first = t * share + std::min(t, extra);
    const std::size_t last = first + share + (t < extra ? 1 : 0);
    // The step's constants as this thread's own: a shared copy is read through a pointer, and
    // GCC reloaded it every 16 elements after the code stores (uint8_t, which may alias it).
    const StepConstants c = r.constants;
    const float gnorm_scale = r.gnorm_scale;
    const std::array<Encoder::DirectCodes, kRows> codes = all_row_codes(codecs, std::make_index_sequence<kRows>{});
    bool tiny_codes_agree[kRows];
    for (int k = 0; k < kRows; ++k) {
      const QuantTable& map = *r.state.table[k];
      tiny_codes_agree[k] = encode_value(map, 0.0f) == encode_value(map, 0x1p-39f) &&
                            encode_value(map, -0.0f) == encode_value(map, -0x1p-39f);
    }
    alignas(64) float st[2][kRows][kMaxBlock];
    float scales[2][kRows] = {};
    alignas(64) std::uint32_t bad[kFusedLanes] = {};
    const AdemamixDivisors divisors(c);  // for AdEMAMix's update (ademamix_lanes.hpp)
    for (std::size_t b = first; b <= last; ++b) {
      const bool update = b < last, encode = b > first;
      float(*cur)[kMaxBlock] = st[b & 1];
      const float(*prev)[kMaxBlock] = st[(b - 1) & 1];
      const std::size_t begin = b * block, prev_begin = begin - block;
      if (update) {
        prefetch_block<A, float>(r, begin + kPrefetchAhead * block, block);
        for (int k = 0; k < kRows; ++k) decode_state_run<Codec>(r.state, codecs, k, begin, block, cur[k]);
      }
      // x / scale without the divider (exact_quotient.hpp: exact where 2^-100 <= |x|,
      // 2^-125 scale <= |x| < 2^127 scale), which the update's division and square root keep
      // busy. No test per vector: here |x| <= scale (the block's absmax), so with a scale in
      // [2^-60, 2^125] a lane outside that window has |x / scale| < 2^-40 (its quotient too, with
      // x's sign) or is NaN (one code), and the map codes [0, 2^-39] and [-2^-39, -0] alike.
      // Other blocks divide.
      __m512 divisor[kRows], reciprocal[kRows];
      bool by_reciprocal[kRows];
      std::uint8_t* out[kRows];
      for (int k = 0; k < kRows; ++k) {
        const float s = encode ? scales[(b - 1) & 1][k] : 1.0f;
        divisor[k] = _mm512_set1_ps(s);
        reciprocal[k] = _mm512_set1_ps(1.0f / s);
        by_reciprocal[k] = tiny_codes_agree[k] && s >= 0x1p-60f && s <= 0x1p125f;
        out[k] = r.state.codes[k] + (encode ? prev_begin : 0);
      }
      float* s1 = cur[kRows > 1 ? 1 : 0];
      float* s2 = cur[kRows > 2 ? 2 : 0];
      for (std::size_t i = 0; i < block; i += kFusedLanes) {
        if (update) {
          update_lanes<A, kSkipZeros, kDecay>(c, divisors, grad + begin + i, param + begin + i, cur[0] + i, s1 + i,
                                               s2 + i, gnorm_scale, scale, bad);
        }
        if (encode) {
          for (int k = 0; k < kRows; ++k) {
            const __m512 x = _mm512_load_ps(prev[k] + i);
            const __m512 y = by_reciprocal[k] ? reciprocal_quotient(x, divisor[k], reciprocal[k])
                                              : _mm512_div_ps(x, divisor[k]);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out[k] + i), codes[k](y));
          }
        }
      }
      if (update) {
        for (int k = 0; k < kRows; ++k) {
          const float m = block_abs_max(cur[k], block);
          r.state.absmax[k][b] = m;
          scales[b & 1][k] = m;
        }
      }
      if (encode) {
        for (int k = 0; k < kRows; ++k) {  // a zero scale stores the zero code (encode_run)
          if (scales[(b - 1) & 1][k] == 0.0f) std::fill_n(out[k], block, r.state.table[k]->zero_code);
        }
        settle_block<A>(UnderflowGuard::off, zero_codes, r.state, prev, prev_begin, block, under);
      }
    }
    for (std::uint32_t n : bad) nonfinite += n;
  }
  nonfinite_out += nonfinite;
  for (int k = 0; k < kMaxStateRows; ++k) under_out[k] += under[k];
}

/// Whether a block loop over the tensor's whole 8-bit blocks, 16 lanes at a time, takes the
/// step: no underflow remedy, a block of whole vectors that fits the buffers, one block at least.
inline bool steps_whole_blocks(const StepRequest& r, std::size_t block) {
  return r.underflow_guard == UnderflowGuard::off && block % kFusedLanes == 0 && block <= kMaxBlock && r.n >= block;
}

#endif  // BNB_SIMD_CODEC_AVX512

/// The state the whole-block 8-bit loops (this file's and single_pass_step.hpp's) step: 8-bit
/// map codes with a scale per block.
template <class Codec>
inline constexpr bool kBlockwiseMapCodes = Codec::kScale == ScaleKind::per_block && Codec::kElementBits == 8 &&
                                           Codec::kCodes == CodeKind::map_index;

/// The tensors this file's loop steps: fp32 parameters with block-wise map codes.
template <class T, class Codec>
inline constexpr bool kWholeBlockFormat = std::is_same_v<T, float> && kBlockwiseMapCodes<Codec>;

/// The fused step over the tensor's whole blocks when it applies (see the header comment);
/// returns the number of blocks it stepped (0 when it does not apply).
template <class A, class T, class Codec>
std::size_t fused_block_step(const StepRequest& r, const RowCodecs<A::kRows>& codecs, const ZeroCodes<A>& zero_codes,
                      float scale, std::size_t block, std::uint64_t& nonfinite, std::uint64_t* under) {
#if BNB_SIMD_CODEC_AVX512
  if constexpr (kWholeBlockFormat<T, Codec>) {
    if (!steps_whole_blocks(r, block)) return 0;
    for (int k = 0; k < A::kRows; ++k) {
      const auto& e = codecs.encoders[k];
      if (!e || !e->has_direct_codes() || e->has_decade_codes()) return 0;  // decades: see the header
    }
    with_switches(r.constants, [&]<bool kSkipZeros, bool kDecay>() {
      fused_blocks<A, Codec, kSkipZeros, kDecay>(r, codecs, zero_codes, scale, block, nonfinite, under);
    });
    return r.n / block;
  }
#endif
  (void)r, (void)codecs, (void)zero_codes, (void)scale, (void)block, (void)nonfinite, (void)under;
  return 0;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
