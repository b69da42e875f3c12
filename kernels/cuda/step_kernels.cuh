#pragma once
// The CUDA kernels of one step, generic over (algorithm A, storage type T, state format F). The
// arithmetic is the shared host+device code: A::update / A::unorm_term (algorithms/*.hpp),
// Storage<T> (dtype.hpp), encode_value / decode_value (quant_table.hpp), e4m3_code (e4m3_codec.hpp),
// nibble_at / nibble_pair and the 16-bit scales of 4-bit state (nibble_codec.hpp, scale16.hpp),
// clip_scale (algorithm.hpp). What lives here is only the parallel structure around it, which mirrors
// kernels/cpu/tensor_step.hpp step for step so that both backends give the same bits:
//   pre-pass  one thread block per 256-element reduction chunk: update-norm terms and parameter
//             squares summed in the fixed lane order of step_request.hpp, and/or the chunk's
//             max |new state| for tensor-wise state; nothing is stored but the partials;
//   finalize  one thread block adds the chunk partials in chunk order in double, or in parallel
//             where exact_sum.hpp proves the same bits (finalize_kernel.cu);
//   step      one thread block per state block: load, decode, update, store the parameter, encode.
// Compiled with --fmad=false and without fast-math, so every + * / sqrt is an IEEE operation
// rounded exactly as on the CPU.
//
// Device code only (no launches, no runtime calls): nvcc compiles it for the GPU, and the host
// test compiles it against a small CPU emulation of the CUDA execution model
// (emulation/cuda_emulation.hpp) to check the kernels against cpu_step without a GPU.
#include <cmath>
#include <cstdint>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/code_buckets.hpp"
#include "bnb/kernels/cuda_step.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/e4m3_codec.hpp"
#include "bnb/kernels/exact_sum.hpp"
#include "bnb/kernels/nibble_codec.hpp"
#include "bnb/kernels/param_rounding.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/scale16.hpp"
#include "bnb/kernels/underflow_guard.hpp"

namespace bnb::kernels::cuda::device {

inline constexpr float kFloatMax = 3.40282347e38f;
inline constexpr unsigned kWarp = 32;
inline constexpr unsigned kMaxWarps = kThreadsPerBlock / kWarp;

/// The block's dynamic shared memory.
__device__ __forceinline__ float* dynamic_shared() {
#if defined(BNB_CUDA_EMULATION)
  return emulation::dynamic_shared();
#else
  extern __shared__ float bnb_dynamic_shared[];
  return bnb_dynamic_shared;
#endif
}

/// SPEC.md §3 guard predicate (as cpu_detail::is_finite): false for NaN and +-Inf.
__device__ __forceinline__ bool is_finite(float x) { return fabsf(x) <= kFloatMax; }

/// std::max(m, x) as the CPU's abs_max uses it: a NaN x never replaces m, so maxima that start
/// from 0 ignore NaN values exactly as on the CPU, in any combination order.
__device__ __forceinline__ float keep_max(float m, float x) { return m < x ? x : m; }

/// encode_block's per-element rule (block_codec.hpp, SPEC.md §5.3 step 6): scale 0 stores the
/// zero code, else the nearest code of x / scale (the bucket encoder where the map has one: one
/// look-up instead of eight dependent ones, code_buckets.hpp).
__device__ __forceinline__ std::uint8_t encode_scaled(const RowEncoder& r, const QuantTable& map, float x, float scale) {
  return scale == 0.0f ? r.zero_code : encode_with(r.shape, map, x / scale);
}

/// encode_e4m3's per-element rule (e4m3_codec.hpp, docs/fp8.md): scale 0 stores code 0, else the
/// e4m3 code of x / scale, non-negative rows keeping positive values above 0.
__device__ __forceinline__ std::uint8_t encode_e4m3_scaled(const QuantTable& t, float x, float scale) {
  return scale == 0.0f ? std::uint8_t{0} : e4m3_code(x / scale, !t.is_signed);
}

/// Encodes one element's new states (all rows, each with its scale) and stores the codes. Map
/// codes also get the underflow remedy (underflow_guard.hpp, as cpu_detail::settle_block) and
/// each row's underflows counted into `under`; e4m3 keeps a non-negative row's positive values
/// above 0 by construction (docs/fp8.md), so it has no such hazard and is not counted. `out`:
/// the rows' codes from the thread block's first element on, `i` the element's offset there and
/// `e` its index in the step's range (begin + i).
template <class A, class Codec>
__device__ __forceinline__ void store_codes(const KernelArgs& a, std::uint8_t* const* out, unsigned i, std::size_t e,
                                            const float* s, const float* scales, unsigned* under) {
  const RowEncoder* enc = a.encoders;
  if constexpr (Codec::kCodes == CodeKind::e4m3) {
    for (int k = 0; k < A::kRows; ++k) out[k][i] = encode_e4m3_scaled(a.tables[k].map, s[k], scales[k]);
  } else {
    std::uint8_t codes[A::kRows];
    for (int k = 0; k < A::kRows; ++k) codes[k] = encode_scaled(enc[k], a.tables[k].map, s[k], scales[k]);
    if (a.underflow_guard == UnderflowGuard::off) {
      // settle_element's count alone (underflowed()), from the kernel arguments, not the table.
      for (int k = 0; k < A::kRows; ++k) {
        under[k] += codes[k] == enc[k].zero_code && enc[k].zero_is_zero && fabsf(s[k]) > 0.0f ? 1u : 0u;
      }
    } else {
      const QuantTable* tables[A::kRows];
      std::uint8_t old[A::kRows];
      for (int k = 0; k < A::kRows; ++k) {
        tables[k] = &a.tables[k].map;
        old[k] = out[k][i];  // this thread decoded it and has not overwritten it yet
      }
      const unsigned rows =
          settle_element<A>(a.underflow_guard, tables, s, codes, StallContext{old, scales, a.state_rounding_key, a.first_element + e});
      for (int k = 0; k < A::kRows; ++k) under[k] += rows >> k & 1u;
    }
    for (int k = 0; k < A::kRows; ++k) out[k][i] = codes[k];
  }
}

/// Adds one thread's underflow counts to the step's (kMaxStateRows counters).
template <class A>
__device__ __forceinline__ void add_underflows(const KernelArgs& a, const unsigned* under) {
  for (int k = 0; k < A::kRows; ++k) {
    if (under[k] != 0) atomicAdd(&a.underflows[k], static_cast<unsigned long long>(under[k]));
  }
}

/// Max over the thread block of one non-NaN value per thread (blockDim.x a multiple of 32, at
/// most 256), returned to every thread. `scratch` holds kMaxWarps + 1 floats of shared memory.
__device__ __forceinline__ float block_max(float v, float* scratch) {
  for (unsigned offset = kWarp / 2; offset > 0; offset /= 2) {
    v = keep_max(v, __shfl_down_sync(0xffffffffu, v, offset));
  }
  const unsigned warp = threadIdx.x / kWarp;
  __syncthreads();  // the previous call's readers are done with scratch
  if (threadIdx.x % kWarp == 0) scratch[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float m = 0.0f;
    for (unsigned w = 0; w < blockDim.x / kWarp; ++w) m = keep_max(m, scratch[w]);
    scratch[kMaxWarps] = m;
  }
  __syncthreads();
  return scratch[kMaxWarps];
}

/// One state value of element e, decoded with the OLD scale (SPEC.md §5.3 step 1).
template <StateFormat F>
__device__ __forceinline__ float load_state(const KernelArgs& a, int row, std::size_t e, float old_scale) {
  if constexpr (!StateCodec<F>::kQuantized) {
    return a.values[row][e];
  } else if constexpr (StateCodec<F>::kElementBits == 4) {
    return decode_value(a.tables[row].map, nibble_at(a.codes[row], e), old_scale);
  } else {
    return decode_value(a.tables[row].map, a.codes[row][e], old_scale);
  }
}

/// Scale b of a row's per-block scales: fp32, or bf16 two per fp32 slot (scale16.hpp).
template <StateFormat F>
__device__ __forceinline__ float block_scale(const KernelArgs& a, int row, std::size_t b) {
  if constexpr (StateCodec<F>::kScaleBits == 16) {
    return load_scale16(a.absmax[row], b);
  } else {
    return a.absmax[row][b];
  }
}

/// The old scale of a row in the step kernel, where a thread block is one state block and the
/// finalizer has already moved the tensor-wise max aside (and replaced it with the new one).
template <StateFormat F>
__device__ __forceinline__ float step_old_scale(const KernelArgs& a, int row) {
  if constexpr (StateCodec<F>::kScale == ScaleKind::per_block) {
    return block_scale<F>(a, row, blockIdx.x);
  } else if constexpr (StateCodec<F>::kScale == ScaleKind::per_tensor) {
    return a.scalars->old_max[row];
  } else {
    return 0.0f;
  }
}

/// The old scale of element e's row in the pre-pass, where a thread block is a 256-element
/// reduction chunk (not a state block) and the tensor-wise max is still the old one.
template <StateFormat F>
__device__ __forceinline__ float prepass_old_scale(const KernelArgs& a, int row, std::size_t e) {
  if constexpr (StateCodec<F>::kScale == ScaleKind::per_block) {
    return block_scale<F>(a, row, StateCodec<F>::scale_index(e, a.block_size));
  } else if constexpr (StateCodec<F>::kQuantized) {
    return a.absmax[row][0];
  } else {
    return 0.0f;
  }
}

/// The value the update sees of parameter element e: p, or p + c when compensated (the CPU's
/// tensor_run and pre_pass load it the same way). `stored` receives p.
template <class T>
__device__ __forceinline__ float load_param(const KernelArgs& a, std::size_t e, float& stored, float& comp) {
  stored = Storage<T>::load(static_cast<const T*>(a.param)[e]);
  comp = a.rounding == ParamRounding::compensated ? Storage<T>::load(static_cast<const T*>(a.compensation)[e]) : 0.0f;
  return a.rounding == ParamRounding::compensated ? stored + comp : stored;
}

/// The update of one element with the rounding its parameter's mode asks for inside the update:
/// nearest rounds every assignment to T, the other modes run it in fp32 (param_rounding.hpp).
template <class A, class T>
__device__ __forceinline__ void update_element(const KernelArgs& a, float g, float& p, float* s, float scale) {
  if (a.rounding == ParamRounding::nearest) {
    A::template update<Storage<T>>(a.constants, g, p, s, scale);
  } else {
    A::template update<Storage<float>>(a.constants, g, p, s, scale);
  }
}

/// Stores the update's result x of element e under the parameter's rounding mode (stored, comp:
/// the pair before the step).
template <class T>
__device__ __forceinline__ void store_param(const KernelArgs& a, std::size_t e, float stored, float comp, float x) {
  T* param = static_cast<T*>(a.param);
  if (a.rounding == ParamRounding::stochastic) {
    param[e] = Storage<T>::store(stochastic_round<T>(x, rounding_bits(a.rounding_key, e)));
  } else if (a.rounding == ParamRounding::compensated) {
    float p = stored, c = comp;
    compensated_store<Storage<T>>(stored + comp, x, p, c);
    param[e] = Storage<T>::store(p);
    static_cast<T*>(a.compensation)[e] = Storage<T>::store(c);
  } else {
    param[e] = Storage<T>::store(x);
  }
}

/// Whether (A, F) has kernels: 4-bit state is offered for moment states only (docs/four_bit.md),
/// so the other update rules' 4-bit kernels are not compiled.
template <class A, StateFormat F>
inline constexpr bool kHasKernels = StateCodec<F>::kElementBits != 4 || A::kMomentStates;

/// Pre-pass: one 256-thread block per reduction chunk, one element per thread. Mirrors
/// cpu_detail::pre_pass: update-norm terms from A::unorm_term, parameter squares, and for
/// tensor-wise state the chunk's max |new state| (new states from A::update, not stored).
template <class A, class T, StateFormat F>
__global__ void __launch_bounds__(kThreadsPerBlock) prepass_kernel(const KernelArgs a) {
  using Codec = StateCodec<F>;
  constexpr bool kGuard = Codec::kQuantized;
  __shared__ float uterm[kReductionBlock];
  __shared__ float pterm[kReductionBlock];
  __shared__ float lanes[2][kReductionLanes];
  __shared__ float scratch[kMaxWarps + 1];

  const std::size_t chunk = blockIdx.x;
  const std::size_t begin = chunk * kReductionBlock;
  const std::size_t rest = a.n - begin;
  const unsigned len = rest < kReductionBlock ? static_cast<unsigned>(rest) : static_cast<unsigned>(kReductionBlock);
  const unsigned i = threadIdx.x;

  float row_abs[A::kRows];
  for (int k = 0; k < A::kRows; ++k) row_abs[k] = 0.0f;
  if (i < len) {
    const std::size_t e = begin + i;
    const float g = Storage<T>::load(static_cast<const T*>(a.grad)[e]) * a.gnorm_scale;
    float stored, comp;
    const float p = load_param<T>(a, e, stored, comp);
    float s[A::kRows];
    for (int k = 0; k < A::kRows; ++k) s[k] = load_state<F>(a, k, e, prepass_old_scale<F>(a, k, e));
    const bool ok = !kGuard || is_finite(g);
    uterm[i] = ok ? A::unorm_term(a.constants, g, p, s) : 0.0f;
    pterm[i] = p * p;
    if constexpr (Codec::kScale == ScaleKind::per_tensor) {
      float pp = p;
      if (ok) A::template update<Storage<T>>(a.constants, g, pp, s, 1.0f);
      for (int k = 0; k < A::kRows; ++k) row_abs[k] = keep_max(0.0f, fabsf(ok ? s[k] : 0.0f));
    }
  }
  if (a.clips) {
    __syncthreads();
    if (i < static_cast<unsigned>(kReductionLanes)) {  // lane i: elements i, i+8, i+16, ... in order
      float u = 0.0f, q = 0.0f;
      for (unsigned j = i; j < len; j += kReductionLanes) {
        u += uterm[j];
        q += pterm[j];
      }
      lanes[0][i] = u;
      lanes[1][i] = q;
    }
    __syncthreads();
    if (i == 0) {
      const float* lu = lanes[0];
      const float* lq = lanes[1];
      a.unorm_part[chunk] = ((lu[0] + lu[1]) + (lu[2] + lu[3])) + ((lu[4] + lu[5]) + (lu[6] + lu[7]));
      a.pnorm_part[chunk] = ((lq[0] + lq[1]) + (lq[2] + lq[3])) + ((lq[4] + lq[5]) + (lq[6] + lq[7]));
    }
  }
  if constexpr (Codec::kScale == ScaleKind::per_tensor) {
    for (int k = 0; k < A::kRows; ++k) {
      const float m = block_max(row_abs[k], scratch);
      if (i == 0) a.max_part[chunk * A::kRows + k] = m;
    }
  }
}

/// The step: one thread block per state block (block-wise: block_size elements, each thread a
/// strided share; otherwise 256 elements, one per thread). Mirrors cpu_detail::tensor_step's
/// block loop. Block-wise rows are staged in dynamic shared memory until the block's new absmax
/// is known; the parameter is written from the unquantized new states (SPEC.md §5.3 step 3).
/// Thread blocks of the step each multiprocessor must hold at once (0: no minimum, the
/// compiler's choice). On an H200 the 8-bit step of the two-row algorithms (Adam, AdamW, LAMB) is
/// latency-bound at 50% occupancy with 54-56 registers; capped at 48 by five blocks (65536 / (5 *
/// 256) = 51), ptxas takes 47 without spilling and the 8-bit Adam step kernel runs 14% faster
/// (results/gpu/README.md). The cap holds for any block size (it counts 256-thread blocks); the
/// block-wise step's 64-thread blocks (kStepElementsPerThread) then fit 21 to an SM. The one-row kernels already fit (26-40 registers) and AdEMAMix's
/// three rows would spill (44-92 bytes a thread): they keep the compiler's code, identical to the
/// unbounded kernel's.
template <class A>
inline constexpr int kStepBlocksPerSm = A::kRows == 2 ? 5 : 0;

template <class A, class T, StateFormat F>
__global__ void __launch_bounds__(kThreadsPerBlock, kStepBlocksPerSm<A>) step_kernel(const KernelArgs a) {
  using Codec = StateCodec<F>;
  constexpr bool kGuard = Codec::kQuantized;  // SPEC.md §3: 8-bit paths skip non-finite g
  constexpr bool kPerBlock = Codec::kScale == ScaleKind::per_block;
  float* shared = dynamic_shared();  // block-wise: [kMaxWarps + 1 scratch][rows][block_size]

  // 32-bit counts and offsets inside the block (at most 4096 elements), the block's start once in
  // 64 bits: the per-element index arithmetic and counters stay single instructions.
  const std::size_t per_block = kPerBlock ? a.block_size : kThreadsPerBlock;
  const std::size_t begin = static_cast<std::size_t>(blockIdx.x) * per_block;
  const std::size_t rest = a.n - begin;
  const unsigned len = static_cast<unsigned>(rest < per_block ? rest : per_block);

  const float scale = a.scalars != nullptr ? a.scalars->update_scale : 1.0f;
  float old_scale[A::kRows];
  float new_max[A::kRows];
  float local_max[A::kRows];
  for (int k = 0; k < A::kRows; ++k) {
    old_scale[k] = step_old_scale<F>(a, k);
    new_max[k] = Codec::kScale == ScaleKind::per_tensor ? a.scalars->new_max[k] : 0.0f;
    local_max[k] = 0.0f;
  }
  float* scratch = shared;
  float* staged = shared + (kMaxWarps + 1);
  const unsigned stride = static_cast<unsigned>(a.block_size);  // between the staged rows
  std::uint8_t* out[A::kRows];  // the rows' codes from the block's first element on (8-bit codes)
  for (int k = 0; k < A::kRows; ++k) out[k] = Codec::kQuantized && Codec::kElementBits == 8 ? a.codes[k] + begin : nullptr;

  const T* grad = static_cast<const T*>(a.grad);
  unsigned bad = 0;
  unsigned under[A::kRows] = {};
  for (unsigned i = threadIdx.x; i < len; i += blockDim.x) {
    const std::size_t e = begin + i;
    const float g = Storage<T>::load(grad[e]) * a.gnorm_scale;
    float stored, comp;
    float p = load_param<T>(a, e, stored, comp);
    const float p_old = p;
    float s[A::kRows];
    for (int k = 0; k < A::kRows; ++k) s[k] = load_state<F>(a, k, e, old_scale[k]);
    const bool held = Codec::kQuantized && holds_parameter<A>(a.underflow_guard, s);
    const bool ok = is_finite(g);
    bad += ok ? 0u : 1u;
    if (!kGuard || ok) {
      update_element<A, T>(a, g, p, s, scale);
    } else {
      for (int k = 0; k < A::kRows; ++k) s[k] = 0.0f;
    }
    store_param<T>(a, e, stored, comp, held ? p_old : p);
    if constexpr (!Codec::kQuantized) {
      for (int k = 0; k < A::kRows; ++k) a.values[k][e] = s[k];
    } else if constexpr (Codec::kScale == ScaleKind::per_tensor) {
      store_codes<A, Codec>(a, out, i, e, s, new_max, under);
    } else {
      for (int k = 0; k < A::kRows; ++k) {
        staged[k * stride + i] = s[k];
        local_max[k] = keep_max(local_max[k], fabsf(s[k]));
      }
    }
  }
  if constexpr (kPerBlock) {
    float m[A::kRows];
    for (int k = 0; k < A::kRows; ++k) {
      // block_max synchronizes the block, so every thread has read the old absmax before it is
      // overwritten and every staged value is visible below.
      const float max = block_max(local_max[k], scratch);
      if constexpr (Codec::kCodes == CodeKind::e4m3) {
        m[k] = e4m3_scale(max);  // absmax / 448 (docs/fp8.md)
      } else if constexpr (Codec::kScaleBits == 16) {
        m[k] = bf16_at_least(max);  // the bf16 absmax rounded up (docs/four_bit.md)
      } else {
        m[k] = max;
      }
      if (threadIdx.x == 0) {
        // A 16-bit scale shares its fp32 slot with the neighbouring block's, but each block
        // stores (and has read) only its own two bytes.
        if constexpr (Codec::kScaleBits == 16) {
          store_scale16(a.absmax[k], blockIdx.x, m[k]);
        } else {
          a.absmax[k][blockIdx.x] = m[k];
        }
      }
    }
    if constexpr (Codec::kElementBits == 4) {
      // Two codes per byte: each thread encodes a pair of staged elements (begin is even: the
      // blocks are 64 elements) as encode_nibbles does; 4-bit maps have no underflow remedy.
      for (unsigned j = threadIdx.x; 2 * j < len; j += blockDim.x) {
        const bool has_hi = 2 * j + 1 < len;
        for (int k = 0; k < A::kRows; ++k) {
          const float* row = staged + k * stride;
          a.codes[k][begin / 2 + j] =
              nibble_pair(a.tables[k].map.upper, a.tables[k].map.zero_code, row[2 * j], has_hi ? row[2 * j + 1] : 0.0f, has_hi, m[k]);
        }
      }
    } else {
      for (unsigned i = threadIdx.x; i < len; i += blockDim.x) {
        float s[A::kRows];
        for (int k = 0; k < A::kRows; ++k) s[k] = staged[k * stride + i];
        store_codes<A, Codec>(a, out, i, begin + i, s, m, under);
      }
    }
  }
  if (bad != 0) atomicAdd(a.nonfinite, static_cast<unsigned long long>(bad));
  if constexpr (Codec::kQuantized) add_underflows<A>(a, under);
}

/// The chunk partials of both norms added in chunk order in double (exactly cpu_detail::pre_pass's
/// order), the result meaningful in thread 0; every thread of the block calls it. The ordered sum
/// is one dependent chain of double additions on thread 0 (LAMB/LARS at 64M: 262,144 partials
/// per norm), so nothing else may sit on it: the partials are staged kStage at a time in shared
/// memory, already converted to double, and warps 1.. stage the next kStage while thread 0 adds
/// the current ones.
template <unsigned kStage>
__device__ __forceinline__ void ordered_norm_sums(const KernelArgs& a, std::size_t chunks, double& unorm_sq, double& pnorm_sq) {
  __shared__ double unorm_stage[2][kStage];
  __shared__ double pnorm_stage[2][kStage];
  // Stages round `round`'s partials into buffer round % 2, threads [first, blockDim.x) taking part.
  auto stage = [&](std::size_t round, unsigned first) {
    const std::size_t base = round * kStage;
    const std::size_t left = chunks - base;
    const unsigned count = left < kStage ? static_cast<unsigned>(left) : kStage;
    for (unsigned j = threadIdx.x - first; j < count; j += blockDim.x - first) {
      unorm_stage[round % 2][j] = static_cast<double>(a.unorm_part[base + j]);
      pnorm_stage[round % 2][j] = static_cast<double>(a.pnorm_part[base + j]);
    }
  };
  unorm_sq = 0.0;
  pnorm_sq = 0.0;
  const std::size_t rounds = (chunks + kStage - 1) / kStage;
  if (rounds > 0) stage(0, 0);
  __syncthreads();
  for (std::size_t round = 0; round < rounds; ++round) {
    if (threadIdx.x == 0) {
      const std::size_t left = chunks - round * kStage;
      const unsigned count = left < kStage ? static_cast<unsigned>(left) : kStage;
      const double* u = unorm_stage[round % 2];
      const double* q = pnorm_stage[round % 2];
      for (unsigned j = 0; j < count; ++j) {
        unorm_sq += u[j];
        pnorm_sq += q[j];
      }
    } else if (threadIdx.x >= kWarp && round + 1 < rounds) {
      stage(round + 1, kWarp);
    }
    __syncthreads();  // round + 1 staged, round's buffer free for round + 2
  }
}

/// Both norms' partials added in parallel, in no particular order, with the evidence of
/// exact_sum.hpp; `exact` (same in every thread) says whether both sums were exact, and so equal
/// to the ordered ones bit for bit. The sums are meaningful in thread 0 (blockDim.x a power of 2).
__device__ __forceinline__ void parallel_norm_sums(const KernelArgs& a, std::size_t chunks, double& unorm_sq, double& pnorm_sq,
                                                   bool& exact) {
  __shared__ double sums[2][kThreadsPerBlock];
  __shared__ int lowest[2][kThreadsPerBlock];
  __shared__ bool eligible[2][kThreadsPerBlock];
  ExactSumEvidence e[2];
  double s[2] = {0.0, 0.0};
  for (std::size_t c = threadIdx.x; c < chunks; c += blockDim.x) {
    const float terms[2] = {a.unorm_part[c], a.pnorm_part[c]};
    for (int k = 0; k < 2; ++k) {
      s[k] += static_cast<double>(terms[k]);
      e[k].add(terms[k]);
    }
  }
  const unsigned t = threadIdx.x;
  for (int k = 0; k < 2; ++k) {
    sums[k][t] = s[k];
    lowest[k][t] = e[k].lowest;
    eligible[k][t] = e[k].eligible;
  }
  __syncthreads();
  for (unsigned width = blockDim.x / 2; width > 0; width /= 2) {
    if (t < width) {
      for (int k = 0; k < 2; ++k) {
        sums[k][t] += sums[k][t + width];
        lowest[k][t] = lowest[k][t + width] < lowest[k][t] ? lowest[k][t + width] : lowest[k][t];
        eligible[k][t] = eligible[k][t] && eligible[k][t + width];
      }
    }
    __syncthreads();
  }
  exact = true;
  for (int k = 0; k < 2; ++k) {
    ExactSumEvidence all;
    all.lowest = lowest[k][0];
    all.eligible = eligible[k][0];
    exact = exact && all.exact(sums[k][0]);
  }
  unorm_sq = sums[0][0];
  pnorm_sq = sums[1][0];
  __syncthreads();  // every thread has read the decision before shared memory is reused
}

/// The pre-pass finalizer, one thread block: the norms' chunk partials summed (in parallel when
/// that is provably exact, else in chunk order: the same bits either way), sqrt, rounded to
/// float, clip_scale; the tensor-wise old max kept aside for the step kernel's decoding and the
/// new max stored. (A template only so that the header can define it in several translation
/// units, and so that a test can make the ordered sum's rounds small.)
template <unsigned kStage = 1024>
__global__ void __launch_bounds__(kThreadsPerBlock) finalize_kernel(const KernelArgs a, std::size_t chunks) {
  __shared__ float scratch[kMaxWarps + 1];

  double unorm_sq = 0.0, pnorm_sq = 0.0;  // meaningful in thread 0
  if (a.clips) {
    bool exact = false;
    parallel_norm_sums(a, chunks, unorm_sq, pnorm_sq, exact);
    if (!exact) ordered_norm_sums<kStage>(a, chunks, unorm_sq, pnorm_sq);
  }

  float new_max[kMaxStateRows] = {};
  if (a.per_tensor_scale) {
    const std::size_t rows = static_cast<std::size_t>(a.rows);
    for (int k = 0; k < a.rows; ++k) {
      float m = 0.0f;  // chunk maxima are never NaN, so the combination order does not matter
      for (std::size_t c = threadIdx.x; c < chunks; c += blockDim.x) m = keep_max(m, a.max_part[c * rows + static_cast<std::size_t>(k)]);
      new_max[k] = block_max(m, scratch);
    }
  }

  if (threadIdx.x == 0) {
    StepScalars s;
    if (a.clips) {
      s.unorm = static_cast<float>(sqrt(unorm_sq));
      s.pnorm = static_cast<float>(sqrt(pnorm_sq));
      s.update_scale = clip_scale(a.clip, s.unorm, s.pnorm, a.max_unorm, a.constants.eps);
    }
    if (a.per_tensor_scale) {
      for (int k = 0; k < a.rows; ++k) {
        s.old_max[k] = a.absmax[k][0];  // the step kernel decodes with it
        s.new_max[k] = new_max[k];
        a.absmax[k][0] = new_max[k];
      }
    }
    *a.scalars = s;
  }
}

}  // namespace bnb::kernels::cuda::device
