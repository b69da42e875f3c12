#pragma once
// The per-tensor 8-bit pre-pass's new row maxima with the states in registers (VBMI): each row's
// 64 codes decoded by byte-plane look-ups (decode_64_codes, as the single pass decodes), the new
// states from new_states_run on those 64 lanes, each row's absmax folded in registers. pre_pass's
// chunk loop staged them through buffers instead (decode, then new states, then block_abs_max,
// and a 16-bit tensor's gradients and parameters widened first): four or six 512-bit stores per
// 16 elements, on a core that stores one 256-bit half per cycle.
// The same maxima: the same decode, new_states_run, and block_abs_max's fold rule (vmaxps(|v|, m)
// skips NaNs; the maximum of the rest does not depend on the order or the chunking).
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "block_abs_max.hpp"
#include "byte_plane_codec.hpp"
#include "single_pass_step.hpp"
#include "step_loops.hpp"
#include "tensor_lanes.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

#if BNB_BYTE_PLANE_CODEC

/// The new maxima of elements [0, n / 64 * 64) into max_out (one per row), A's switches fixed.
template <class A, class T, class Codec, bool kSkipZeros, bool kDecay>
void register_maxima_groups(const StepRequest& r, const RowCodecs<A::kRows>& codecs, float* max_out) {
  constexpr int kRows = A::kRows;
  constexpr std::size_t kGroup = 64;
  const std::size_t groups = r.n / kGroup;
  const T* grad = static_cast<const T*>(r.grad);
  const T* param = static_cast<const T*>(r.param);
  std::vector<float> thread_max(static_cast<std::size_t>(std::max(r.threads, 1)) * kRows, 0.0f);
#pragma omp parallel num_threads(r.threads)
  {
    StepConstants c = r.constants;  // this thread's copy, its switches constants (state_loop says why)
    c.skip_zeros = kSkipZeros;
    c.has_weight_decay = kDecay;
    const __m512i order = plane_order_index();
    const BytePlanes* planes[kRows];
    __m512 vscale[kRows], m[kRows];
    for (int k = 0; k < kRows; ++k) {
      planes[k] = &codecs.decoders[k]->planes();
      vscale[k] = _mm512_set1_ps(r.state.absmax[k][0]);
      m[k] = _mm512_setzero_ps();
    }
    alignas(64) float st[kRows][kGroup];
    alignas(64) float wide_g[kGroup], wide_p[kGroup];
    float* rows[kRows];
    for (int k = 0; k < kRows; ++k) rows[k] = st[k];
#pragma omp for schedule(static)
    for (std::size_t gi = 0; gi < groups; ++gi) {
      const std::size_t begin = gi * kGroup;
      for (int k = 0; k < kRows; ++k) {
        __m512 v[4];
        decode_64_codes(*planes[k], r.state.codes[k] + begin, order, vscale[k], v);
        for (int q = 0; q < 4; ++q) _mm512_store_ps(st[k] + 16 * q, v[q]);
      }
      const float* g = grad_floats<T, kGroup>(grad + begin, wide_g);
      const float* p = grad_floats<T, kGroup>(param + begin, wide_p);
      new_states_run<A>(c, g, p, rows, kGroup);
      for (int k = 0; k < kRows; ++k) {
        for (int q = 0; q < 4; ++q) m[k] = fold_abs(_mm512_load_ps(st[k] + 16 * q), m[k]);
      }
    }
    for (int k = 0; k < kRows; ++k) {
      thread_max[static_cast<std::size_t>(omp_get_thread_num()) * kRows + k] = fold_abs_max(m[k]);
    }
  }
  for (int k = 0; k < kRows; ++k) {
    float mx = 0.0f;
    for (std::size_t t = 0; t < thread_max.size() / kRows; ++t) mx = std::max(mx, thread_max[t * kRows + k]);
    max_out[k] = mx;
  }
}

#endif  // BNB_BYTE_PLANE_CODEC

/// Whether register_maxima applies to this step: a per-tensor 8-bit map-code state with the
/// byte-plane decoder, no norms wanted, gradients unscaled (gnorm_scale 1) and a 16-bit tensor's
/// parameters rounded to nearest (compensated rounding reads a third array).
template <class T, class Codec>
bool register_maxima_apply(const StepRequest& r, bool want_norms) {
#if BNB_BYTE_PLANE_CODEC
  if constexpr (kLaneType<T> && Codec::kScale == ScaleKind::per_tensor && Codec::kElementBits == 8 &&
                Codec::kCodes == CodeKind::map_index) {
    return !want_norms && r.gnorm_scale == 1.0f && r.n >= 64 &&
           (std::is_same_v<T, float> || r.rounding == ParamRounding::nearest);
  }
#endif
  (void)r, (void)want_norms;
  return false;
}

/// The new maxima of elements [0, n / 64 * 64) (register_maxima_apply must hold); returns that count.
template <class A, class T, class Codec>
std::size_t register_maxima(const StepRequest& r, const RowCodecs<A::kRows>& codecs, float* max_out) {
#if BNB_BYTE_PLANE_CODEC
  if constexpr (kLaneType<T>) {
    with_switches(r.constants, [&]<bool kSkipZeros, bool kDecay>() {
      register_maxima_groups<A, T, Codec, kSkipZeros, kDecay>(r, codecs, max_out);
    });
    return r.n / 64 * 64;
  }
#endif
  (void)r, (void)codecs, (void)max_out;
  return 0;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
