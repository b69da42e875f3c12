#pragma once
// When an ordered sum of floats in double can be added in any order with the same bits.
//
// The pre-pass norms are the chunk partials added one after another in double (step_request.hpp):
// one chain of dependent additions, which the GPU runs on a single thread. But if every term is
// a non-negative multiple of 2^L and the exact total is below 2^(L+53), every partial sum in
// every order is an integer multiple of 2^L below 2^53 * 2^L, which a double holds exactly: no
// addition rounds, so any order gives the exact total, the ordered sum's bits included. Typical
// partials (sums of squares of similar magnitude) span far fewer than 53 binades, so the GPU adds
// them in parallel when this evidence holds and keeps the ordered chain when it does not.
#include <bit>
#include <cmath>
#include <cstdint>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/hd.hpp"

namespace bnb::kernels {

/// The exponent of the lowest set bit of a positive finite float: x is a multiple of 2^result.
BNB_HD int lowest_bit_exponent(float x) {
  const std::uint32_t bits = float_bits(x);
  const std::uint32_t biased = bits >> 23;
  const std::uint32_t significand = biased == 0 ? bits & 0x7fffffu : (bits & 0x7fffffu) | 0x800000u;
#if defined(__CUDA_ARCH__)
  const int trailing = __ffs(static_cast<int>(significand)) - 1;
#else
  const int trailing = std::countr_zero(significand);
#endif
  return (biased == 0 ? -149 : static_cast<int>(biased) - 150) + trailing;
}

/// What a set of terms tells about whether their double sum is order-independent. Gathered per
/// term, merged in any order.
struct ExactSumEvidence {
  static constexpr int kNoBits = 1 << 20;  // no nonzero term yet
  int lowest = kNoBits;                    // min lowest_bit_exponent over the nonzero terms
  bool eligible = true;                    // every term non-negative and finite

  BNB_HD void add(float x) {
    if (!(x >= 0.0f && x <= 3.40282347e38f)) {
      eligible = false;  // negative, +-Inf or NaN: cancellation and NaN orders are not covered
    } else if (x != 0.0f) {
      const int l = lowest_bit_exponent(x);
      lowest = l < lowest ? l : lowest;
    }
  }

  BNB_HD void merge(const ExactSumEvidence& other) {
    eligible = eligible && other.eligible;
    lowest = other.lowest < lowest ? other.lowest : lowest;
  }

  /// Whether the terms' double sum, `sum` as computed in some order (of at most 2^31 terms),
  /// was exact, so that every order gives its bits. Computed sums of n non-negative terms are at
  /// least the exact total times (1 - 2^-53)^(n-1), so the exact total is below sum * (1 + 2^-19)
  /// (n <= 2^31; the margin also covers the multiplication's own rounding).
  BNB_HD bool exact(double sum) const {
    if (!eligible) return false;
    if (lowest == kNoBits) return true;  // every term zero
    return sum * (1.0 + 0x1p-19) < ldexp(1.0, lowest + 53);
  }
};

}  // namespace bnb::kernels
