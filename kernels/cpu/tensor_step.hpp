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
// quantity first (the update norm of the algorithms that clip, the new per-tensor scale), a pre-pass
// computes it from the same functions without storing anything.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "block_abs_max.hpp"
#include "clip_step.hpp"
#include "fused_block_step.hpp"
#include "state_runs.hpp"
#include "pre_pass.hpp"
#include "single_pass_step.hpp"
#include "step_loops.hpp"

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

/// Whether drop_momentum_unstall has its own instantiation of the step for (A, F): 8-bit map codes
/// and an unsigned row (the algorithms the library accepts underflow_guard for). Any other step
/// runs the plain one, whose unstall-free code is that of a step without the guard.
template <class A, StateFormat F>
inline constexpr bool kUnstallable = StateCodec<F>::kElementBits == 8 && StateCodec<F>::kCodes == CodeKind::map_index &&
                                     kSignedRows<A> != (1u << A::kRows) - 1;

/// The step under drop_momentum_unstall of a kUnstallable (algorithm, format): tensor_step<..., true>,
/// compiled in its own translation unit (unstall_variant.cpp): in step_variant.cpp its code changed
/// GCC's inlining of the unguarded steps (encode_run left out of line: +2% instructions for lion-8
/// and sgd-8 with the guard off, scripts/step-instructions.sh).
void unstall_step(const StepRequest& r, StepReport& report);

/// The step of an fp16 or bf16 tensor (tensor_step<A, T, F> for every A and F), compiled in its
/// own translation unit (sixteen_bit_step_variant.cpp): beside the fp32 steps its instantiations
/// changed GCC's inlining of theirs (the fp32 8-bit single pass took encode_run, or else the
/// underflow count, inline: +1 to +5%, round 16), and the two units build in parallel.
void sixteen_bit_step(const StepRequest& r, StepReport& report);

/// kUnstall: drop_momentum_unstall's work (the old codes kept per block, settle_block_unstall);
/// a compile-time switch, so the unguarded step carries none of it.
template <class A, class T, StateFormat F, bool kUnstall = false>
void tensor_step(const StepRequest& r, StepReport& report) {
  static_assert(!kUnstall || kUnstallable<A, F>);
  using Codec = StateCodec<F>;
  constexpr bool kGuard = Codec::kQuantized;  // SPEC.md §3: 8-bit paths skip non-finite g
  constexpr bool kPerTensor = Codec::kScale == ScaleKind::per_tensor;
  const std::size_t n = r.n;
  const bool clips = A::kClip != ClipRule::none && r.max_unorm > 0.0f;
  if constexpr (A::kClip != ClipRule::none && F == StateFormat::fp32 && std::is_same_v<T, float> &&
                SplitUpdate<A>) {
    if (clips) return clip_step<A>(r, report);  // fewer bytes than pre_pass + update
  }
  float scale = 1.0f;
  float new_max[kMaxStateRows] = {};
  const RowCodecs<A::kRows> codecs(r.state);
  if (clips || kPerTensor) {
    const PrePass pre = pre_pass<A, T, F>(r, codecs, clips);
    if (clips) {
      report.unorm = static_cast<float>(std::sqrt(pre.unorm_sq));
      report.pnorm = static_cast<float>(std::sqrt(pre.pnorm_sq));
      scale = clip_scale(A::kClip, report.unorm, report.pnorm, r.max_unorm, r.constants.eps);
    }
    for (int k = 0; k < kMaxStateRows; ++k) new_max[k] = pre.new_max[k];
  }
  report.update_scale = scale;

  // Unquantized rows step in place in the largest runs; per-block scales step one block at a time
  // (4-bit: four of its small blocks at a time, nibble_simd.hpp).
  const std::size_t block = Codec::kElementBits == 4                ? kNibbleStepUnit
                            : Codec::kScale == ScaleKind::per_block ? Codec::block_of(r.state.block_size)
                            : !Codec::kQuantized                    ? kMaxBlock
                                                                    : kReductionBlock;
  const std::size_t blocks = block_count(n, block);
  T* param = static_cast<T*>(r.param);
  const T* grad = static_cast<const T*>(r.grad);
  const StepConstants c = r.constants;
  const ParamStore store = ParamStore::of(r, 0);
  std::uint64_t nonfinite = 0;
  std::uint64_t under[kMaxStateRows] = {};
  const UnderflowGuard guard = r.underflow_guard;
  constexpr bool kMapCodes8 = Codec::kElementBits == 8 && Codec::kCodes == CodeKind::map_index;
  ZeroCodes<A> zero_codes;
  if constexpr (kMapCodes8) zero_codes = ZeroCodes<A>(r.state);

  [[maybe_unused]] std::optional<UnstallSpans> spans[kUnstall ? A::kRows : 1];
  [[maybe_unused]] UnstallMaps<A::kRows> unstall_maps{};
  if constexpr (kUnstall) {
    for (int k = 0; k < A::kRows; ++k) {
      spans[k].emplace(*r.state.table[k]);
      unstall_maps.table[k] = r.state.table[k];
      unstall_maps.spans[k] = &*spans[k];
      unstall_maps.zero[k] = zero_codes.code[k];
    }
    unstall_maps.zero_rows = zero_codes.rows;
  }

  // The 8-bit step with fp32 tensors on AVX-512 interleaves update and encode of consecutive
  // blocks (fused_block_step.hpp); the loop below steps the blocks it leaves.
  // Rows with the decade encoder take one pass for update and absmax instead (single_pass_step.hpp),
  // per-tensor scales too.
  std::size_t fused = fused_block_step<A, T, Codec>(r, codecs, zero_codes, scale, block, nonfinite, under);
  if (fused == 0) fused = single_pass_step<A, T, Codec>(r, codecs, zero_codes, scale, new_max, block, nonfinite, under);
#pragma omp parallel for schedule(static) num_threads(r.threads) reduction(+ : nonfinite, under[:kMaxStateRows])
  for (std::size_t b = fused; b < blocks; ++b) {
    const std::size_t begin = b * block;
    const std::size_t len = std::min(block, n - begin);
    if constexpr (!Codec::kQuantized) {
      float* rows[A::kRows];
      for (int k = 0; k < A::kRows; ++k) rows[k] = r.state.values[k] + begin;
      nonfinite += tensor_run<A, T, false>(c, grad + begin, param + begin, rows, len, r.gnorm_scale, scale, store.at(begin));
      continue;
    }
    // Decode the block's states, then update straight on the tensor's arrays (no staging copies
    // of gradient and parameter); the new states stay in st for the absmax and the encode.
    prefetch_block<A, T>(r, begin + kPrefetchAhead * block, block);
    float st[A::kRows][kMaxBlock];
    float* rows[A::kRows];
    [[maybe_unused]] std::uint8_t old_codes[kUnstall ? A::kRows : 1][kUnstall ? kMaxBlock : 1];  // the codes before the step
    for (int k = 0; k < A::kRows; ++k) {
      rows[k] = st[k];
      decode_state_run<Codec>(r.state, codecs, k, begin, len, rows[k]);
      if constexpr (kUnstall) std::memcpy(old_codes[k], r.state.codes[k] + begin, len);
    }
    HeldParams<A, T> held;
    if (guard == UnderflowGuard::zero_update) held.take(rows, param + begin, len);
    nonfinite += tensor_run<A, T, kGuard>(c, grad + begin, param + begin, rows, len, r.gnorm_scale, scale, store.at(begin));
    if (held.count != 0) held.put_back(param + begin);
    [[maybe_unused]] float scales[A::kRows];
    for (int k = 0; k < A::kRows; ++k) {
      if constexpr (Codec::kElementBits == 4) {
        encode_nibble_blocks(*r.state.table[k], st[k], len, Codec::block_of(r.state.block_size), r.state.absmax[k],
                             begin, r.state.codes[k]);
        continue;
      }
      float m = new_max[k];
      if constexpr (Codec::kScale == ScaleKind::per_block) {
        m = block_abs_max(st[k], len);
        if constexpr (Codec::kCodes == CodeKind::e4m3) m = e4m3_scale(m);
        r.state.absmax[k][b] = m;
      }
      if constexpr (kUnstall) scales[k] = m;
      if constexpr (Codec::kCodes == CodeKind::e4m3) {
        encode_e4m3_simd(st[k], len, m, !r.state.table[k]->is_signed, r.state.codes[k] + begin);
      } else {
        // A block's own absmax bounds its values (a tensor's scale comes from the pre-pass: not assumed).
        encode_run<Codec::kScale == ScaleKind::per_block>(*codecs.encoders[k], *r.state.table[k], st[k], len, m,
                                                          r.state.codes[k] + begin);
      }
    }
    if constexpr (kUnstall) {
      settle_block_unstall<A>(unstall_maps, r.state, st, old_codes, scales, r.state_rounding_key, r.first_element + begin,
                              begin, len, under);
    } else if constexpr (kMapCodes8) {
      settle_block<A>(guard, zero_codes, r.state, st, begin, len, under);  // e4m3 has no zero-code hazard (docs/fp8.md)
    }
  }
  if constexpr (kPerTensor) {
    for (int k = 0; k < A::kRows; ++k) r.state.absmax[k][0] = new_max[k];
  }
  report.nonfinite_grads = nonfinite;
  for (int k = 0; k < A::kRows; ++k) report.underflows[k] = under[k];
}

/// The step of (A, T, F) as the variants' tables call it: drop_momentum_unstall's own
/// instantiation where there is one (unstall_step), else tensor_step.
template <class A, class T, StateFormat F>
void table_step(const StepRequest& r, StepReport& report) {
  if constexpr (kUnstallable<A, F>) {
    if (r.underflow_guard == UnderflowGuard::drop_momentum_unstall) return unstall_step(r, report);
  }
  tensor_step<A, T, F>(r, report);
}

/// Deterministic sum of squares of a stored tensor (percentile clipping's G, SPEC.md §6.1), through
/// the shards when `shards` is set.
template <class T>
double sum_squares(const void* data, std::size_t n, int threads, const ShardFold* shards) {
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
  fold_in_shard_order(shards, std::span<double>(&total, 1), [&](std::span<double> v) {
    for (float sq : part) v[0] += static_cast<double>(sq);
  });
  return total;
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
