#pragma once
// The 8-bit underflow hazard (docs/eight_bit.md) and its remedies, per element, shared by the
// backends. bitsandbytes stores a state value far below its block's absmax as the zero code of
// the unsigned map (v of Adam, nu of AdEMAMix); the next step divides m by (0 + eps) and the
// element jumps thousands of learning rates. The counts and the remedies act on the codes the
// step has just encoded (settle_element) or, for zero_update, on the states it has just decoded.
//
// The same rounding loses small changes too: a state whose new value rounds to the code it
// already had does not move, though the exact one did (a stall). m moves by (1 - β1)(g - m) per
// step and v by (1 - β2)(g² - v), so m stays put while g is within ~5 code spacings of it and v
// while g² is within ~500: a slowly changing gradient leaves both lagging. drop_momentum_unstall
// rounds such a value stochastically between its code and the neighbour on its side, so on
// average it moves by its exact change (docs/eight_bit.md measures what this buys).
#include <cstdint>

#include "bnb/kernels/hd.hpp"
#include "bnb/kernels/param_rounding.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/state_view.hpp"

namespace bnb::kernels {

/// `underflow_guard` of the library (our extension): which remedy runs. off is bitsandbytes'
/// behaviour (the hazard is only counted); the library's `underflow_guard: true` runs the best
/// of docs/eight_bit.md's comparison (results/underflow/, lib/src/optimizer.cpp).
enum class UnderflowGuard : std::uint8_t {
  off,
  smallest_code,  // an unsigned row's underflowed code becomes its smallest non-zero code
  drop_momentum,  // an element whose unsigned row underflowed stores 0 in its signed rows too
  zero_update,    // an element whose unsigned row decodes to 0 under a non-zero signed row keeps p
  smallest_code_drop_momentum,  // both: the unsigned row's smallest non-zero code and 0 in the signed rows
  drop_momentum_unstall,  // a stalled code of any row rounds stochastically (unstalled_code), then drop_momentum
};

/// Bit k set: row k of A has a signed map. (A mask, not A::kRowSigned[k]: a static array member
/// cannot be read in CUDA device code, a constexpr scalar can.)
template <class A>
constexpr unsigned signed_row_mask() {
  unsigned mask = 0;
  for (int k = 0; k < A::kRows; ++k) mask |= A::kRowSigned[k] ? 1u << k : 0u;
  return mask;
}
template <class A>
inline constexpr unsigned kSignedRows = signed_row_mask<A>();

/// The hazard: a non-zero x stored as a code that decodes to 0. (NaN is not counted: the steps
/// store it as the zero code on purpose.)
BNB_HD bool underflowed(const QuantTable& t, std::uint8_t code, float x) {
  return code == t.zero_code && t.values[code] == 0.0f && fabsf(x) > 0.0f;
}

/// The random bits of row `row` of element e (the element's index in its whole tensor) in a step
/// whose state stream is `key` (an Optimizer derives it from its seed, the tensor and the step).
BNB_HD std::uint32_t state_rounding_bits(RoundingKey key, std::uint64_t e, int row) {
  return rounding_bits(key, e * kMaxStateRows + static_cast<std::uint64_t>(row));
}

/// The step b - a from `code`'s value a to its neighbour's b, up (code + 1) or down, that
/// unstalled_code divides by; 0 where it keeps the code: the ends of the map, and onto or across 0
/// (b = 0, or a and b of opposite signs), which keeps the signed map's sign correction and does
/// not create an underflow. (The CPU's vector rule tabulates it per map, unstall_simd.hpp.)
BNB_HD float unstall_span(const QuantTable& t, int code, bool up) {
  const int other = up ? code + 1 : code - 1;
  if (other < 0 || other > 255) return 0.0f;
  const float a = t.values[code], b = t.values[other];
  if (b == 0.0f || (a < 0.0f && b > 0.0f) || (a > 0.0f && b < 0.0f)) return 0.0f;
  return b - a;
}

/// unstall: `code` is the nearest code of x / scale and `old` the element's code before the step.
/// When they are equal and y = x / scale is not that code's value a, the code moves to the
/// neighbour b on y's side when the top 24 random bits / 2^24 < (y - a) / (b - a) (fp32), so the
/// decoded value is y on average (unless unstall_span keeps it). A zero scale (all zero codes)
/// and NaN keep the code; so does y = a (down, (y - a) / (b - a) = -0 is no u's).
BNB_HD std::uint8_t unstalled_code(const QuantTable& t, std::uint8_t code, std::uint8_t old, float x, float scale,
                                   std::uint32_t bits) {
  if (code != old || scale == 0.0f) return code;
  const float y = x / scale;
  const float a = t.values[code];
  const bool up = y > a;
  const float span = unstall_span(t, code, up);
  const float u = static_cast<float>(bits >> 8) * 5.9604644775390625e-8f;  // 2^-24
  return span != 0.0f && u < (y - a) / span ? static_cast<std::uint8_t>(up ? code + 1 : code - 1) : code;
}

/// What drop_momentum_unstall needs of an element besides its new codes: its codes before the
/// step, the scale each row's new codes encode with, the step's state stream and the element's
/// index in its whole tensor.
struct StallContext {
  const std::uint8_t* old = nullptr;
  const float* scale = nullptr;
  RoundingKey key{};
  std::uint64_t element = 0;
};

/// One element's new codes of the rows of A (x: the new values they encode): applies the remedy
/// at encode time and returns the rows whose value underflowed (bit k: row k; counted before the
/// remedy, so a guarded run reports where its guard acted). `stall` is read by
/// drop_momentum_unstall only.
template <class A>
BNB_HD unsigned settle_element(UnderflowGuard g, const QuantTable* const* tables, const float* x, std::uint8_t* codes,
                               const StallContext& stall = {}) {
  unsigned under = 0;
  for (int k = 0; k < A::kRows; ++k) under |= underflowed(*tables[k], codes[k], x[k]) ? 1u << k : 0u;
  if (g == UnderflowGuard::drop_momentum_unstall) {
    bool unsigned_under = false;
    for (int k = 0; k < A::kRows; ++k) {
      codes[k] = unstalled_code(*tables[k], codes[k], stall.old[k], x[k], stall.scale[k],
                                state_rounding_bits(stall.key, stall.element, k));
      unsigned_under = unsigned_under || ((kSignedRows<A> >> k & 1u) == 0 && underflowed(*tables[k], codes[k], x[k]));
    }
    for (int k = 0; k < A::kRows; ++k) {
      if (unsigned_under && (kSignedRows<A> >> k & 1u) != 0) codes[k] = tables[k]->zero_code;
    }
    return under;
  }
  if (under == 0 || g == UnderflowGuard::off || g == UnderflowGuard::zero_update) return under;
  bool unsigned_under = false;
  for (int k = 0; k < A::kRows; ++k) {
    if ((kSignedRows<A> >> k & 1u) != 0 || (under >> k & 1u) == 0) continue;
    unsigned_under = true;
    if (g == UnderflowGuard::smallest_code || g == UnderflowGuard::smallest_code_drop_momentum) codes[k] = static_cast<std::uint8_t>(tables[k]->zero_code + 1);
  }
  if ((g == UnderflowGuard::drop_momentum || g == UnderflowGuard::smallest_code_drop_momentum) && unsigned_under) {
    for (int k = 0; k < A::kRows; ++k) {
      if ((kSignedRows<A> >> k & 1u) != 0) codes[k] = tables[k]->zero_code;
    }
  }
  return under;
}

/// zero_update: whether an element whose states were just decoded (s, rows of A) keeps its
/// parameter this step, because an unsigned row reads 0 while a signed one does not.
template <class A>
BNB_HD bool holds_parameter(UnderflowGuard g, const float* s) {
  if (g != UnderflowGuard::zero_update) return false;
  bool unsigned_zero = false, signed_nonzero = false;
  for (int k = 0; k < A::kRows; ++k) {
    if ((kSignedRows<A> >> k & 1u) != 0) {
      signed_nonzero = signed_nonzero || s[k] != 0.0f;
    } else {
      unsigned_zero = unsigned_zero || s[k] == 0.0f;
    }
  }
  return unsigned_zero && signed_nonzero;
}

}  // namespace bnb::kernels
