#pragma once
// How a 16-bit parameter stores the fp32 result of its update (docs/param_rounding.md): the
// per-element math shared by the CPU step and the CUDA kernels, so both give the same bits.
//   nearest      round to nearest-even after every assignment (SPEC.md §3; the default)
//   stochastic   the update runs in fp32, the result rounds up or down at random with the
//                probability of its distance: E[stored] = fp32 result. The random bits are a
//                counter-based hash of (seed, tensor, step, element index), never of a thread
//   compensated  a compensation buffer c of the parameter's dtype holds the rounding error: the
//                update runs in fp32 on p + c, p = nearest(x), c = nearest(x - p)
// fp32 parameters store the fp32 result whatever the mode.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/dtype.hpp"

namespace bnb {

enum class ParamRounding : std::uint8_t { nearest, stochastic, compensated };

inline constexpr ParamRounding kAllParamRoundings[] = {ParamRounding::nearest, ParamRounding::stochastic,
                                                      ParamRounding::compensated};

/// "nearest", "stochastic", "compensated": the param_rounding argument's values.
inline const char* param_rounding_name(ParamRounding m) {
  switch (m) {
    case ParamRounding::nearest: return "nearest";
    case ParamRounding::stochastic: return "stochastic";
    case ParamRounding::compensated: return "compensated";
  }
  return "?";
}

/// The random stream of one tensor's step (stochastic rounding), derived on the host.
struct RoundingKey {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
};

}  // namespace bnb

namespace bnb::kernels {

/// SplitMix64's finalizer: a bijection of 64-bit words with full avalanche.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// The key of step `step` (1 = first) of tensor `tensor` under `seed`.
inline RoundingKey rounding_key(std::uint64_t seed, std::uint64_t tensor, std::int64_t step) {
  const std::uint64_t z = mix64(mix64(mix64(seed) ^ tensor) ^ static_cast<std::uint64_t>(step));
  return RoundingKey{static_cast<std::uint32_t>(z), static_cast<std::uint32_t>(z >> 32)};
}

/// FNV-1a of a parameter name: the `tensor` of rounding_key, so a tensor's stream does not
/// depend on its position in the optimizer.
inline std::uint64_t tensor_id(const char* name, std::size_t len) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < len; ++i) h = (h ^ static_cast<unsigned char>(name[i])) * 0x100000001b3ull;
  return h;
}

/// A 32-bit bijection with low bias (Wellons' "lowbias32"): 32-bit multiplies only, so the CPU
/// loop vectorizes it.
BNB_HD std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/// The 32 random bits of element e of a step.
BNB_HD std::uint32_t rounding_bits(RoundingKey k, std::uint64_t e) {
  return mix32(mix32(static_cast<std::uint32_t>(e) ^ k.lo) + (k.hi ^ static_cast<std::uint32_t>(e >> 32)));
}

/// x stochastically rounded to bf16 with random bits r (as a float on the bf16 grid): the
/// magnitude rounds up when the top 16 random bits are below the 16 dropped bits of the binary32
/// pattern, i.e. with probability (distance to the lower neighbour) / spacing, exactly. NaN as
/// nearest (quiet, top payload kept); Inf stays Inf; beyond the largest bf16 it may round to Inf.
BNB_HD float stochastic_round_bf16(float x, std::uint32_t r) {
  const std::uint32_t u = float_bits(x);
  const std::uint32_t rounded = (u & 0xffff0000u) + ((r >> 16) < (u & 0xffffu) ? 0x10000u : 0u);
  const std::uint32_t nan = (u | 0x00400000u) & 0xffff0000u;
  return bits_float((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

/// x stochastically rounded to fp16 (as a float on the fp16 grid): |x| / spacing splits into
/// an integer and a fraction f (exact: the spacing 2^(E-10) is a power of two, E the fp16
/// exponent of x clamped to -14..15, subnormals sharing -14's), and the magnitude rounds up
/// when the top 24 random bits / 2^24 < f (bf16's rule with 24 bits). Unbiased to 2^-24 of the spacing; beyond 65504 the result
/// is Inf; NaN as nearest (quiet, top 10 payload bits kept). Written with selects so that the
/// CPU loop vectorizes it.
BNB_HD float stochastic_round_half(float x, std::uint32_t r) {
  const std::uint32_t u = float_bits(x);
  const std::uint32_t sign = u & 0x80000000u;
  const std::uint32_t a = u & 0x7fffffffu;
  std::uint32_t e = a >> 23;
  e = e < 113u ? 113u : e > 142u ? 142u : e;
  const float spacing = bits_float((e - 10u) << 23);
  const float inverse = bits_float((264u - e) << 23);  // 1 / spacing
  float y = bits_float(a) * inverse;
  y = y < 4096.0f ? y : 4096.0f;  // beyond the fp16 range (and NaN): selected away below
  const float lower = static_cast<float>(static_cast<std::int32_t>(y));
  const float threshold = static_cast<float>(r >> 8) * 5.9604644775390625e-8f;  // 2^-24
  const float magnitude = (lower + (threshold < y - lower ? 1.0f : 0.0f)) * spacing;
  const std::uint32_t nan = sign | 0x7fc00000u | (a & 0x007fe000u);
  const std::uint32_t out = a > 0x7f800000u          ? nan
                            : magnitude > 65504.0f ? (sign | 0x7f800000u)
                                                   : (sign | float_bits(magnitude));
  return bits_float(out);
}

/// Stochastic rounding to T's grid; fp32 keeps x.
template <class T>
BNB_HD float stochastic_round(float x, std::uint32_t r) {
  if constexpr (Storage<T>::dtype == DType::bf16) {
    return stochastic_round_bf16(x, r);
  } else if constexpr (Storage<T>::dtype == DType::f16) {
    return stochastic_round_half(x, r);
  } else {
    (void)r;
    return x;
  }
}

/// The compensated store: x is the fp32 result of the update on before = p + c. The pair
/// becomes p = nearest(x) and c = nearest(x - p) (x - p is exact); an update that left the sum
/// unchanged (skip_zeros, a skipped non-finite gradient) keeps the pair as it was, and a
/// non-finite p gets c = 0 so that Inf does not turn into NaN at the next step. Round is the
/// nearest rounding to T (Storage<T>::round, or the CPU's bit-identical VectorStorage<T>::round).
template <class Round>
BNB_HD void compensated_store(float before, float x, float& p, float& c) {
  const float pn = Round::round(x);
  const float cn = fabsf(pn) <= 3.40282347e38f ? Round::round(x - pn) : 0.0f;
  const bool keep = x == before;
  p = keep ? p : pn;
  c = keep ? c : cn;
}

}  // namespace bnb::kernels
