#pragma once
// Gather-free exact encoder for the two built-in 8-bit maps (SPEC.md §5.1), AVX-512: the code
// from register look-ups and one FMA instead of the bucket table's gathered word. Why: a 512-bit
// vpgatherdd costs ~7 ns on Zen 4 (2.5 ns on the Intel guest), and the two gathers per 16
// elements were ~65% of the fused 8-bit loop there (results/perf/round9/adam8.md).
//
// The maps are built from decades: each decade holds k equally spaced values (k doubling per
// decade), so inside one decade the code is first + floor(t) with t linear in |y| (thresholds
// at t = 1, 2, ..., k-1). The "pieces" are those decades plus the single-code ends (the code of
// 0.0 for the smallest positive y, and 1.0). Every binade of |y| holds at most one piece
// boundary, so
//   slot  = binade of |y| (exponent field mod 32; zero and (0, 2^-29] get a slot each);
//   piece = first_piece[slot] + (|y| >= bound[slot]), +16 for a negative y (mirrored pieces);
//   s     = fma(min(|y|, cap[piece]), slope[piece], offset[piece]),
// where offset holds 2^9 + first, so s's mantissa is the code in fixed point with 14 fraction
// bits: code = bits(s) >> 14 (low 8 bits). The cap keeps |y| inside its piece's last bucket (the
// linear form would run past the last code between 10^-d and the true decade boundary).
// A negative y takes 255 - first - t = the mirrored code (the signed map is symmetric but for
// 1.0, whose mirror piece is the constant code 0, and the sign correction of SPEC.md §5.3: a
// negative y never takes the code of 0.0, a positive one may).
// Exactness: the thresholds are the true midpoints (QuantTable::upper), which sit within a few
// ulps of the ideal t = integer, and ties differ between the signs; so lanes whose s lies within
// kNearSteps grid steps of an integer (1/2048 of a code either side) are not trusted: the caller
// then codes the vector with the bucket table. So do |y| > 1, NaN, for the unsigned map negative
// y (and -0), and for the signed map the one negative y that ties on a piece boundary
// (-0.0105625). With that fallback the result equals encode_value() on every float
// (decade_encoder_exhaustive_test: every float in [-1, 1], and the specials).
//
// Interface for the loops (simd_codec.hpp's DecadeCodes): DecadeEncoder(tables) once per loop,
// then codes(y, untrusted) per 16 quotients: the 16 codes as bytes, and the lanes to redo.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/kernels/quant_table.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define BNB_DECADE_CODEC 1
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

struct DecadeTables {
  static constexpr int kFractionBits = 14;
  static constexpr float kFixedBase = 512.0f;  // 2^(23 - kFractionBits): s in [512, 1024)
  static constexpr int kNearSteps = 8;         // grid steps either side of an integer not trusted
  // Slot of |y| > 0: e = exponent field of bits(|y|) - 1, i.e. the binade (2^(e-127), 2^(e-126)],
  // at least kTinyExp; slot = e mod 32. Zero wraps to e = 511: slot 31.
  static constexpr int kTinyExp = 97;  // (0, 2^-29]: subnormals and tiny normals, slot 1
  static constexpr int kTopExp = 126;  // (0.5, 1]
  static constexpr int kZeroSlot = 31;
  static constexpr int kZeroPiece = 15;  // the map's zero code for both signs

  alignas(64) float bound[32];               // per binade slot: the piece boundary inside it, or +inf
  alignas(64) std::int32_t first_piece[32];  // per slot: the piece at the slot's lowest value
  alignas(64) float slope[32];               // per piece, 16 + 16 for negative lanes
  alignas(64) float offset[32];
  alignas(64) float cap[32];
  bool is_signed = false;
  // The one negative y that lies exactly on a piece boundary's midpoint (a tie, which a negative
  // y breaks toward the larger magnitude, a positive one toward the smaller: bound[] serves the
  // positive side), or a NaN pattern that matches nothing.
  std::uint32_t negative_tie_bits = 0xffffffffu;
};

namespace decade_detail {

/// The code range [first, last] of each piece of positive y, ascending: signed 127 (0 < y below
/// the first threshold: a positive y keeps the code of 0.0) | 128 | 129-130 | ... | 191-254 | 255,
/// unsigned 0 | 1-2 | 3-6 | ... | 127-254 | 255.
inline int pieces(bool is_signed, int (&first)[16], int (&last)[16]) {
  int n = 0;
  int code = is_signed ? 128 : 1;
  first[n] = last[n] = code - 1, ++n;
  for (int k = is_signed ? 1 : 2; code < 255; k *= 2) {
    first[n] = code;
    last[n] = code + k - 1;
    code += k;
    ++n;
  }
  first[n] = last[n] = 255;
  return n + 1;
}

}  // namespace decade_detail

/// The tables for t, one of the two built-in maps, when its structure checks out (every slot
/// holds at most one boundary, every threshold well within the trusted distance of its integer).
inline std::optional<DecadeTables> make_decade_tables(const QuantTable& t) {
  DecadeTables d{};
  d.is_signed = t.is_signed;
  int first[16], last[16];
  const int n = decade_detail::pieces(t.is_signed, first, last);
  constexpr double base = DecadeTables::kFixedBase;
  for (int p = 0; p < 16; ++p) {
    d.slope[p] = d.slope[p + 16] = 0.0f;
    d.offset[p] = d.offset[p + 16] = static_cast<float>(base + 0.5);
    d.cap[p] = d.cap[p + 16] = 1.0f;
  }
  const double grid = std::ldexp(1.0, -DecadeTables::kFractionBits);
  for (int p = 0; p < n; ++p) {
    const int a = first[p], b = last[p];
    double slope = 0.0, origin = 0.5;  // t = |y| * slope + origin
    const double first_threshold = t.upper[a];
    if (b - a >= 2) {
      slope = (b - a - 1) / (static_cast<double>(t.upper[b - 1]) - first_threshold);
    } else if (b - a == 1) {
      slope = 1.0 / (static_cast<double>(t.values[b]) - static_cast<double>(t.values[a]));
    }
    if (b > a) origin = 1.0 - first_threshold * slope;
    d.slope[p] = static_cast<float>(slope);
    d.offset[p] = static_cast<float>(base + a + origin);
    d.cap[p] = t.values[b];
    // Every threshold inside the piece must land well inside the trusted distance of its integer
    // in the float arithmetic the encoder runs (the rest of the margin covers |y| next to it).
    for (int j = a; j < b; ++j) {
      const float s = std::fma(t.upper[j], d.slope[p], d.offset[p]);
      const double miss = std::fabs(static_cast<double>(s) - (base + j + 1));
      if (miss > (DecadeTables::kNearSteps / 2) * grid) return std::nullopt;
    }
    if (t.is_signed) {  // a negative y below the first threshold takes 126; -1.0 takes 0
      d.slope[p + 16] = -d.slope[p];
      d.offset[p + 16] = a == 127   ? static_cast<float>(base + 126.5)
                         : a == 255 ? static_cast<float>(base + 0.5)
                                    : static_cast<float>(base + 255 - a - origin);
      d.cap[p + 16] = d.cap[p];
    }
  }
  d.offset[DecadeTables::kZeroPiece] = d.offset[DecadeTables::kZeroPiece + 16] =
      static_cast<float>(base + t.zero_code + 0.5);
  // Slots: the piece containing the slot's lowest float, and the piece boundary (upper[first - 1])
  // above that, if any, inside the slot.
  for (int slot = 0; slot < 32; ++slot) d.first_piece[slot] = 0, d.bound[slot] = INFINITY;
  for (int e = DecadeTables::kTinyExp; e <= DecadeTables::kTopExp; ++e) {
    const double lo = std::nextafter(std::ldexp(1.0f, e - 127), INFINITY), hi = std::ldexp(1.0, e - 126);
    int at_lo = 0, inside = 0;
    float bound = INFINITY;
    for (int p = 1; p < n; ++p) {
      const double start = t.upper[first[p] - 1];
      if (start <= lo) at_lo = p;
      if (start > lo && start <= hi) bound = static_cast<float>(start), ++inside;
    }
    // The tiny slot also holds everything below its binade: no boundary there.
    if (inside > 1 || (e == DecadeTables::kTinyExp && (at_lo != 0 || inside != 0))) return std::nullopt;
    d.first_piece[e % 32] = at_lo;
    d.bound[e % 32] = bound;
  }
  d.first_piece[DecadeTables::kZeroSlot] = DecadeTables::kZeroPiece;
  int ties = 0;
  for (int p = 1; p < n && t.is_signed; ++p) {
    if (first[p] == 128 || first[p] == 255) continue;  // both sides' mirrors take one code (126, 0)
    const double mid = (static_cast<double>(t.values[first[p] - 1]) + static_cast<double>(t.values[first[p]])) / 2.0;
    if (static_cast<double>(static_cast<float>(mid)) == mid) {
      d.negative_tie_bits = float_bits(-static_cast<float>(mid));
      ++ties;
    }
  }
  if (ties > 1) return std::nullopt;
  return d;
}

/// The tables when t is one of the two built-in maps (values, signedness and zero code; built
/// once per map), else null: the caller keeps the bucket table.
inline const DecadeTables* builtin_decade_tables(const QuantTable& t) {
  static const QuantTable signed_map = make_quant_table(kSignedMapBits, true);
  static const QuantTable unsigned_map = make_quant_table(kUnsignedMapBits, false);
  static const std::optional<DecadeTables> signed_tables = make_decade_tables(signed_map);
  static const std::optional<DecadeTables> unsigned_tables = make_decade_tables(unsigned_map);
  const QuantTable& builtin = t.is_signed ? signed_map : unsigned_map;
  if (t.zero_code != builtin.zero_code || std::memcmp(t.values, builtin.values, sizeof t.values) != 0 ||
      std::memcmp(t.upper, builtin.upper, sizeof t.upper) != 0) {
    return nullptr;
  }
  const std::optional<DecadeTables>& d = t.is_signed ? signed_tables : unsigned_tables;
  return d ? &*d : nullptr;
}

#if BNB_DECADE_CODEC
/// The tables in registers, and the per-vector encoder.
class DecadeEncoder {
 public:
  explicit DecadeEncoder(const DecadeTables& d)
      : bound0_(_mm512_load_ps(d.bound)), bound1_(_mm512_load_ps(d.bound + 16)),
        piece0_(_mm512_load_si512(d.first_piece)), piece1_(_mm512_load_si512(d.first_piece + 16)),
        slope0_(_mm512_load_ps(d.slope)), slope1_(_mm512_load_ps(d.slope + 16)),
        offset0_(_mm512_load_ps(d.offset)), offset1_(_mm512_load_ps(d.offset + 16)),
        cap0_(_mm512_load_ps(d.cap)), cap1_(_mm512_load_ps(d.cap + 16)),
        negative_tie_(_mm512_set1_epi32(static_cast<int>(d.negative_tie_bits))), is_signed_(d.is_signed) {}

  /// The codes of the 16 lanes of y as bytes; `untrusted` gets the lanes this encoder cannot
  /// vouch for (near a threshold, |y| > 1, NaN, unsigned negatives): their bytes are garbage.
  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& untrusted) const {
    const __m512i bits = _mm512_castps_si512(y);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i mag = is_signed_ ? _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff)) : bits;
    const __m512 magf = _mm512_castsi512_ps(mag);
    // e = exponent of bits(|y|) - 1 (powers of two join the binade below, zero wraps to 511)
    const __m512i slot = _mm512_max_epu32(_mm512_srli_epi32(_mm512_sub_epi32(mag, one), 23),
                                          _mm512_set1_epi32(DecadeTables::kTinyExp));
    const __m512 bound = _mm512_permutex2var_ps(bound0_, slot, bound1_);
    __m512i piece = _mm512_permutex2var_epi32(piece0_, slot, piece1_);
    piece = _mm512_mask_add_epi32(piece, _mm512_cmp_ps_mask(magf, bound, _CMP_GE_OQ), piece, one);
    if (is_signed_) piece = _mm512_mask_or_epi32(piece, _mm512_movepi32_mask(bits), piece, _mm512_set1_epi32(16));
    const __m512 capped = _mm512_min_ps(magf, _mm512_permutex2var_ps(cap0_, piece, cap1_));
    const __m512 s = _mm512_fmadd_ps(capped, _mm512_permutex2var_ps(slope0_, piece, slope1_),
                                     _mm512_permutex2var_ps(offset0_, piece, offset1_));
    const __m512i sbits = _mm512_castps_si512(s);
    constexpr int near = DecadeTables::kNearSteps;
    constexpr int fraction_mask = (1 << DecadeTables::kFractionBits) - 1;
    const __mmask16 near_integer = _mm512_testn_epi32_mask(_mm512_add_epi32(sbits, _mm512_set1_epi32(near)),
                                                           _mm512_set1_epi32(fraction_mask & ~(2 * near - 1)));
    const __mmask16 outside = _mm512_cmpgt_epu32_mask(mag, _mm512_set1_epi32(0x3f800000));
    untrusted = static_cast<__mmask16>(near_integer | outside);
    if (is_signed_) untrusted = static_cast<__mmask16>(untrusted | _mm512_cmpeq_epi32_mask(bits, negative_tie_));
    const __m512i code = _mm512_srli_epi32(sbits, DecadeTables::kFractionBits);  // the code in byte 0
#if defined(__AVX512VBMI__)
    // Byte 0 of every 32-bit lane to bytes 0-15: one vpermb (vpmovdb is two uops).
    const __m512i low_bytes = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3c383430, 0x2c282420, 0x1c181410,
                                               0x0c080400);
    return _mm512_castsi512_si128(_mm512_permutexvar_epi8(low_bytes, code));
#else
    return _mm512_cvtepi32_epi8(code);
#endif
  }

 private:
  __m512 bound0_, bound1_;
  __m512i piece0_, piece1_;
  __m512 slope0_, slope1_, offset0_, offset1_, cap0_, cap1_;
  __m512i negative_tie_;
  bool is_signed_;
};
#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
