#pragma once
// When the decoupled weight decay cannot change a stored 16-bit parameter: p * decay rounded back
// to T is p itself for every value p of T once 1 - decay <= 2^-(s+2), an eighth of T's spacing
// at 1 (s: T's significand bits, bf16 8, fp16 11). A step that rounds to T before the decay
// (update_param's p = round(p) * decay) and again when it stores may then leave out that
// rounding and the multiplication: the same bits.
//
// Why, with d = 1 - decay <= 2^-(s+2):
// - a normal r = M * 2^q (2^(s-1) <= M < 2^s): fl32(r * decay) lies below r by at most
//   r * d + r * 2^-24, and the nearest value of T below r is at least r * 2^-s away (r a power of
//   two: the spacing below halves), so the product rounds back to r while d + 2^-24 < 2^-(s+1);
// - a subnormal r = k * u (k < 2^(s-1), u the smallest spacing): below r by k * d * u <= u / 8
//   and fp32's rounding, far less than u / 2;
// - 0, infinities and NaN stay what they are.
// decay_identity_test checks every value of both types at the bound and inside it.
#include <type_traits>

#include "bnb/kernels/dtype.hpp"

namespace bnb::kernels {

/// Significand bits of a 16-bit parameter type, the implicit one included.
template <class T>
inline constexpr int kSignificandBits = std::is_same_v<T, bf16_t> ? 8 : 11;

/// Whether round_T(p * decay) == p for every value p of T (T: half_t or bf16_t).
template <class T>
constexpr bool decay_keeps_every_value(float decay) {
  static_assert(std::is_same_v<T, half_t> || std::is_same_v<T, bf16_t>, "a 16-bit parameter type");
  constexpr float kLargestGap = 1.0f / static_cast<float>(1 << (kSignificandBits<T> + 2));
  return decay <= 1.0f && 1.0f - decay <= kLargestGap;  // 1 - decay is exact (Sterbenz)
}

}  // namespace bnb::kernels
