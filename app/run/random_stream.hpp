#pragma once
// Counter-based random numbers: every value is a pure function of (seed, stream, step, element
// index), so a run is reproducible whatever the thread count or schedule (never keyed on thread
// ids, DESIGN.md §6). Streams separate tensors and purposes (init, gradient, optimum, ...).
#include <cmath>
#include <cstdint>
#include <numbers>

namespace bnb::app {

constexpr std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finalizer: a bijection
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/// The key of one (seed, stream, step) triple; elements then mix in their index.
constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream, std::uint64_t step) {
  return mix64(mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ (stream * 0xd6e8feb86659fd93ull + 1)) ^
               (step * 0xa0761d6478bd642full + 2));
}

constexpr std::uint64_t element_bits(std::uint64_t key, std::uint64_t index) {
  return mix64(key ^ mix64(index + 0x632be59bd9b4e019ull));
}

/// Uniform in (0, 1) from 32 bits (never 0, so log() is safe).
inline double unit_open(std::uint32_t bits) { return (static_cast<double>(bits) + 0.5) * 0x1p-32; }

/// Two independent N(0,1) values from one 64-bit draw (Box-Muller).
inline void normal_pair(std::uint64_t bits, double& z0, double& z1) {
  const double radius = std::sqrt(-2.0 * std::log(unit_open(static_cast<std::uint32_t>(bits))));
  const double angle = 2.0 * std::numbers::pi * unit_open(static_cast<std::uint32_t>(bits >> 32));
  z0 = radius * std::cos(angle);
  z1 = radius * std::sin(angle);
}

inline double normal_at(std::uint64_t key, std::uint64_t index) {
  double z0 = 0, z1 = 0;
  normal_pair(element_bits(key, index), z0, z1);
  return z0;
}

/// Uniform in [-1, 1).
inline double symmetric_uniform_at(std::uint64_t key, std::uint64_t index) {
  return static_cast<double>(element_bits(key, index) >> 11) * 0x1p-52 - 1.0;
}

// Stream purposes: tensor i uses stream purpose * 2^32 + i.
enum class StreamPurpose : std::uint64_t { init = 1, gradient = 2, optimum = 3, design = 4, noise = 5, sparsity = 6 };

constexpr std::uint64_t stream_id(StreamPurpose purpose, std::size_t tensor) {
  return (static_cast<std::uint64_t>(purpose) << 32) + tensor;
}

}  // namespace bnb::app
