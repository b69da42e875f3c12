#pragma once
// The generic CPU driver: one optimizer step of one tensor for any (algorithm, storage type,
// state format). Included only by step_variant.cpp, which is compiled once per instruction set;
// the loops are written so that GCC vectorizes them (no aliasing through the block buffers, no
// calls, branches that if-convert).
//
// A step walks the tensor in state blocks. For each block: decode 8-bit states into an fp32
// buffer (fp32 states are used in place), run the algorithm's per-element update straight on
// the gradient (times gnorm_scale) and parameter arrays (16-bit ones through fp32 staging),
// then for 8-bit states take the block's absmax and encode. When the step needs a whole-tensor
// quantity first (the update norm of LAMB/LARS/RMSprop, the new tensor-wise max), a pre-pass
// computes it from the same functions without storing anything.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/step_request.hpp"
#include "block_abs_max.hpp"
#include "half_staging.hpp"
#include "simd_codec.hpp"
#include "vector_storage.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
// Each variant's copies get their own symbols: these templates are compiled with different
// -m flags per translation unit, and one merged (ODR) copy would run one variant's code for all.
inline namespace BNB_CPU_VARIANT {

inline constexpr std::size_t kMaxBlock = 4096;
/// How many blocks ahead of the one being stepped the 8-bit step prefetches its streams.
inline constexpr std::size_t kPrefetchAhead = 4;
inline constexpr float kFloatMax = 3.40282347e38f;

BNB_HD bool is_finite(float x) { return std::fabs(x) <= kFloatMax; }

/// Sum of one reduction chunk in the fixed order of step_request.hpp. Always inlined: each
/// lane is a serial chain of additions, and the pre-pass's two sums (update and parameter
/// norms) only overlap their chains when the out-of-order core sees both.
[[gnu::always_inline]] inline float chunk_sum(const float* x, std::size_t len) {
  float lanes[kReductionLanes] = {};
  std::size_t i = 0;
  for (; i + kReductionLanes <= len; i += kReductionLanes) {
    for (int l = 0; l < kReductionLanes; ++l) lanes[l] += x[i + l];
  }
  for (int l = 0; i < len; ++i, ++l) lanes[l] += x[i];
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

template <class T>
void load_values(const T* src, float* dst, std::size_t len, float scale) {
  if constexpr (std::is_same_v<T, half_t>) {
    halves_to_floats(src, dst, len, scale);
  } else {
    for (std::size_t i = 0; i < len; ++i) dst[i] = VectorStorage<T>::load(src[i]) * scale;
  }
}

template <class T>
void store_values(const float* src, T* dst, std::size_t len) {
  if constexpr (std::is_same_v<T, half_t>) {
    floats_to_halves(src, dst, len);
  } else {
    for (std::size_t i = 0; i < len; ++i) dst[i] = VectorStorage<T>::store(src[i]);
  }
}

/// The prepared codecs of a step's 8-bit state rows, shared read-only by the threads.
template <int kRows>
struct RowCodecs {
  std::optional<Encoder> encoders[kRows];
  std::optional<Decoder> decoders[kRows];

  explicit RowCodecs(const StateView& s) {
    if (s.format == StateFormat::fp32) return;
    for (int k = 0; k < kRows; ++k) {
      encoders[k].emplace(*s.table[k]);
      decoders[k].emplace(*s.table[k]);
    }
  }
};

/// Decodes elements [begin, begin+len) of an 8-bit state row into fp32, one run per absmax block.
template <StateFormat F>
void decode_row(const StateView& s, const Decoder& d, int row, std::size_t begin, std::size_t len, float* out) {
  const std::uint8_t* codes = s.codes[row] + begin;
  if constexpr (F == StateFormat::tensorwise8) {
    d.decode(codes, len, s.absmax[row][0], out);
  } else {
    const std::size_t b = s.block_size;
    for (std::size_t i = 0; i < len;) {
      const std::size_t block = (begin + i) / b;
      const std::size_t run = std::min(len - i, (block + 1) * b - (begin + i));
      d.decode(codes + i, run, s.absmax[row][block], out + i);
      i += run;
    }
  }
}

/// Codes of x / scale; a zero scale stores the zero code everywhere (SPEC.md §5.3 step 6).
inline void encode_run(const Encoder& e, const QuantTable& t, const float* x, std::size_t len, float scale,
                       std::uint8_t* out) {
  if (scale == 0.0f) {
    for (std::size_t i = 0; i < len; ++i) out[i] = t.zero_code;
  } else {
    e.encode(x, len, scale, out);
  }
}

/// One element of the step through the algorithm's update, written so that the loop around it
/// if-converts: the update runs on copies and the guarded result is selected afterwards.
template <class A, class Store, bool kGuard>
inline void update_element(const StepConstants& c, float g, float& p, float* s, float scale) {
  float pn = p;
  float sn[A::kRows];
  for (int k = 0; k < A::kRows; ++k) sn[k] = s[k];
  A::template update<Store>(c, g, pn, sn, scale);
  if constexpr (kGuard) {
    const bool ok = is_finite(g);
    p = ok ? pn : p;
    for (int k = 0; k < A::kRows; ++k) s[k] = ok ? sn[k] : 0.0f;
  } else {
    p = pn;
    for (int k = 0; k < A::kRows; ++k) s[k] = sn[k];
  }
}

/// Asks for the cache lines of elements [begin, begin + len) of every stream of an 8-bit step
/// (gradient, parameter, codes) ahead of use. The step is compute-heavy per byte, so the
/// hardware prefetchers, which follow the demand misses, run too close to the loads: the
/// update stalled on DRAM reads of the gradient and parameter (15% slower at 64M elements than
/// when the tensor fits the cache).
template <class A, class T>
void prefetch_block(const StepRequest& r, std::size_t begin, std::size_t len) {
  if (begin >= r.n) return;
  len = std::min(len, r.n - begin);
  constexpr std::size_t kLine = 64;
  const char* grad = static_cast<const char*>(r.grad) + begin * sizeof(T);
  const char* param = static_cast<const char*>(r.param) + begin * sizeof(T);
  for (std::size_t off = 0; off < len * sizeof(T); off += kLine) {
    __builtin_prefetch(grad + off, 0);
    __builtin_prefetch(param + off, 1);
  }
  for (int k = 0; k < A::kRows; ++k) {
    for (std::size_t off = 0; off < len; off += kLine) __builtin_prefetch(r.state.codes[k] + begin + off, 1);
  }
}

/// What a pre-pass found: sums of squares (update norm, parameter norm) and new row maxima.
struct PrePass {
  double unorm_sq = 0;
  double pnorm_sq = 0;
  float new_max[kMaxStateRows] = {};
};

/// The update over a run of elements, straight on the fp32 arrays it is given (the tensor's
/// own, or staging buffers of a 16-bit tensor): g = grad * gnorm_scale, the algorithm's update
/// of param and of the states of `rows` (in place), with Store the rounding of the tensor's type.
/// The step's run-time switches are compile-time constants here: with them left as loads GCC
/// does not vectorize the loop (it does not unswitch it by itself). Returns the number of
/// non-finite gradients. Precondition: len <= kMaxBlock.
template <class A, class Store, bool kGuard, bool kSkipZeros, bool kDecay>
std::uint64_t state_loop(StepConstants c, const float* __restrict grad, float* __restrict param,
                         float* __restrict const* rows, std::size_t len, float gnorm_scale, float scale) {
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  float* __restrict s0 = rows[0];
  float* __restrict s1 = rows[A::kRows > 1 ? 1 : 0];
  float* __restrict s2 = rows[A::kRows > 2 ? 2 : 0];
  std::uint32_t bad = 0;  // a 32-bit count vectorizes in one add per vector (len <= kMaxBlock)
  for (std::size_t i = 0; i < len; ++i) {
    const float g = grad[i] * gnorm_scale;
    float p = param[i];
    float s[A::kRows];
    s[0] = s0[i];
    if constexpr (A::kRows > 1) s[1] = s1[i];
    if constexpr (A::kRows > 2) s[2] = s2[i];
    bad += is_finite(g) ? 0u : 1u;
    update_element<A, Store, kGuard>(c, g, p, s, scale);
    param[i] = p;
    s0[i] = s[0];
    if constexpr (A::kRows > 1) s1[i] = s[1];
    if constexpr (A::kRows > 2) s2[i] = s[2];
  }
  return bad;
}

template <class A, class Store, bool kGuard>
std::uint64_t state_run(const StepConstants& c, const float* grad, float* param, float* const* rows, std::size_t len,
                        float gnorm_scale, float scale) {
  if (c.skip_zeros) {
    if (c.has_weight_decay) return state_loop<A, Store, kGuard, true, true>(c, grad, param, rows, len, gnorm_scale, scale);
    return state_loop<A, Store, kGuard, true, false>(c, grad, param, rows, len, gnorm_scale, scale);
  }
  if (c.has_weight_decay) return state_loop<A, Store, kGuard, false, true>(c, grad, param, rows, len, gnorm_scale, scale);
  return state_loop<A, Store, kGuard, false, false>(c, grad, param, rows, len, gnorm_scale, scale);
}

/// state_run on a tensor of type T. 16-bit tensors go through fp32 staging buffers (fp16 with
/// F16C, half_staging.hpp): GCC vectorizes the update loop better on fp32 arrays (bf16 8-bit
/// Adam in place ran 1.11x the fp32 time). float is read and written in place.
template <class A, class T, bool kGuard>
std::uint64_t tensor_run(const StepConstants& c, const T* grad, T* param, float* const* rows, std::size_t len,
                         float gnorm_scale, float scale) {
  if constexpr (std::is_same_v<T, float>) {
    return state_run<A, VectorStorage<T>, kGuard>(c, grad, param, rows, len, gnorm_scale, scale);
  } else {
    constexpr std::size_t kStage = 256;
    float g[kStage], p[kStage];
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < len; i += kStage) {
      const std::size_t n = std::min(kStage, len - i);
      load_values(grad + i, g, n, gnorm_scale);
      load_values(param + i, p, n, 1.0f);
      float* staged_rows[A::kRows];
      for (int k = 0; k < A::kRows; ++k) staged_rows[k] = rows[k] + i;
      bad += state_run<A, VectorStorage<T>, kGuard>(c, g, p, staged_rows, n, 1.0f, scale);
      store_values(p, param + i, n);
    }
    return bad;
  }
}

/// What one reduction chunk of the pre-pass contributes.
struct ChunkPart {
  float unorm = 0;
  float pnorm = 0;
  float max[kMaxStateRows] = {};
};

/// One reduction chunk of the pre-pass, with the step's run-time switches turned into
/// constants (as in state_loop) so that the term loop has no branches left and vectorizes.
/// 256-bit vectors, measured: the update-norm terms are mostly divider work (LAMB: three
/// divisions and a square root per element) and ran faster at 256 bits on the Intel machine
/// (LAMB 32-bit, 64M, 2 threads: 1.58 -> 1.27 ns/param), while the update loop is faster at 512.
template <class A, class T, StateFormat F, bool kSkipZeros, bool kDecay>
[[gnu::target("prefer-vector-width=256")]] ChunkPart pre_pass_chunk(StepConstants c, const StepRequest& r,
                                                                     const RowCodecs<A::kRows>& codecs,
                                                                     std::size_t begin, std::size_t len,
                                                                     bool want_norms) {
  constexpr bool kGuard = F != StateFormat::fp32;
  c.skip_zeros = kSkipZeros;
  c.has_weight_decay = kDecay;
  const T* grad = static_cast<const T*>(r.grad) + begin;
  const T* param = static_cast<const T*>(r.param) + begin;
  float g[kReductionBlock], p[kReductionBlock], st[A::kRows][kReductionBlock];
  float uterm[kReductionBlock], pterm[kReductionBlock];
  // fp32 tensors are read in place where no copy is needed (p is only read unless the
  // tensor-wise path below updates a scratch copy; g * 1 == g for every non-NaN g).
  const float* gv = g;
  const float* pv = p;
  if constexpr (std::is_same_v<T, float> && F != StateFormat::tensorwise8) {
    pv = param;
    if (r.gnorm_scale == 1.0f) {
      gv = grad;
    } else {
      load_values(grad, g, len, r.gnorm_scale);
    }
  } else {
    load_values(grad, g, len, r.gnorm_scale);
    load_values(param, p, len, 1.0f);
  }
  const float* rows[A::kRows];
  for (int k = 0; k < A::kRows; ++k) {
    if constexpr (F == StateFormat::fp32) {
      rows[k] = r.state.values[k] + begin;  // read in place: no copy
    } else {
      decode_row<F>(r.state, *codecs.decoders[k], k, begin, len, st[k]);
      rows[k] = st[k];
    }
  }
  ChunkPart part;
  if (want_norms) {
    for (std::size_t i = 0; i < len; ++i) {
      float s[A::kRows];
      for (int k = 0; k < A::kRows; ++k) s[k] = rows[k][i];
      const float term = A::unorm_term(c, gv[i], pv[i], s);
      uterm[i] = !kGuard || is_finite(gv[i]) ? term : 0.0f;
      pterm[i] = pv[i] * pv[i];
    }
    part.unorm = chunk_sum(uterm, len);
    part.pnorm = chunk_sum(pterm, len);
  }
  if constexpr (F == StateFormat::tensorwise8) {
    float* new_rows[A::kRows];
    for (int k = 0; k < A::kRows; ++k) new_rows[k] = st[k];
    // The new states (p is a scratch copy, g already carries gnorm_scale).
    state_run<A, VectorStorage<T>, true>(c, g, p, new_rows, len, 1.0f, 1.0f);
    for (int k = 0; k < A::kRows; ++k) part.max[k] = block_abs_max(st[k], len);
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

template <class A, class T, StateFormat F>
PrePass pre_pass(const StepRequest& r, const RowCodecs<A::kRows>& codecs, bool want_norms) {
  const std::size_t n = r.n;
  const std::size_t chunks = block_count(n, kReductionBlock);
  std::vector<ChunkPart> parts(chunks);

#pragma omp parallel for schedule(static) num_threads(r.threads)
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    const std::size_t begin = ch * kReductionBlock;
    parts[ch] = pre_pass_chunk<A, T, F>(r, codecs, begin, std::min(kReductionBlock, n - begin), want_norms);
  }

  PrePass out;
  for (const ChunkPart& part : parts) {
    if (want_norms) {
      out.unorm_sq += static_cast<double>(part.unorm);
      out.pnorm_sq += static_cast<double>(part.pnorm);
    }
    if constexpr (F == StateFormat::tensorwise8) {
      for (int k = 0; k < A::kRows; ++k) out.new_max[k] = std::max(out.new_max[k], part.max[k]);
    }
  }
  return out;
}

template <class A, class T, StateFormat F>
void tensor_step(const StepRequest& r, StepReport& report) {
  constexpr bool kGuard = F != StateFormat::fp32;  // SPEC.md §3: 8-bit paths skip non-finite g
  const std::size_t n = r.n;
  const bool clips = clips_update_norm(A::kId) && r.max_unorm > 0.0f;
  float scale = 1.0f;
  float new_max[kMaxStateRows] = {};
  const RowCodecs<A::kRows> codecs(r.state);
  if (clips || F == StateFormat::tensorwise8) {
    const PrePass pre = pre_pass<A, T, F>(r, codecs, clips);
    if (clips) {
      report.unorm = static_cast<float>(std::sqrt(pre.unorm_sq));
      report.pnorm = static_cast<float>(std::sqrt(pre.pnorm_sq));
      scale = clip_scale(A::kId, report.unorm, report.pnorm, r.max_unorm, r.constants.eps);
    }
    for (int k = 0; k < kMaxStateRows; ++k) new_max[k] = pre.new_max[k];
  }
  report.update_scale = scale;

  const std::size_t block = F == StateFormat::blockwise8 ? r.state.block_size : F == StateFormat::fp32 ? kMaxBlock : kReductionBlock;
  const std::size_t blocks = block_count(n, block);
  T* param = static_cast<T*>(r.param);
  const T* grad = static_cast<const T*>(r.grad);
  const StepConstants c = r.constants;
  std::uint64_t nonfinite = 0;

#pragma omp parallel for schedule(static) num_threads(r.threads) reduction(+ : nonfinite)
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t begin = b * block;
    const std::size_t len = std::min(block, n - begin);
    if constexpr (F == StateFormat::fp32) {
      float* rows[A::kRows];
      for (int k = 0; k < A::kRows; ++k) rows[k] = r.state.values[k] + begin;
      nonfinite += tensor_run<A, T, false>(c, grad + begin, param + begin, rows, len, r.gnorm_scale, scale);
      continue;
    }
    // Decode the block's states, then update straight on the tensor's arrays (no staging copies
    // of gradient and parameter); the new states stay in st for the absmax and the encode.
    prefetch_block<A, T>(r, begin + kPrefetchAhead * block, block);
    float st[A::kRows][kMaxBlock];
    float* rows[A::kRows];
    for (int k = 0; k < A::kRows; ++k) {
      rows[k] = st[k];
      decode_row<F>(r.state, *codecs.decoders[k], k, begin, len, rows[k]);
    }
    nonfinite += tensor_run<A, T, kGuard>(c, grad + begin, param + begin, rows, len, r.gnorm_scale, scale);
    for (int k = 0; k < A::kRows; ++k) {
      float m = new_max[k];
      if constexpr (F == StateFormat::blockwise8) {
        m = block_abs_max(st[k], len);
        r.state.absmax[k][b] = m;
      }
      encode_run(*codecs.encoders[k], *r.state.table[k], st[k], len, m, r.state.codes[k] + begin);
    }
  }
  if constexpr (F == StateFormat::tensorwise8) {
    for (int k = 0; k < A::kRows; ++k) r.state.absmax[k][0] = new_max[k];
  }
  report.nonfinite_grads = nonfinite;
}

/// Deterministic sum of squares of a stored tensor (percentile clipping's G, SPEC.md §6.1).
template <class T>
double sum_squares(const void* data, std::size_t n, int threads) {
  const T* x = static_cast<const T*>(data);
  const std::size_t chunks = block_count(n, kReductionBlock);
  std::vector<float> part(chunks);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t ch = 0; ch < chunks; ++ch) {
    const std::size_t begin = ch * kReductionBlock;
    const std::size_t len = std::min(kReductionBlock, n - begin);
    float sq[kReductionBlock];
    for (std::size_t i = 0; i < len; ++i) {
      const float v = VectorStorage<T>::load(x[begin + i]);
      sq[i] = v * v;
    }
    part[ch] = chunk_sum(sq, len);
  }
  double total = 0;
  for (float v : part) total += static_cast<double>(v);
  return total;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
