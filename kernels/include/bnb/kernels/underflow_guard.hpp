#pragma once
// The 8-bit underflow hazard (docs/eight_bit.md) and its remedies, per element, shared by the
// backends. bitsandbytes stores a state value far below its block's absmax as the zero code of
// the unsigned map (v of Adam, nu of AdEMAMix); the next step divides m by (0 + eps) and the
// element jumps thousands of learning rates. The counts and the remedies act on the codes the
// step has just encoded (settle_element) or, for zero_update, on the states it has just decoded.
#include <cstdint>

#include "bnb/kernels/hd.hpp"
#include "bnb/kernels/quant_table.hpp"

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

/// One element's new codes of the rows of A (x: the new values they encode): applies the remedy
/// at encode time and returns the rows whose value underflowed (bit k: row k; counted before the
/// remedy, so a guarded run reports where its guard acted).
template <class A>
BNB_HD unsigned settle_element(UnderflowGuard g, const QuantTable* const* tables, const float* x, std::uint8_t* codes) {
  unsigned under = 0;
  for (int k = 0; k < A::kRows; ++k) under |= underflowed(*tables[k], codes[k], x[k]) ? 1u << k : 0u;
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
