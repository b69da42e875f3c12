#pragma once
// The pre-pass of the CPU step (tensor_step.hpp): whole-tensor quantities needed before any
// element is stored (the update and parameter norms of a clipping step, the new per-tensor
// scale), from the same per-element functions, storing nothing.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "block_abs_max.hpp"
#include "norm_term_lanes.hpp"
#include "register_maxima.hpp"
#include "state_runs.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

/// What a pre-pass found: sums of squares (update norm, parameter norm) and new row maxima.
struct PrePass {
  double unorm_sq = 0;
  double pnorm_sq = 0;
  float new_max[kMaxStateRows] = {};
};

/// What one reduction chunk of the pre-pass contributes.
struct ChunkPart {
  float unorm = 0;
  float pnorm = 0;
  float max[kMaxStateRows] = {};
};

// GCC only: clang has no per-function vector width (its fuzz build keeps the variant's width).
#if defined(__clang__)
#define BNB_PREFER_256_BIT_VECTORS
#else
#define BNB_PREFER_256_BIT_VECTORS [[gnu::target("prefer-vector-width=256")]]
#endif

/// One reduction chunk of the pre-pass, with the step's run-time switches turned into
/// constants (as in state_loop) so that the term loop has no branches left and vectorizes.
/// 256-bit vectors, measured: the update-norm terms are mostly divider work (LAMB: then three
/// divisions and a square root per element, one division since round 22) and ran faster at
/// 256 bits on the Intel machine (LAMB 32-bit, 64M, 2 threads: 1.58 -> 1.27 ns/param), while
/// the update loop is faster at 512.
template <class A, class T, StateFormat F, bool kSkipZeros, bool kDecay>
BNB_PREFER_256_BIT_VECTORS ChunkPart pre_pass_chunk(StepConstants c, const StepRequest& r,
                                                    const RowCodecs<A::kRows>& codecs, std::size_t begin,
                                                    std::size_t len, bool want_norms) {
  using Codec = StateCodec<F>;
  constexpr bool kGuard = Codec::kQuantized;
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  const T* grad = static_cast<const T*>(r.grad) + begin;
  const T* param = static_cast<const T*>(r.param) + begin;
  float g[kReductionBlock], p[kReductionBlock], st[A::kRows][kReductionBlock];
  float uterm[kReductionBlock], pterm[kReductionBlock];
  // fp32 tensors are read in place (p is only read; g * 1 == g for every non-NaN g).
  const float* gv = g;
  const float* pv = p;
  if constexpr (std::is_same_v<T, float>) {
    pv = param;
    if (r.gnorm_scale == 1.0f) {
      gv = grad;
    } else {
      load_values(grad, g, len, r.gnorm_scale);
    }
  } else {
    load_values(grad, g, len, r.gnorm_scale);
    load_values(param, p, len, 1.0f);
    if (!std::is_same_v<T, float> && r.rounding == ParamRounding::compensated) {
      // The update sees p + c (param_rounding.hpp), its norms and new states too.
      float comp[kReductionBlock];
      load_values(static_cast<const T*>(r.compensation) + begin, comp, len, 1.0f);
      for (std::size_t i = 0; i < len; ++i) p[i] += comp[i];
    }
  }
  const float* rows[A::kRows];
  for (int k = 0; k < A::kRows; ++k) {
    if constexpr (!Codec::kQuantized) {
      rows[k] = r.state.values[k] + begin;  // read in place: no copy
    } else {
      decode_state_run<Codec>(r.state, codecs, k, begin, len, st[k]);
      rows[k] = st[k];
    }
  }
  ChunkPart part;
  constexpr bool kPerTensor = Codec::kScale == ScaleKind::per_tensor;
  std::size_t states_done = 0;  // elements whose new states' maxima the term loop folded
  if (want_norms) {
    // LAMB's and LARS's whole vectors of terms summed in registers (norm_term_lanes.hpp, as in
    // pass 1 of the clipping step: 8-bit LAMB -3%, LARS -9% at 1 thread, results/perf/round19),
    // the rest below, into the same lane sums.
    float lane_u[kReductionLanes] = {}, lane_p[kReductionLanes] = {};
    std::size_t head = 0;
#if defined(BNB_NORM_TERM_LANES)
    if constexpr (kHasTermLanes<A>) {
      const TermLanes<A, kSkipZeros, kDecay> lanes(c);
      LaneSums sums;
      // A per-tensor format's new maxima from the states the terms leave (new_states_run's: the
      // same operations, a non-finite gradient's states 0), not from a second pass over them.
      [[maybe_unused]] __m256 row_max[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
      for (; head + kReductionLanes <= len; head += kReductionLanes) {
        const __m256 gl = _mm256_loadu_ps(gv + head);
        const __m256 pl = _mm256_loadu_ps(pv + head);
        __m256 s[2];
        s[0] = _mm256_loadu_ps(rows[0] + head);
        if constexpr (A::kRows > 1) s[1] = _mm256_loadu_ps(rows[A::kRows > 1 ? 1 : 0] + head);
        __m256 term = lanes.step(gl, pl, s);
        [[maybe_unused]] const __m256 bad = LaneSums::nonfinite(gl);
        if constexpr (kGuard) term = _mm256_andnot_ps(bad, term);
        if constexpr (kPerTensor) {
          for (int k = 0; k < A::kRows; ++k) {
            row_max[k] = fold_abs(_mm256_andnot_ps(bad, s[k]), row_max[k]);
          }
        }
        sums.add(term, pl, gl);
      }
      _mm256_storeu_ps(lane_u, sums.unorm);
      _mm256_storeu_ps(lane_p, sums.pnorm);
      if constexpr (kPerTensor) {
        for (int k = 0; k < A::kRows; ++k) part.max[k] = fold_lanes(row_max[k]);
        states_done = head;
      }
    }
#endif
    for (std::size_t i = head; i < len; ++i) {
      float s[A::kRows];
      for (int k = 0; k < A::kRows; ++k) s[k] = rows[k][i];
      const float term = A::unorm_term(c, gv[i], pv[i], s);
      uterm[i] = !kGuard || is_finite(gv[i]) ? term : 0.0f;
      pterm[i] = pv[i] * pv[i];
    }
    part.unorm = chunk_sum_from(lane_u, uterm + head, len - head);
    part.pnorm = chunk_sum_from(lane_p, pterm + head, len - head);
  }
  if constexpr (kPerTensor) {  // the elements the term loop did not see
    const std::size_t rest = len - states_done;
    float* new_rows[A::kRows];
    for (int k = 0; k < A::kRows; ++k) new_rows[k] = st[k] + states_done;
    new_states_run<A>(c, gv + states_done, pv + states_done, new_rows, rest);  // only the states
    for (int k = 0; k < A::kRows; ++k) part.max[k] = std::max(part.max[k], block_abs_max(new_rows[k], rest));
  }
  return part;
}

template <class A, class T, StateFormat F>
ChunkPart pre_pass_chunk(const StepRequest& r, const RowCodecs<A::kRows>& codecs, std::size_t begin, std::size_t len,
                         bool want_norms) {
  const StepConstants& c = r.constants;
  if (c.skip_zeros) {
    if (c.has_weight_decay) return pre_pass_chunk<A, T, F, true, true>(c, r, codecs, begin, len, want_norms);
    return pre_pass_chunk<A, T, F, true, false>(c, r, codecs, begin, len, want_norms);
  }
  if (c.has_weight_decay) return pre_pass_chunk<A, T, F, false, true>(c, r, codecs, begin, len, want_norms);
  return pre_pass_chunk<A, T, F, false, false>(c, r, codecs, begin, len, want_norms);
}

/// The chunks' parts in order (in double, maxima as exact doubles of their floats), through the
/// shards in shard order when the tensor is sharded (shard_fold.hpp).
template <class A, StateFormat F>
PrePass fold_parts(const StepRequest& r, const std::vector<ChunkPart>& parts, bool want_norms) {
  double running[2 + kMaxStateRows] = {};
  fold_in_shard_order(r.shards, running, [&](std::span<double> v) {
    for (const ChunkPart& part : parts) {
      if (want_norms) {
        v[0] += static_cast<double>(part.unorm);
        v[1] += static_cast<double>(part.pnorm);
      }
      if constexpr (StateCodec<F>::kScale == ScaleKind::per_tensor) {
        for (int k = 0; k < A::kRows; ++k) v[2 + k] = std::max(v[2 + k], static_cast<double>(part.max[k]));
      }
    }
  });
  PrePass out;
  out.unorm_sq = running[0];
  out.pnorm_sq = running[1];
  for (int k = 0; k < A::kRows; ++k) out.new_max[k] = static_cast<float>(running[2 + k]);
  return out;
}

template <class A, class T, StateFormat F>
PrePass pre_pass(const StepRequest& r, const RowCodecs<A::kRows>& codecs, bool want_norms) {
  const std::size_t n = r.n;
  // The new maxima alone: the whole 64-element groups in registers, the rest in chunks.
  ChunkPart groups;
  std::size_t done = 0;
  if (register_maxima_apply<T, StateCodec<F>>(r, want_norms)) {
    done = register_maxima<A, T, StateCodec<F>>(r, codecs, groups.max);
  }
  const std::size_t chunks = block_count(n - done, kReductionBlock);
  std::vector<ChunkPart> parts(chunks);

#pragma omp parallel for schedule(static) num_threads(r.threads)
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    const std::size_t begin = done + ch * kReductionBlock;
    parts[ch] = pre_pass_chunk<A, T, F>(r, codecs, begin, std::min(kReductionBlock, n - begin), want_norms);
  }
  if (done != 0) parts.push_back(groups);
  return fold_parts<A, F>(r, parts, want_norms);
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
