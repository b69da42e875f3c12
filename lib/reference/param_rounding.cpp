// The random bits and stochastic rounding of docs/param_rounding.md, in plain integer and
// double arithmetic.
#include "bnb_ref/param_rounding.hpp"

#include <cmath>

#include "bnb_ref/storage_rounding.hpp"

namespace bnb_ref {
namespace {

/// SplitMix64's output function.
std::uint64_t splitmix_finalize(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Wellons' lowbias32.
std::uint32_t lowbias32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (char ch : text) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

RoundingStream::RoundingStream(std::uint64_t seed, std::string_view tensor_name)
    : seed_(seed), tensor_(fnv1a(tensor_name)) {}

std::uint32_t RoundingStream::bits(std::int64_t t, std::uint64_t e) const {
  const std::uint64_t key =
      splitmix_finalize(splitmix_finalize(splitmix_finalize(seed_) ^ tensor_) ^ static_cast<std::uint64_t>(t));
  const auto key_low = static_cast<std::uint32_t>(key);
  const auto key_high = static_cast<std::uint32_t>(key >> 32);
  const std::uint32_t first = lowbias32(static_cast<std::uint32_t>(e) ^ key_low);
  return lowbias32(first + (key_high ^ static_cast<std::uint32_t>(e >> 32)));
}

double stochastic_round(double x, StorageKind kind, std::uint32_t random_bits) {
  if (kind != StorageKind::f16 && kind != StorageKind::bf16) return round_to_storage(x, kind);
  const double f = round_to_f32(x);
  if (std::isnan(f)) return round_to_storage(f, kind);  // NaN stays NaN
  const bool half = kind == StorageKind::f16;
  const int mantissa_bits = half ? 10 : 7;
  const int min_exponent = half ? -14 : -126;         // below: the subnormal spacing
  const double max_finite = half ? 65504.0 : 3.3895313892515355e38;
  const int random_width = half ? 24 : 16;
  const double magnitude = std::fabs(f);
  if (std::isinf(magnitude)) return f;
  int exponent = 0;
  (void)std::frexp(magnitude, &exponent);  // magnitude = m * 2^exponent, m in [0.5, 1)
  const int e = magnitude == 0 ? min_exponent : std::max(exponent - 1, min_exponent);
  const double spacing = std::ldexp(1.0, e - mantissa_bits);
  const double below = std::floor(magnitude / spacing) * spacing;
  const double fraction = (magnitude - below) / spacing;
  const double threshold = std::ldexp(static_cast<double>(random_bits >> (32 - random_width)), -random_width);
  const double rounded = threshold < fraction ? below + spacing : below;
  const double result = rounded > max_finite ? HUGE_VAL : rounded;
  return std::copysign(result, f);
}

}  // namespace bnb_ref
