#pragma once
// The 8-bit decoder with in-register byte look-ups (AVX-512 VBMI: vpermt2b), 64 codes per
// iteration and no gathers (a 16-lane gather costs ~11 cycles on the Intel machine, the
// look-ups here ~7 per 16 values).
//
// The 256-entry value table of 32-bit words is kept as four 256-byte "planes" (byte k of every
// entry). Looking up 64 byte indices in one plane is two vpermt2b (entries 0-127, 128-255) and a
// blend on the index's top bit; the four looked-up planes are interleaved back into 32-bit words
// with unpack instructions. Unpacking works inside 128-bit lanes, so the byte indices are kept in
// "plane order" P: position 16L + 4q + r holds element 16q + 4L + r (a 4x4 transpose of
// 4-element groups; P is its own inverse). Unpacking P-ordered planes yields the words in
// element order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "bnb/kernels/bits.hpp"

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

/// values[code] * scale of 64 codes, in registers: out[q] holds elements 16q .. 16q + 15
/// (order: plane_order_index(); vscale: the scale in every lane).
[[gnu::always_inline]] inline void decode_64_codes(const BytePlanes& values, const std::uint8_t* codes, __m512i order,
                                                   __m512 vscale, __m512 (&out)[4]) {
  const __m512i c = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(codes));
  const __mmask64 bit7 = _mm512_movepi8_mask(c);
  __m512i b[4], w[4];
  for (int k = 0; k < 4; ++k) b[k] = lookup_plane(values.planes[k], c, bit7);
  interleave_planes(b, w);
  for (int q = 0; q < 4; ++q) out[q] = _mm512_mul_ps(_mm512_castsi512_ps(w[q]), vscale);
}

/// values[code] * scale for the first len / 64 * 64 codes; returns how many were done.
inline std::size_t decode_byte_planes(const BytePlanes& values, const std::uint8_t* codes, std::size_t len, float scale,
                                      float* out) {
  const __m512i order = plane_order_index();
  const __m512 vscale = _mm512_set1_ps(scale);
  std::size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    __m512 v[4];
    decode_64_codes(values, codes + i, order, vscale, v);
    for (int q = 0; q < 4; ++q) _mm512_storeu_ps(out + i + 16 * q, v[q]);
  }
  return i;
}

#endif  // BNB_BYTE_PLANE_CODEC

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
