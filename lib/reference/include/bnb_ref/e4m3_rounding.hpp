#pragma once
// The fp8 state format's rounding (docs/fp8.md), written independently of the product's integer
// code (bnb/kernels/e4m3_codec.hpp): arithmetic on the e4m3 grid in double. e4m3 numbers below
// 2^-6 are spaced 2^-9 apart, those in [2^e, 2^(e+1)) 2^(e-3) apart, the largest is 448.
#include <cmath>

namespace bnb_ref {

/// y rounded to the nearest e4m3 number, ties to the even mantissa, saturating at +-448; with
/// keep_positive (non-negative rows) a y > 0 that would round to 0 becomes 2^-9. NaN gives 0,
/// and so does a y that rounds to 0 (no negative zero).
inline double round_to_e4m3(double y, bool keep_positive) {
  constexpr double kMax = 448.0;
  constexpr int kMinNormalExponent = -6;
  constexpr int kMantissaBits = 3;
  if (std::isnan(y)) return 0.0;
  const double a = std::fabs(y);
  int exponent = kMinNormalExponent;
  if (a >= std::ldexp(1.0, kMinNormalExponent)) exponent = std::ilogb(a);
  const double spacing = std::ldexp(1.0, exponent - kMantissaBits);
  // a / spacing is exact in double for every binary32 y; nearbyint rounds ties to even, and the
  // grid's even multiples are the even mantissas.
  double q = std::isinf(a) ? kMax : std::fmin(std::nearbyint(a / spacing) * spacing, kMax);
  if (q == 0.0 && keep_positive && y > 0.0) q = std::ldexp(1.0, kMinNormalExponent - kMantissaBits);
  if (q == 0.0) return 0.0;
  return y < 0.0 ? -q : q;
}

}  // namespace bnb_ref
