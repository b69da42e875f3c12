#pragma once
// The reference's emulation of the 16-bit parameter rounding modes (docs/param_rounding.md),
// written from that document's formulas, independently of the product's
// bnb/kernels/param_rounding.hpp: the random bits of (seed, tensor name, step, element), and
// stochastic rounding of a binary32 value to the fp16/bf16 grid with them.
#include <cstdint>
#include <string_view>

#include "bnb_ref/hyper.hpp"

namespace bnb_ref {

/// How a 16-bit parameter stores the result of its update (nearest: SPEC.md §3).
enum class ParamRoundingKind : std::uint8_t { nearest, stochastic, compensated };

/// The random stream of one tensor under one seed: step and element give the bits.
class RoundingStream {
 public:
  RoundingStream() = default;
  RoundingStream(std::uint64_t seed, std::string_view tensor_name);
  /// The 32 random bits of element e at step t (first step = 1).
  std::uint32_t bits(std::int64_t t, std::uint64_t e) const;

 private:
  std::uint64_t seed_ = 0;
  std::uint64_t tensor_ = 0;
};

/// x (rounded to binary32 first) rounded to the f16 or bf16 grid: to the neighbour above in
/// magnitude when the random bits' top b bits (b = 24 for f16, 16 for bf16) read as a fraction
/// of 2^b are below the fraction of the grid spacing by which |x| exceeds the neighbour below.
/// NaN stays NaN; beyond the largest finite value the result is Inf.
double stochastic_round(double x, StorageKind kind, std::uint32_t random_bits);

}  // namespace bnb_ref
