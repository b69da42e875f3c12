#pragma once
// Gather-free exact encoder for the two built-in 8-bit maps (SPEC.md §5.1), AVX-512: the code
// from register look-ups and one FMA instead of the bucket table's gathered word. Why: a 512-bit
// vpgatherdd costs ~7 ns on Zen 4 (2.5 ns on the Intel guest), and the two gathers per 16
// elements were ~65% of the fused 8-bit loop there (results/perf/round9/adam8.md).
//
// The maps are built from decades: each decade holds k equally spaced values (k doubling per
// decade), so inside one decade the code is first + floor(t) with t linear in |y|. The "pieces"
// are those decades plus single-code ones (signed: exact zero; (0, first threshold), where a
// positive y keeps the code of 0.0 and a negative one takes 126; 1.0's bucket). One table set
// serves both signs (the signed map mirrors its positive half but for those single codes):
//   m     = min(|y|, 1)  (larger |y| and Inf code as 1.0 does);
//   pair  = bits(m) >> 24, a pair of binades: every pair holds at most one piece start, and the
//           64 pairs up to 1.0 are vpermb's 64-byte table (AVX-512F without VBMI: vpermt2d over
//           pairs 32-63, everything below 2^-63 clamped into pair 32);
//   piece = first[pair] + (bits(m) >= start[first[pair] + 1])  (one integer compare);
//   s     = fma(±min(|y|, cap[piece]), slope[piece], offset[piece + 16 if y < 0]),
// with y's sign on the capped magnitude (vrangeps), and offset holding 2^8 + the piece's code
// origin (a negative y's the mirrored code 255 - first - origin, or its single code), so s's
// mantissa is the code in fixed point with 15 fraction bits: code = bits(s) >> 15. The cap keeps
// |y| inside its piece's last bucket (the line would pass the last code between 10^-d and the
// true decade boundary). The unsigned map takes m = min(max(y, 0), 1): negative y, -0 and NaN
// take the zero piece (code 0, as encode_value gives).
// Exactness: the thresholds are the true midpoints (QuantTable::upper), within about a grid step
// of the line's integers, and ties differ between the signs; so lanes whose s lies within
// kWindow grid steps of an integer (the bias is in the offsets: one vptestmd on the fraction
// bits) are not trusted, nor (signed map) NaN and the one negative y that ties on a piece start
// (-0.0105625), in one vcmpps NEQ_OQ: the caller codes such a vector with the bucket table.
// With that fallback the result equals encode_value() on every float
// (decade_encoder_exhaustive_test; results/perf/round10/decade_microbench.cpp checks all 2^32).
// Per 16 values: 17 vector instructions signed, 15 unsigned, and 6 / 5 table registers (round
// 5's form: 21 / 18 and 10, and copies for its destructive two-table permutes); on this Zen 4
// the 8-bit Adam step -10% at 1 thread (results/perf/round10/decade_uops.md).
//
// Interface for the loops (simd_codec.hpp's DecadeCodes): DecadeEncoder(tables) once per loop,
// then codes(y, untrusted) per 16 quotients: the 16 codes as bytes, and the lanes to redo.
// codes<true> is for quotients of a block by its own absmax, |y| <= 1 or NaN: the unsigned map
// then leaves out the clamp to 1 (one of its 15 instructions; round 15: its encode -7%).
#include <cmath>
#include <cstdint>
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
  static constexpr int kFractionBits = 15;
  static constexpr double kFixedBase = 256.0;  // 2^(23 - kFractionBits): s in [256, 512)
  static constexpr int kWindow = 2;            // grid steps either side of an integer not trusted
  static constexpr std::uint32_t kOneBits = 0x3f800000u;
  static constexpr int kPairsBelow = 32;  // without VBMI: pairs 0-32 share slot 0 (zero piece)

  alignas(64) std::uint8_t first_piece[64];      // per pair of binades (bits(m) >> 24)
  alignas(64) std::int32_t first_piece32[32];    // per pair mod 32, pairs below 32 clamped to 32
  alignas(64) std::uint32_t next_start[16];      // per piece: bits of the next piece's smallest m
  alignas(64) float cap[16];                     // per piece: its last code's value
  alignas(64) float slope[16];
  alignas(64) float offset[32];                  // per piece, 16 + piece for negative y
  // The one negative y that lies exactly on a piece start's midpoint (a tie, which a negative y
  // breaks toward the larger magnitude, a positive one toward the smaller: next_start serves the
  // positive side), or a NaN, which compares unequal to everything.
  std::uint32_t negative_tie_bits = 0x7fc00000u;
  bool is_signed = false;
};

namespace decade_detail {

struct Piece {
  std::uint32_t start;  // bits of the smallest |y| in the piece
  int first, last;      // codes of a positive y
  int negative_code;    // the code of a negative y in a single-code piece, or -1: the mirror
};

/// The pieces of positive y, ascending: signed 0 | (0, upper[127]) | 128 | 129-130 | ... |
/// 191-254 | 255; unsigned [0, upper[0]) | 1-2 | 3-6 | ... | 127-254 | 255.
inline int pieces(const QuantTable& t, Piece (&p)[16]) {
  int n = 0;
  if (t.is_signed) {
    p[n++] = {0u, 127, 127, 127};  // exact zero, both signs
    p[n++] = {1u, 127, 127, 126};  // a negative y there rounds to 0.0 and moves one code down
  } else {
    p[n++] = {0u, 0, 0, -1};
  }
  int code = t.is_signed ? 128 : 1;
  for (int k = t.is_signed ? 1 : 2; code < 255 && n < 15; k *= 2) {
    p[n++] = {float_bits(t.upper[code - 1]), code, code + k - 1, code == 128 ? 126 : -1};
    code += k;
  }
  p[n++] = {float_bits(t.upper[254]), 255, 255, 0};
  return code == 255 ? n : 0;
}

}  // namespace decade_detail

/// The tables for t, one of the two built-in maps, when its structure checks out (every pair of
/// binades holds at most one piece start, every threshold inside the window of its integer).
inline std::optional<DecadeTables> make_decade_tables(const QuantTable& t) {
  using decade_detail::Piece;
  DecadeTables d{};
  d.is_signed = t.is_signed;
  Piece pieces[16];
  const int n = decade_detail::pieces(t, pieces);
  if (n == 0) return std::nullopt;
  const double grid = std::ldexp(1.0, -DecadeTables::kFractionBits);
  const double base = DecadeTables::kFixedBase + DecadeTables::kWindow * grid;
  for (int p = 0; p < 16; ++p) {
    d.next_start[p] = p + 1 < n ? pieces[p + 1].start : 0xffffffffu;
    d.cap[p] = 1.0f, d.slope[p] = 0.0f;
    d.offset[p] = d.offset[p + 16] = static_cast<float>(base + 0.5);
  }
  for (int p = 0; p < n; ++p) {
    const int a = pieces[p].first, b = pieces[p].last;
    double slope = 0.0, origin = 0.5;  // t = |y| * slope + origin
    if (b - a >= 2) {
      slope = (b - a - 1) / (static_cast<double>(t.upper[b - 1]) - static_cast<double>(t.upper[a]));
    } else if (b - a == 1) {
      slope = 1.0 / (static_cast<double>(t.values[b]) - static_cast<double>(t.values[a]));
    }
    if (b > a) origin = 1.0 - static_cast<double>(t.upper[a]) * slope;
    d.slope[p] = static_cast<float>(slope);
    d.cap[p] = t.values[b];
    d.offset[p] = static_cast<float>(base + a + origin);
    d.offset[p + 16] = pieces[p].negative_code >= 0 ? static_cast<float>(base + pieces[p].negative_code + 0.5)
                                                    : static_cast<float>(base + 255 - a - origin);
    // Every threshold inside the piece must land inside the window of its integer in the float
    // arithmetic the encoder runs (the exhaustive test covers the floats next to it).
    for (int j = a; j < b; ++j) {
      const float s = std::fma(t.upper[j], d.slope[p], d.offset[p]);
      const double miss = std::fabs(static_cast<double>(s) - (base + j + 1));
      if (miss >= DecadeTables::kWindow * grid) return std::nullopt;
    }
  }
  // Pairs of binades: the piece of the pair's smallest float, and at most one start above it.
  for (int pair = 0; pair < 64; ++pair) {
    const std::uint32_t lo = static_cast<std::uint32_t>(pair) << 24, hi = lo + (1u << 24) - 1;
    int at_lo = 0, inside = 0;
    for (int p = 1; p < n; ++p) {
      if (pieces[p].start <= lo) at_lo = p;
      if (pieces[p].start > lo && pieces[p].start <= hi && lo <= DecadeTables::kOneBits) ++inside;
    }
    if (inside > 1) return std::nullopt;
    d.first_piece[pair] = static_cast<std::uint8_t>(at_lo);
  }
  // Without VBMI: pair mod 32, the pairs below 32 clamped into 32 (2^-63 and below), which then
  // must lie in the zero piece and the next one (its start at the smallest float or above 2^-62).
  for (int s = 0; s < 32; ++s) d.first_piece32[s] = d.first_piece[s + 32];
  d.first_piece32[0] = 0;
  if (n < 3 || d.first_piece[DecadeTables::kPairsBelow] > 1 || pieces[2].start <= (33u << 24)) return std::nullopt;
  int ties = 0;
  for (int p = 1; p + 1 < n && t.is_signed; ++p) {
    if (pieces[p].negative_code >= 0) continue;  // single negative codes: no tie to break
    const int c = pieces[p].first;
    const double mid = (static_cast<double>(t.values[c - 1]) + static_cast<double>(t.values[c])) / 2.0;
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
  if (!same_table(t, builtin)) return nullptr;
  const std::optional<DecadeTables>& d = t.is_signed ? signed_tables : unsigned_tables;
  return d ? &*d : nullptr;
}

#if BNB_DECADE_CODEC
/// The tables in registers, and the per-vector encoder.
class DecadeEncoder {
 public:
  explicit DecadeEncoder(const DecadeTables& d)
#if defined(__AVX512VBMI__)
      : first_piece_(_mm512_load_si512(d.first_piece)),
#else
      : first_piece0_(_mm512_load_si512(d.first_piece32)),
        first_piece1_(_mm512_load_si512(d.first_piece32 + 16)),
#endif
        next_start_(_mm512_load_si512(d.next_start)),
        cap_(_mm512_load_ps(d.cap)),
        slope_(_mm512_load_ps(d.slope)),
        offset0_(_mm512_load_ps(d.offset)),
        offset1_(_mm512_load_ps(d.offset + 16)),
        negative_tie_(_mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(d.negative_tie_bits)))),
        is_signed_(d.is_signed) {}

  /// The codes of the 16 lanes of y as bytes; `untrusted` gets the lanes this encoder cannot
  /// vouch for (near a threshold; signed map: NaN and the tie): their bytes are garbage.
  /// kWithinOne: every lane is NaN or |y| <= 1 (a quotient x / s with |x| <= s), else any y.
  template <bool kWithinOne = false>
  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& untrusted) const {
    return is_signed_ ? signed_codes(y, untrusted) : unsigned_codes<kWithinOne>(y, untrusted);
  }

 private:
  /// The piece of m = min(|y|, 1) (bits mbits): the one at its pair's bottom, or the next.
  [[gnu::always_inline]] __m512i piece_of(__m512i mbits) const {
#if defined(__AVX512VBMI__)
    const __m512i piece = _mm512_permutexvar_epi8(_mm512_srli_epi32(mbits, 24), first_piece_);  // byte 0 of a lane
#else
    const __m512i pair = _mm512_max_epu32(_mm512_srli_epi32(mbits, 24), _mm512_set1_epi32(DecadeTables::kPairsBelow));
    const __m512i piece = _mm512_permutex2var_epi32(first_piece0_, pair, first_piece1_);
#endif
    const __mmask16 next = _mm512_cmp_epu32_mask(mbits, _mm512_permutexvar_epi32(piece, next_start_), _MM_CMPINT_NLT);
    return _mm512_mask_add_epi32(piece, next, piece, _mm512_set1_epi32(1));
  }

  /// The code in byte 0 of every lane of s's bits, to bytes 0-15 (vpmovdb: as fast as vpermb on
  /// Zen 4); the lanes whose fraction bits above the window's low bits are all zero (s - kWindow
  /// grid steps lies within kWindow steps of an integer) join `untrusted`.
  [[gnu::always_inline]] static __m128i finish(__m512 s, __mmask16 ordinary, __mmask16& untrusted) {
    const __m512i sbits = _mm512_castps_si512(s);
    constexpr int kFractionMask = ((1 << DecadeTables::kFractionBits) - 1) & ~(2 * DecadeTables::kWindow - 1);
    untrusted = static_cast<__mmask16>(~_mm512_mask_test_epi32_mask(ordinary, sbits, _mm512_set1_epi32(kFractionMask)));
    return _mm512_cvtepi32_epi8(_mm512_srli_epi32(sbits, DecadeTables::kFractionBits));
  }

  [[gnu::always_inline]] __m128i signed_codes(__m512 y, __mmask16& untrusted) const {
    const __m512 m = _mm512_range_ps(y, _mm512_set1_ps(1.0f), 0x0a);  // min(|y|, 1), sign 0
    __m512i piece = piece_of(_mm512_castps_si512(m));
    const __m512 slope = _mm512_permutexvar_ps(piece, slope_);
    const __m512 c = _mm512_range_ps(y, _mm512_permutexvar_ps(piece, cap_), 0x02);  // ±min(|y|, cap), y's sign
    piece = _mm512_mask_or_epi32(piece, _mm512_movepi32_mask(_mm512_castps_si512(y)), piece, _mm512_set1_epi32(16));
    const __m512 s = _mm512_fmadd_ps(c, slope, _mm512_permutex2var_ps(offset0_, piece, offset1_));
    return finish(s, _mm512_cmp_ps_mask(y, negative_tie_, _CMP_NEQ_OQ), untrusted);
  }

  template <bool kWithinOne>
  [[gnu::always_inline]] __m128i unsigned_codes(__m512 y, __mmask16& untrusted) const {
    // min(max(y, 0), 1): a negative y, -0 and NaN take the zero piece (vmaxps gives 0 for NaN);
    // the min keeps larger y (coded as 1.0) inside the pairs' table, unless none is larger.
    __m512 m = _mm512_max_ps(y, _mm512_setzero_ps());
    if constexpr (!kWithinOne) m = _mm512_min_ps(m, _mm512_set1_ps(1.0f));
    const __m512i piece = piece_of(_mm512_castps_si512(m));
    const __m512 c = _mm512_min_ps(m, _mm512_permutexvar_ps(piece, cap_));
    const __m512 s = _mm512_fmadd_ps(c, _mm512_permutexvar_ps(piece, slope_), _mm512_permutexvar_ps(piece, offset0_));
    return finish(s, __mmask16{0xffff}, untrusted);
  }

#if defined(__AVX512VBMI__)
  __m512i first_piece_;
#else
  __m512i first_piece0_, first_piece1_;
#endif
  __m512i next_start_;
  __m512 cap_, slope_, offset0_, offset1_;
  __m512 negative_tie_;
  bool is_signed_;
};
#endif

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
