#pragma once
// The exact 8-bit codec with in-register byte look-ups (AVX-512 VBMI: vpermi2b/vpermt2b), 64
// values per iteration and no gathers (a 16-lane gather costs ~70 cycles on the machines we
// measure, ~4 cycles per value; the look-ups here cost well under one).
//
// A 256-entry table of 32-bit words is kept as four 256-byte "planes" (byte k of every entry).
// Looking up 64 byte indices in one plane is two vpermt2b (entries 0-127, 128-255) and a blend
// on the index's top bit; the four looked-up planes are interleaved back into 32-bit words with
// unpack instructions. Unpacking works inside 128-bit lanes, so the byte indices are kept in
// "plane order" P: position 16L + 4q + r holds element 16q + 4L + r (a 4x4 transpose of
// 4-element groups; P is its own inverse). Unpacking P-ordered planes yields the words in
// element order.
//
// Decode: values[code] * scale with the codes permuted into P order, four value planes.
//
// Encode: count(y) = number of thresholds upper[j] <= y (quant_table.hpp), then the signed map's
// sign correction. y's "bucket" comes from its sign, its exponent "slot" and the top m mantissa
// bits, with m chosen per binade (just enough that no bucket holds two thresholds): slot 0 takes
// every magnitude below the smallest threshold's binade (zero, subnormals), the last slot
// everything above the largest (|y| > 1, infinity, NaN) - one bucket each. A table gives each
// bucket the count of its lowest value, lo; the table is only accepted when count rises by at
// most one inside every bucket (checked over every bucket when built), and then
//     count(y) = lo + (y >= upper[lo])
// exactly: upper[lo] is the first threshold above the bucket's lowest value, so it is the one
// threshold the bucket may hold. lo needs a byte look-up with a 9-bit index (<= 512 buckets),
// upper[lo] a 4-plane look-up with an 8-bit index (upper[255] is stored as NaN so that
// y >= upper[255] is false even for +inf). Maps that do not fit return no table; the caller
// keeps its other encoder.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bucket_table.hpp"  // threshold_count, threshold_magnitudes

#if defined(__AVX512VBMI__) && defined(__AVX512BW__) && defined(__AVX512F__)
#include <immintrin.h>
#define BNB_BYTE_PLANE_CODEC 1
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {

/// Position in plane order of element n of a 64-element group (and the reverse: P is an
/// involution).
constexpr int plane_order(int n) { return (n & ~63) | ((n >> 2) & 3) << 4 | ((n >> 4) & 3) << 2 | (n & 3); }

/// Byte planes of a 256-entry table of 32-bit words: planes[k][i] = byte k of entry i.
struct alignas(64) BytePlanes {
  std::uint8_t planes[4][256];
};

inline void fill_planes(BytePlanes& p, const std::uint32_t (&words)[256]) {
  for (int i = 0; i < 256; ++i) {
    for (int k = 0; k < 4; ++k) p.planes[k][i] = static_cast<std::uint8_t>(words[i] >> (8 * k));
  }
}

/// Everything the byte-plane encoder needs for one map.
struct alignas(64) BytePlaneEncoderTable {
  std::uint8_t lo[512];             // count(lowest value of the bucket), by bucket
  BytePlanes thresholds;            // upper[code], code 255 as NaN
  std::uint32_t slots[2][32];       // [sign][slot]: first bucket << shift | shift
  std::uint32_t slot_base = 0;      // biased exponent of slot 1, minus one
  std::uint32_t top_slot = 0;       // the last slot (everything above the thresholds)
};

/// The smallest mantissa bits m for the binade of magnitudes [low, low + 2^23) on one side such
/// that count rises by at most one inside each of its 2^m buckets; -1 when none up to 18 does.
inline int binade_bits(const QuantTable& t, std::uint32_t low, bool negative) {
  for (int m = 0; m <= 18; ++m) {
    const int shift = 23 - m;
    bool fits = true;
    for (std::uint32_t k = 0; fits && k < (1u << m); ++k) {
      const float a = bits_float(low + (k << shift));
      const float b = bits_float(low + ((k + 1) << shift) - 1);
      fits = negative ? threshold_count(t, -a) - threshold_count(t, -b) <= 1
                      : threshold_count(t, b) - threshold_count(t, a) <= 1;
    }
    if (fits) return m;
  }
  return -1;
}

/// The table for t, or nullptr when t does not fit (non-finite or subnormal thresholds, more
/// than 30 binades between them, more than 512 buckets, a binade needing more than 18 bits).
inline std::unique_ptr<BytePlaneEncoderTable> make_byte_plane_encoder(const QuantTable& t) {
  const std::optional<ThresholdMagnitudes> mags = threshold_magnitudes(t);
  if (!mags) return nullptr;
  const std::uint32_t e_low = mags->min >> 23, e_high = mags->max >> 23;
  if (e_low == 0 || e_high - e_low + 2 > 31) return nullptr;

  auto table = std::make_unique<BytePlaneEncoderTable>();
  BytePlaneEncoderTable& b = *table;
  b.slot_base = e_low - 1;
  b.top_slot = e_high - e_low + 2;
  std::uint32_t next = 0;  // first free bucket
  for (int side = 0; side < 2; ++side) {
    const bool negative = side == 1;
    for (std::uint32_t slot = 0; slot <= b.top_slot; ++slot) {
      // Magnitudes of the slot: [low, high]; the end slots are one bucket (shift 23 keeps no
      // mantissa bit) over several binades, so their count must not change at all... except by
      // the one threshold the formula allows.
      const bool end = slot == 0 || slot == b.top_slot;
      const std::uint32_t low = slot == 0 ? 0u : (slot == b.top_slot ? e_high + 1 : e_low + slot - 1) << 23;
      const std::uint32_t high = slot == 0 ? (e_low << 23) - 1u : slot == b.top_slot ? 0x7f800000u : low + 0x7fffffu;
      int m = 0;
      if (end) {
        const float a = bits_float(low), z = bits_float(high);
        const int rise = negative ? threshold_count(t, -a) - threshold_count(t, -z) : threshold_count(t, z) - threshold_count(t, a);
        if (rise > 1) return nullptr;
      } else {
        m = binade_bits(t, low, negative);
        if (m < 0) return nullptr;
      }
      const std::uint32_t shift = 23u - static_cast<std::uint32_t>(m);
      const std::uint32_t buckets = 1u << m;
      if (next + buckets > 512) return nullptr;
      b.slots[side][slot] = next << shift | shift;
      for (std::uint32_t k = 0; k < buckets; ++k) {
        // Lowest value of the bucket: its smallest magnitude, or its largest for negatives.
        const std::uint32_t mag = negative ? (k + 1 == buckets ? high : low + ((k + 1) << shift) - 1u) : low + (k << shift);
        const float lowest = negative ? -bits_float(mag) : bits_float(mag);
        b.lo[next + k] = static_cast<std::uint8_t>(threshold_count(t, lowest));
      }
      next += buckets;
    }
    for (std::uint32_t slot = b.top_slot + 1; slot < 32; ++slot) b.slots[side][slot] = b.slots[side][b.top_slot];
  }
  for (std::uint32_t i = next; i < 512; ++i) b.lo[i] = 0;
  std::uint32_t words[256];
  for (int j = 0; j < 255; ++j) words[j] = float_bits(t.upper[j]);
  words[255] = 0x7fc00000u;  // NaN: y >= upper[255] is false for every y
  fill_planes(b.thresholds, words);
  return table;
}

#if BNB_BYTE_PLANE_CODEC

/// The plane-order permutation as vpermb indices (its own inverse).
inline __m512i plane_order_index() {
  alignas(64) std::uint8_t idx[64];
  for (int n = 0; n < 64; ++n) idx[n] = static_cast<std::uint8_t>(plane_order(n));
  return _mm512_load_si512(idx);
}

/// 64 bytes looked up in a 256-entry plane: vpermt2b covers 128 entries, bit 7 picks the half.
inline __m512i lookup_plane(const std::uint8_t* plane, __m512i index, __mmask64 bit7) {
  const __m512i low = _mm512_permutex2var_epi8(_mm512_load_si512(plane), index, _mm512_load_si512(plane + 64));
  const __m512i high = _mm512_permutex2var_epi8(_mm512_load_si512(plane + 128), index, _mm512_load_si512(plane + 192));
  return _mm512_mask_blend_epi8(bit7, low, high);
}

/// Four looked-up planes (P order) interleaved into 16-word vectors in element order.
inline void interleave_planes(const __m512i (&b)[4], __m512i (&out)[4]) {
  const __m512i t0 = _mm512_unpacklo_epi8(b[0], b[1]), t1 = _mm512_unpackhi_epi8(b[0], b[1]);
  const __m512i t2 = _mm512_unpacklo_epi8(b[2], b[3]), t3 = _mm512_unpackhi_epi8(b[2], b[3]);
  out[0] = _mm512_unpacklo_epi16(t0, t2);
  out[1] = _mm512_unpackhi_epi16(t0, t2);
  out[2] = _mm512_unpacklo_epi16(t1, t3);
  out[3] = _mm512_unpackhi_epi16(t1, t3);
}

/// values[code] * scale for the first len / 64 * 64 codes; returns how many were done.
inline std::size_t decode_byte_planes(const BytePlanes& values, const std::uint8_t* codes, std::size_t len, float scale,
                                      float* out) {
  const __m512i order = plane_order_index();
  const __m512 vscale = _mm512_set1_ps(scale);
  std::size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    const __m512i c = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(codes + i));
    const __mmask64 bit7 = _mm512_movepi8_mask(c);
    __m512i b[4], w[4];
    for (int k = 0; k < 4; ++k) b[k] = lookup_plane(values.planes[k], c, bit7);
    interleave_planes(b, w);
    for (int q = 0; q < 4; ++q) _mm512_storeu_ps(out + i + 16 * q, _mm512_mul_ps(_mm512_castsi512_ps(w[q]), vscale));
  }
  return i;
}

inline __mmask64 join_masks(__mmask16 k0, __mmask16 k1, __mmask16 k2, __mmask16 k3) {
  return _mm512_kunpackd(_mm512_kunpackw(k3, k2), _mm512_kunpackw(k1, k0));
}

/// Codes of x / scale for the first len / 64 * 64 values; returns how many were done.
/// Precondition: scale != 0. negatives = number of negative map values (signed maps).
inline std::size_t encode_byte_planes(const BytePlaneEncoderTable& b, const QuantTable& t, int negatives,
                                      const float* x, std::size_t len, float scale, std::uint8_t* out) {
  const __m512i order = plane_order_index();
  // Byte k of each 32-bit bucket index, gathered from four vectors straight into P order:
  // P position 16L + 4q + r takes element 16q + 4L + r = vector q, word 4L + r.
  alignas(64) std::uint8_t pack[64];
  for (int p = 0; p < 64; ++p) {
    const int n = plane_order(p);
    pack[p] = static_cast<std::uint8_t>(((n >> 4) & 1) << 6 | (n & 15) << 2);
  }
  const __m512i pack_byte0 = _mm512_load_si512(pack);
  const __m512i pack_byte1 = _mm512_add_epi8(pack_byte0, _mm512_set1_epi8(1));
  constexpr __mmask64 kUpperVectors = 0xff00ff00ff00ff00ull;  // P positions from vectors 2 and 3
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512i slot_base = _mm512_set1_epi32(static_cast<int>(b.slot_base));
  const __m512i top_slot = _mm512_set1_epi32(static_cast<int>(b.top_slot));
  const __m512i pos_slots0 = _mm512_loadu_si512(b.slots[0]), pos_slots1 = _mm512_loadu_si512(b.slots[0] + 16);
  const __m512i neg_slots0 = _mm512_loadu_si512(b.slots[1]), neg_slots1 = _mm512_loadu_si512(b.slots[1] + 16);
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), mantissa = _mm512_set1_epi32(0x7fffe0);
  const __m512i shift_bits = _mm512_set1_epi32(31);
  const __m512i one = _mm512_set1_epi8(1), negatives_v = _mm512_set1_epi8(static_cast<char>(negatives));
  const __m512i zero_code = _mm512_set1_epi8(static_cast<char>(t.zero_code));
  const __m512 zero = _mm512_setzero_ps();
  const bool is_signed = t.is_signed;

  std::size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    __m512 y[4];
    __m512i bucket[4];
    for (int q = 0; q < 4; ++q) {
      y[q] = _mm512_div_ps(_mm512_loadu_ps(x + i + 16 * q), vscale);
      const __m512i bits = _mm512_castps_si512(y[q]);
      const __m512i exponent = _mm512_srli_epi32(_mm512_and_si512(bits, magnitude), 23);
      // Saturating 16-bit arithmetic clamps the slot to [0, top]; the upper halves stay zero.
      const __m512i slot = _mm512_min_epu16(_mm512_subs_epu16(exponent, slot_base), top_slot);
      const __m512i desc = _mm512_mask_blend_epi32(_mm512_movepi32_mask(bits),
                                                   _mm512_permutex2var_epi32(pos_slots0, slot, pos_slots1),
                                                   _mm512_permutex2var_epi32(neg_slots0, slot, neg_slots1));
      // first << shift | shift plus the mantissa without its low 5 bits: the shift drops both
      // the mantissa bits below the bucket and the shift count itself (shift >= 5).
      const __m512i sum = _mm512_add_epi32(_mm512_and_si512(bits, mantissa), desc);
      bucket[q] = _mm512_srlv_epi32(sum, _mm512_and_si512(desc, shift_bits));
    }
    const __m512i low8 = _mm512_mask_blend_epi8(kUpperVectors, _mm512_permutex2var_epi8(bucket[0], pack_byte0, bucket[1]),
                                                _mm512_permutex2var_epi8(bucket[2], pack_byte0, bucket[3]));
    const __m512i high8 = _mm512_mask_blend_epi8(kUpperVectors, _mm512_permutex2var_epi8(bucket[0], pack_byte1, bucket[1]),
                                                 _mm512_permutex2var_epi8(bucket[2], pack_byte1, bucket[3]));
    const __mmask64 bit7 = _mm512_movepi8_mask(low8);
    const __mmask64 bit8 = _mm512_test_epi8_mask(high8, one);
    const __m512i lo = _mm512_mask_blend_epi8(bit8, lookup_plane(b.lo, low8, bit7), lookup_plane(b.lo + 256, low8, bit7));

    const __mmask64 lo_bit7 = _mm512_movepi8_mask(lo);
    __m512i planes[4], threshold[4];
    for (int k = 0; k < 4; ++k) planes[k] = lookup_plane(b.thresholds.planes[k], lo, lo_bit7);
    interleave_planes(planes, threshold);
    __mmask16 ge[4];
    for (int q = 0; q < 4; ++q) ge[q] = _mm512_cmp_ps_mask(y[q], _mm512_castsi512_ps(threshold[q]), _CMP_GE_OQ);

    const __m512i lo_elements = _mm512_permutexvar_epi8(order, lo);
    __m512i code = _mm512_mask_add_epi8(lo_elements, join_masks(ge[0], ge[1], ge[2], ge[3]), lo_elements, one);
    if (is_signed) {
      __mmask16 below[4], above[4];
      for (int q = 0; q < 4; ++q) {
        below[q] = _mm512_cmp_ps_mask(y[q], zero, _CMP_LT_OQ);
        above[q] = _mm512_cmp_ps_mask(y[q], zero, _CMP_GT_OQ);
      }
      const __mmask64 nonneg_code = _mm512_cmpge_epu8_mask(code, negatives_v);
      const __mmask64 down = join_masks(below[0], below[1], below[2], below[3]) & nonneg_code;
      const __mmask64 up = join_masks(above[0], above[1], above[2], above[3]) & ~nonneg_code;
      code = _mm512_mask_sub_epi8(code, down, code, one);
      code = _mm512_mask_add_epi8(code, up, code, one);
    }
    __mmask16 nan[4];
    for (int q = 0; q < 4; ++q) nan[q] = _mm512_cmp_ps_mask(y[q], y[q], _CMP_UNORD_Q);
    code = _mm512_mask_mov_epi8(code, join_masks(nan[0], nan[1], nan[2], nan[3]), zero_code);
    _mm512_storeu_si512(out + i, code);
  }
  return i;
}

#endif  // BNB_BYTE_PLANE_CODEC

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
