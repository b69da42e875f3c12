// Round 10 (hdopt): candidate forms of the gather-free "decade" encoder's per-16-values arithmetic
// (kernels/cpu/decade_codec.hpp), each checked on every float bit pattern (2^32 per map, both
// built-in maps) against encode_value() and timed on Adam-like inputs, in L1 and streaming.
// Not part of the CMake build. Build (from the repository root; round 5's header extracted from
// its patch; g++ 12 has no -march=znver4, so the avx512vbmi variant's flags):
//   mkdir -p /tmp/r5 && git -C /tmp/r5 init -q && git -C /tmp/r5 apply
//       --include=kernels/cpu/decade_codec.hpp "$PWD/results/perf/round5/decade_encoder.diff"
//   g++ -std=c++20 -O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi -mavx2 -mfma -mbmi2
//       -mprefer-vector-width=512 -Ikernels/include -Ikernels/cpu
//       -DR5_HEADER='"/tmp/r5/kernels/cpu/decade_codec.hpp"'
//       results/perf/round10/decade_microbench.cpp -o /tmp/decade_microbench
// Run: /tmp/decade_microbench check   (every float, each candidate and map: ~8 s each)
//      /tmp/decade_microbench time    (ns per 16 values, thread CPU time, medians of 9)
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/kernels/quant_table.hpp"
// Round 5's form (the baseline), in inline namespace r5, and the library's (kernels/cpu), in
// namespace lib: both headers name their namespace by BNB_CPU_VARIANT.
#define BNB_CPU_VARIANT r5
#include R5_HEADER
#undef BNB_CPU_VARIANT
#define BNB_CPU_VARIANT lib
#include "decade_codec.hpp"
#undef BNB_CPU_VARIANT

namespace k = bnb::kernels;

// ---------------------------------------------------------------------------------------------
// The new form ("pairs"): one table set for both signs.
//   magc  = min(|y|, 1.0) (vrangeps; |y| > 1 and Inf code as 1.0 does; NaN lanes are flagged)
//   slot  = bits(magc) >> 24: a pair of binades (64 slots cover every exponent up to 1.0, no
//           clamp: vpermb's 6-bit index); each pair holds at most one piece boundary
//   piece = first[slot] + (bits(magc) >= start[first[slot] + 1])      (integer compare)
//   s     = fma(±min(|y|, cap[piece]), slope[piece], offset[piece + 16 * sign])
//           (vrangeps gives the capped magnitude y's sign; offset holds 2^(23-F) + code origin,
//           the negative pieces the mirrored codes; the window bias of w grid steps folded in)
//   code  = bits(s) >> F; trusted unless frac(s) within w grid steps of an integer (one vptestmd,
//           under the mask of y != tie (vcmpps NEQ_OQ: also false for NaN)).
// ---------------------------------------------------------------------------------------------
struct PairTables {
  int fraction_bits = 15;
  int window = 2;  // grid steps either side of an integer not trusted (2 * window: a power of two)
  alignas(64) std::uint8_t slot[64];       // pair of binades -> first piece (VBMI)
  alignas(64) std::int32_t slot32[32];     // pair mod 32 (pairs < 32 clamped to 32) -> first piece
  alignas(64) std::uint32_t next_start[16];
  alignas(64) std::uint32_t next_start32[32];  // next_start[slot32[pair]]: the compare's bound by pair
  alignas(64) float cap[16];
  alignas(64) float slope[16];
  alignas(64) float offset[32];
  std::uint32_t tie_bits = 0x7fc00000u;  // a NaN: compares unequal to everything
  bool is_signed = false;
  int pieces = 0;
};

struct Piece {
  std::uint32_t start;  // bits of the smallest |y| in the piece
  int first, last;      // codes of positive y
  int negative_first;   // signed: code of a negative y at the piece's bottom (single-code pieces)
};

inline std::vector<Piece> map_pieces(const k::QuantTable& t) {
  std::vector<Piece> p;
  if (t.is_signed) {
    p.push_back({0u, 127, 127, 127});  // exact zero (both signs)
    p.push_back({1u, 127, 127, 126});  // (0, first threshold): a negative y takes 126
    int code = 128;
    for (int kk = 1; code < 255; kk *= 2) {
      p.push_back({k::float_bits(t.upper[code - 1]), code, code + kk - 1, -1});
      code += kk;
    }
    p.push_back({k::float_bits(t.upper[254]), 255, 255, 0});
  } else {
    p.push_back({0u, 0, 0, -1});
    int code = 1;
    for (int kk = 2; code < 255; kk *= 2) {
      p.push_back({k::float_bits(t.upper[code - 1]), code, code + kk - 1, -1});
      code += kk;
    }
    p.push_back({k::float_bits(t.upper[254]), 255, 255, -1});
  }
  return p;
}

inline std::optional<PairTables> make_pair_tables(const k::QuantTable& t, int fraction_bits, int window) {
  PairTables d{};
  d.fraction_bits = fraction_bits;
  d.window = window;
  d.is_signed = t.is_signed;
  const std::vector<Piece> pieces = map_pieces(t);
  const int n = static_cast<int>(pieces.size());
  if (n > 16) return std::nullopt;
  d.pieces = n;
  const double base = std::ldexp(1.0, 23 - fraction_bits);
  const double bias = window * std::ldexp(1.0, -fraction_bits);
  for (int p = 0; p < 16; ++p) {
    d.next_start[p] = p + 1 < n ? pieces[static_cast<std::size_t>(p + 1)].start : 0xffffffffu;
    d.cap[p] = 1.0f, d.slope[p] = 0.0f;
    d.offset[p] = d.offset[p + 16] = static_cast<float>(base + 0.5 + bias);
  }
  for (int p = 0; p < n; ++p) {
    const Piece& q = pieces[static_cast<std::size_t>(p)];
    const int a = q.first, b = q.last;
    double slope = 0.0, origin = 0.5;
    if (b - a >= 2) {
      slope = (b - a - 1) / (static_cast<double>(t.upper[b - 1]) - static_cast<double>(t.upper[a]));
    } else if (b - a == 1) {
      slope = 1.0 / (static_cast<double>(t.values[b]) - static_cast<double>(t.values[a]));
    }
    if (b > a) origin = 1.0 - static_cast<double>(t.upper[a]) * slope;
    d.slope[p] = static_cast<float>(slope);
    d.cap[p] = t.values[b];
    d.offset[p] = static_cast<float>(base + a + origin + bias);
    if (t.is_signed) {
      d.offset[p + 16] = q.negative_first >= 0 ? static_cast<float>(base + q.negative_first + 0.5 + bias)
                                               : static_cast<float>(base + 255 - a - origin + bias);
    }
  }
  // Slots: a pair of binades (exponent field >> 1); the piece of its smallest float, and at most
  // one piece start above that inside the pair.
  for (int slot = 0; slot < 64; ++slot) {
    const std::uint32_t lo = static_cast<std::uint32_t>(slot) << 24, hi = lo + (1u << 24) - 1;
    if (lo > 0x3f800000u) {
      d.slot[slot] = 0;
      continue;
    }
    int at_lo = 0, inside = 0;
    for (int p = 1; p < n; ++p) {
      const std::uint32_t s = pieces[static_cast<std::size_t>(p)].start;
      if (s <= lo) at_lo = p;
      if (s > lo && s <= hi) ++inside;
    }
    if (inside > 1) {
      std::printf("  slot %d (pair of exponents %d, %d) holds %d piece starts\n", slot, 2 * slot, 2 * slot + 1, inside);
      return std::nullopt;
    }
    d.slot[slot] = static_cast<std::uint8_t>(at_lo);
  }
  // The non-VBMI form: slot = max(pair, 32) mod 32; pair 32 (2^-63 and below, zero) first piece
  // must be the zero piece with the tiny piece next, every pair below 32 in the tiny piece.
  for (int s = 0; s < 32; ++s) d.slot32[s] = d.slot[s + 32];
  d.slot32[0] = 0;  // zero is clamped into pair 32, whose other floats (and all below) are tiny
  for (int s = 0; s < 32; ++s) d.next_start32[s] = d.next_start[d.slot32[s]];
  if (d.slot[32] > 1 || pieces[static_cast<std::size_t>(std::min(n - 1, 2))].start <= (33u << 24)) return std::nullopt;
  // Ties between pieces: a negative y exactly on a boundary's midpoint rounds to the larger
  // magnitude (the lower index), the shared starts serve the positive side.
  int ties = 0;
  if (t.is_signed) {
    for (int p = 3; p < n - 1; ++p) {  // pieces from 129 on, below 255 (whose mirror is one code)
      const int c = pieces[static_cast<std::size_t>(p)].first;
      const double mid = (static_cast<double>(t.values[c - 1]) + static_cast<double>(t.values[c])) / 2.0;
      if (static_cast<double>(static_cast<float>(mid)) == mid) {
        d.tie_bits = k::float_bits(-static_cast<float>(mid));
        ++ties;
      }
    }
  }
  if (ties > 1) return std::nullopt;
  return d;
}

// How far the fitted lines miss the thresholds, in grid steps (the window must cover it).
inline void report_misses(const k::QuantTable& t, const PairTables& d) {
  const std::vector<Piece> pieces = map_pieces(t);
  const double grid = std::ldexp(1.0, -d.fraction_bits);
  const double base = std::ldexp(1.0, 23 - d.fraction_bits) + d.window * grid;
  double worst = 0;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    for (int j = pieces[p].first; j < pieces[p].last; ++j) {
      const float s = std::fma(t.upper[j], d.slope[p], d.offset[p]);
      worst = std::max(worst, std::fabs((static_cast<double>(s) - base - (j + 1)) / grid));
      const float s0 = std::fma(std::nextafter(t.upper[j], 0.0f), d.slope[p], d.offset[p]);
      worst = std::max(worst, std::fabs((static_cast<double>(s0) - base - (j + 1)) / grid));
    }
  }
  std::printf("  %s map, F=%d: worst threshold miss %.2f grid steps (window %d)\n", t.is_signed ? "signed" : "unsigned",
              d.fraction_bits, worst, d.window);
}

#if defined(__AVX512VBMI__)
// Narrowing: byte F..F+7 of each 32-bit lane to bytes 0..15.
struct Narrow {
  __m512i shift_ctrl, pick, pick4;
  explicit Narrow(int f) {
    // vpmultishiftqb: per qword, byte 0 = bits [f, f+8) (lane 0's code), byte 1 = bits [32+f, ...)
    const long long ctrl = static_cast<long long>(f) | (static_cast<long long>(32 + f) << 8);
    shift_ctrl = _mm512_set1_epi64(ctrl);
    // bytes 0,1 of each qword (lanes 2q, 2q+1) to bytes 2q, 2q+1
    pick = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x39383130, 0x29282120, 0x19181110, 0x09080100);
    pick4 = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3c383430, 0x2c282420, 0x1c181410, 0x0c080400);
  }
};

// Options (each measured): magc: 0 vrangeps, 1 vpandd + vpminud; slot: 0 vpermb (VBMI), 1 vpmaxud +
// vpermt2d (AVX-512F); piece: 0 vpcmpud + masked vpaddd, 1 integer arithmetic (vpsubd, vpsrld,
// vpaddd); sign: 0 vpmovd2m + masked vpord, 1 vprold + vpternlogd; narrow: 0 vpsrld + vpmovdb,
// 1 vpmultishiftqb + vpermb, 2 vpsrld + vpermb, 3 vpmultishiftqb + vpmovqw.
template <int kMagc, int kSlot, int kPiece, int kSign, int kNarrow, bool kSigned>
struct PairEncoder {
  __m512i slot, slot0, slot1, next_start, next_start_m1, ns0, ns1, cap, slope, offset0, offset1;
  __m512i tie, window_mask;
  Narrow narrow;
  explicit PairEncoder(const PairTables& t)
      : slot(_mm512_load_si512(t.slot)),
        slot0(_mm512_load_si512(t.slot32)),
        slot1(_mm512_load_si512(t.slot32 + 16)),
        next_start(_mm512_load_si512(t.next_start)),
        next_start_m1(_mm512_sub_epi32(_mm512_min_epu32(next_start, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(1))),
        ns0(_mm512_sub_epi32(_mm512_min_epu32(_mm512_load_si512(t.next_start32), _mm512_set1_epi32(0x7fffffff)),
                             _mm512_set1_epi32(kPiece == 2 ? 1 : 0))),
        ns1(_mm512_sub_epi32(_mm512_min_epu32(_mm512_load_si512(t.next_start32 + 16), _mm512_set1_epi32(0x7fffffff)),
                             _mm512_set1_epi32(kPiece == 2 ? 1 : 0))),
        cap(_mm512_castps_si512(_mm512_load_ps(t.cap))),
        slope(_mm512_castps_si512(_mm512_load_ps(t.slope))),
        offset0(_mm512_castps_si512(_mm512_load_ps(t.offset))),
        offset1(_mm512_castps_si512(_mm512_load_ps(t.offset + 16))),
        tie(_mm512_set1_epi32(static_cast<int>(t.tie_bits))),
        window_mask(_mm512_set1_epi32(((1 << t.fraction_bits) - 1) & ~(2 * t.window - 1))),
        narrow(t.fraction_bits) {}

  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& trusted) const {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 magc;
    if constexpr (!kSigned) {  // negative, -0 and NaN take the zero piece (code 0), as encode_value does
      magc = _mm512_min_ps(_mm512_max_ps(y, _mm512_setzero_ps()), one);
    } else if constexpr (kMagc == 1) {
      magc = _mm512_castsi512_ps(_mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(y), _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_castps_si512(one)));
    } else {
      magc = _mm512_range_ps(y, one, 0x0a);  // min(|y|, 1), sign cleared
    }
    const __m512i mbits = _mm512_castps_si512(magc);
    __m512i p;
    if constexpr (kPiece >= 2) {  // the piece at the pair's bottom and the next start side by side
      const __m512i pair = _mm512_max_epu32(_mm512_srli_epi32(mbits, 24), _mm512_set1_epi32(32));
      p = _mm512_permutex2var_epi32(slot0, pair, slot1);
      const __m512i ns = _mm512_permutex2var_epi32(ns0, pair, ns1);
      if constexpr (kPiece == 2) {  // (start - 1 - magc) < 0 exactly when magc >= start (both < 2^31)
        p = _mm512_add_epi32(p, _mm512_srli_epi32(_mm512_sub_epi32(ns, mbits), 31));
      } else {
        p = _mm512_mask_add_epi32(p, _mm512_cmp_epu32_mask(mbits, ns, _MM_CMPINT_NLT), p, _mm512_set1_epi32(1));
      }
    } else {
      if constexpr (kSlot == 1) {
        const __m512i pair = _mm512_max_epu32(_mm512_srli_epi32(mbits, 24), _mm512_set1_epi32(32));
        p = _mm512_permutex2var_epi32(slot0, pair, slot1);
      } else {
        p = _mm512_permutexvar_epi8(_mm512_srli_epi32(mbits, 24), slot);
      }
      if constexpr (kPiece == 1) {  // (start - 1 - magc) < 0 exactly when magc >= start (both < 2^31)
        p = _mm512_add_epi32(p, _mm512_srli_epi32(_mm512_sub_epi32(_mm512_permutexvar_epi32(p, next_start_m1), mbits), 31));
      } else {
        const __mmask16 above = _mm512_cmp_epu32_mask(mbits, _mm512_permutexvar_epi32(p, next_start), _MM_CMPINT_NLT);
        p = _mm512_mask_add_epi32(p, above, p, _mm512_set1_epi32(1));
      }
    }
    const __m512 cp = _mm512_castsi512_ps(_mm512_permutexvar_epi32(p, cap));
    const __m512 c = kSigned ? _mm512_range_ps(y, cp, 0x02) : _mm512_min_ps(magc, cp);
    const __m512 sl = _mm512_castsi512_ps(_mm512_permutexvar_epi32(p, slope));
    __m512 of;
    if constexpr (kSigned) {
      if constexpr (kSign == 1) {  // bit 4 of the index = the sign (bit 31 rotated to bit 4)
        p = _mm512_ternarylogic_epi32(p, _mm512_rol_epi32(_mm512_castps_si512(y), 5), _mm512_set1_epi32(16), 0xf8);
      } else {
        p = _mm512_mask_or_epi32(p, _mm512_movepi32_mask(_mm512_castps_si512(y)), p, _mm512_set1_epi32(16));
      }
      of = _mm512_castsi512_ps(_mm512_permutex2var_epi32(offset0, p, offset1));
    } else {
      of = _mm512_castsi512_ps(_mm512_permutexvar_epi32(p, offset0));
    }
    const __m512i s = _mm512_castps_si512(_mm512_fmadd_ps(c, sl, of));
    if constexpr (kSigned) {
      const __mmask16 ordinary = _mm512_cmp_ps_mask(y, _mm512_castsi512_ps(tie), _CMP_NEQ_OQ);
      trusted = _mm512_mask_test_epi32_mask(ordinary, s, window_mask);
    } else {
      trusted = _mm512_test_epi32_mask(s, window_mask);
    }
    constexpr int F = 15;
    if constexpr (kNarrow == 1) {
      return _mm512_castsi512_si128(_mm512_permutexvar_epi8(narrow.pick, _mm512_multishift_epi64_epi8(narrow.shift_ctrl, s)));
    } else if constexpr (kNarrow == 2) {
      return _mm512_castsi512_si128(_mm512_permutexvar_epi8(narrow.pick4, _mm512_srli_epi32(s, F)));
    } else if constexpr (kNarrow == 3) {
      return _mm512_cvtepi64_epi16(_mm512_multishift_epi64_epi8(narrow.shift_ctrl, s));
    } else {
      return _mm512_cvtepi32_epi8(_mm512_srli_epi32(s, F));
    }
  }
};

#endif  // __AVX512VBMI__

// Round 5's encoder (the baseline), with its wiring's narrowing.
// kByReference: the tables read through a pointer every vector (GCC's code for the round-5 wiring,
// and what this harness measured first); else a local copy (registers).
template <bool kByReference>
struct R5Encoder {
  static_assert(true);
  k::cpu_detail::r5::DecadeEncoder own;
  const k::cpu_detail::r5::DecadeEncoder* e;
  explicit R5Encoder(const k::cpu_detail::r5::DecadeTables& d) : own(d), e(&own) {}
  R5Encoder(const R5Encoder& o) : own(o.own), e(kByReference ? o.e : &own) {}
  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& trusted) const {
    __mmask16 untrusted;
    const __m512i c = (kByReference ? *e : own).codes(y, untrusted);
    trusted = static_cast<__mmask16>(~untrusted);
    return _mm512_cvtepi32_epi8(c);
  }
};

struct LibEncoder {
  k::cpu_detail::lib::DecadeEncoder e;
  explicit LibEncoder(const k::cpu_detail::lib::DecadeTables& d) : e(d) {}
  [[gnu::always_inline]] __m128i codes(__m512 y, __mmask16& trusted) const {
    __mmask16 untrusted;
    const __m128i c = e.codes(y, untrusted);
    trusted = static_cast<__mmask16>(~untrusted);
    return c;
  }
};

// ---------------------------------------------------------------------------------------------
static double thread_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// encode_value on a run of consecutive bit patterns: the code is monotone in the bit pattern
// within one sign, so a chunk whose two ends agree has one code throughout.
static void reference_chunk(const k::QuantTable& t, std::uint32_t start, std::uint32_t n, std::uint8_t* out) {
  const std::uint8_t first = k::encode_value(t, k::bits_float(start));
  const std::uint8_t last = k::encode_value(t, k::bits_float(start + n - 1));
  const bool one_sign = (start >> 31) == ((start + n - 1) >> 31);
  const bool has_nan = [&] {
    const std::uint32_t lo = start & 0x7fffffffu, hi = (start + n - 1) & 0x7fffffffu;
    return hi > 0x7f800000u || lo > 0x7f800000u || !one_sign;
  }();
  if (first == last && one_sign && !has_nan) {
    std::memset(out, first, n);
    return;
  }
  for (std::uint32_t i = 0; i < n; ++i) out[i] = k::encode_value(t, k::bits_float(start + i));
}

template <class Enc>
static bool check_all(const char* name, const k::QuantTable& t, const Enc& enc) {
  constexpr std::uint32_t kChunk = 1u << 16;
  std::vector<float> x(kChunk);
  std::vector<std::uint8_t> want(kChunk), got(kChunk);
  std::vector<std::uint16_t> trust(kChunk / 16);
  std::uint64_t wrong = 0, untrusted_unit = 0, unit = 0;
  const double t0 = thread_ns();
  for (std::uint64_t start = 0; start < (1ull << 32); start += kChunk) {
    const auto s32 = static_cast<std::uint32_t>(start);
    for (std::uint32_t i = 0; i < kChunk; ++i) x[i] = k::bits_float(s32 + i);
    reference_chunk(t, s32, kChunk, want.data());
    for (std::uint32_t i = 0; i < kChunk; i += 16) {
      __mmask16 m;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(got.data() + i), enc.codes(_mm512_loadu_ps(x.data() + i), m));
      trust[i / 16] = m;
    }
    const bool in_unit = (s32 & 0x7fffffffu) <= 0x3f800000u;
    for (std::uint32_t i = 0; i < kChunk; ++i) {
      const bool trusted = (trust[i / 16] >> (i % 16)) & 1;
      const bool lane_in_unit = ((s32 + i) & 0x7fffffffu) <= 0x3f800000u;
      if (in_unit || lane_in_unit) {
        unit += lane_in_unit;
        untrusted_unit += lane_in_unit && !trusted;
      }
      if (trusted && got[i] != want[i]) {
        if (++wrong <= 8) {
          std::printf("    MISMATCH %s: bits %08x (%.9g): got %d want %d\n", name, s32 + i, x[i], got[i], want[i]);
        }
      }
    }
  }
  std::printf("  %-28s %s map: %llu mismatches in 2^32 inputs; untrusted lanes in [-1,1]: %llu of %llu (%.5f%%), "
              "%.1f s\n",
              name, t.is_signed ? "signed  " : "unsigned", static_cast<unsigned long long>(wrong),
              static_cast<unsigned long long>(untrusted_unit), static_cast<unsigned long long>(unit),
              100.0 * static_cast<double>(untrusted_unit) / static_cast<double>(unit), (thread_ns() - t0) * 1e-9);
  return wrong == 0;
}

// Adam-like inputs: y = x / absmax per block of 256.
static std::vector<float> make_inputs(bool is_signed, int kind, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  std::vector<float> x(n);
  for (std::size_t b = 0; b < n; b += 256) {
    const float row_scale = std::exp(3.0f * normal(rng));
    for (std::size_t i = b; i < b + 256 && i < n; ++i) {
      float v;
      if (kind == 0) {  // m: a moment of normal gradients; v: its square's EMA
        const float g = normal(rng) * row_scale;
        v = is_signed ? g : g * g * (0.5f + uni(rng));
      } else {  // magnitudes log-uniform over 6 decades
        v = std::pow(10.0f, -6.0f * uni(rng)) * row_scale;
        if (is_signed && uni(rng) < 0.5f) v = -v;
      }
      x[i] = v;
    }
    float m = 0.0f;
    for (std::size_t i = b; i < b + 256 && i < n; ++i) m = std::max(m, std::fabs(x[i]));
    for (std::size_t i = b; i < b + 256 && i < n; ++i) x[i] = x[i] / m;
  }
  return x;
}

template <class Enc>
[[gnu::noinline]] static std::size_t run(const Enc& encoder, const float* y, std::size_t n, std::uint8_t* out) {
  const Enc enc = encoder;  // a local: its tables stay in registers across the byte stores
  std::size_t fallbacks = 0;
  for (std::size_t i = 0; i < n; i += 16) {
    __mmask16 m;
    const __m128i c = enc.codes(_mm512_loadu_ps(y + i), m);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), c);
    fallbacks += m != 0xffff;
  }
  return fallbacks;
}

static bool kTwoRows = false;
// Two rows at a time, as the fused loop encodes its rows: independent work in one iteration.
template <class Enc>
[[gnu::noinline]] static std::size_t run2(const Enc& encoder, const float* y, std::size_t n, std::uint8_t* out) {
  const Enc enc = encoder;
  std::size_t fallbacks = 0;
  const std::size_t h = n / 2;
  for (std::size_t i = 0; i < h; i += 16) {
    __mmask16 m0, m1;
    const __m128i c0 = enc.codes(_mm512_loadu_ps(y + i), m0);
    const __m128i c1 = enc.codes(_mm512_loadu_ps(y + h + i), m1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), c0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + h + i), c1);
    fallbacks += (m0 & m1) != 0xffff;
  }
  return fallbacks;
}

template <class Enc>
static void time_one(const char* name, const Enc& enc, const std::vector<float>& small, const std::vector<float>& big) {
  std::vector<std::uint8_t> out(big.size());
  double l1[9], stream[9];
  std::size_t fb_small = 0, fb_big = 0;
  for (int r = 0; r < 9; ++r) {
    double t0 = thread_ns();
    for (int rep = 0; rep < 2000; ++rep) {
      fb_small = kTwoRows ? run2(enc, small.data(), small.size(), out.data()) : run(enc, small.data(), small.size(), out.data());
    }
    l1[r] = (thread_ns() - t0) / (2000.0 * static_cast<double>(small.size()) / 16.0);
    t0 = thread_ns();
    fb_big = kTwoRows ? run2(enc, big.data(), big.size(), out.data()) : run(enc, big.data(), big.size(), out.data());
    stream[r] = (thread_ns() - t0) / (static_cast<double>(big.size()) / 16.0);
  }
  std::sort(l1, l1 + 9);
  std::sort(stream, stream + 9);
  std::printf("  %-30s L1 %.3f ns/16 (min %.3f)  stream %.3f ns/16 (min %.3f)  untrusted vectors %.3f%% / %.3f%%\n", name,
              l1[4], l1[0], stream[4], stream[0], 100.0 * fb_small / (small.size() / 16.0),
              100.0 * fb_big / (big.size() / 16.0));
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "time";
  const int fraction_bits = argc > 2 ? std::atoi(argv[2]) : 15;
  const int window = argc > 3 ? std::atoi(argv[3]) : 2;
  kTwoRows = argc > 4 && std::string(argv[4]) == "x2";
  for (const bool is_signed : {true, false}) {
    const k::QuantTable t = k::make_quant_table(is_signed ? k::kSignedMapBits : k::kUnsignedMapBits, is_signed);
    const auto r5t = k::cpu_detail::r5::make_decade_tables(t);
    const auto libt = k::cpu_detail::lib::make_decade_tables(t);
    const auto pt = make_pair_tables(t, fraction_bits, window);
    if (!r5t || !pt || !libt) {
      std::printf("tables refused (%d %d)\n", !!r5t, !!pt);
      return 1;
    }
    report_misses(t, *pt);
    const R5Encoder<false> r5(*r5t);
    const R5Encoder<true> r5m(*r5t);
#if defined(__AVX512VBMI__)
#define CANDIDATES(X)                                  \
  X("pairs (vbmi, srl+vpmovdb)", 0, 0, 0, 0, 0)        \
  X("pairs, and+minud", 1, 0, 0, 0, 0)                 \
  X("pairs, avx512 slot", 0, 1, 0, 0, 0)               \
  X("pairs, piece by arithmetic", 0, 0, 1, 0, 0)       \
  X("pairs, sign by rotate", 0, 0, 0, 1, 0)            \
  X("pairs, arithmetic+rotate", 0, 0, 1, 1, 0)         \
  X("pairs, multishift+vpermb", 0, 0, 0, 0, 1)         \
  X("pairs, srl+vpermb", 0, 0, 0, 0, 2)                \
  X("pairs, multishift+vpmovqw", 0, 0, 0, 0, 3)        \
  X("pairs, parallel ns, arithmetic", 0, 1, 2, 0, 0)   \
  X("pairs, parallel ns, compare", 0, 1, 3, 0, 0)      \
  X("pairs, par. ns, arith., rotate", 0, 1, 2, 1, 0)
#else  // AVX-512F/BW/DQ/VL only: round 5 and the library's form
#define CANDIDATES(X)
#endif
    if (mode == "check") {
      check_all("round5", t, r5);
      check_all("library (kernels/cpu)", t, LibEncoder(*libt));
#define CHECK(name, a, b, c, d_, e)                                  \
  if (is_signed) check_all(name, t, PairEncoder<a, b, c, d_, e, true>(*pt)); \
  else check_all(name, t, PairEncoder<a, b, c, d_, e, false>(*pt));
      CANDIDATES(CHECK)
    } else {
      for (int kind = 0; kind < 2; ++kind) {
        const auto small = make_inputs(is_signed, kind, 1024, 1 + kind);
        const auto big = make_inputs(is_signed, kind, std::size_t{1} << 24, 7 + kind);
        std::printf(" %s map, %s inputs:\n", is_signed ? "signed" : "unsigned", kind == 0 ? "Adam-like" : "log-uniform");
        for (int rep = 0; rep < 2; ++rep) {
          time_one("round5", r5, small, big);
          time_one("round5, tables in memory", r5m, small, big);
          time_one("library (kernels/cpu)", LibEncoder(*libt), small, big);
#define TIME(name, a, b, c, d_, e)                                               \
  if (is_signed) time_one(name, PairEncoder<a, b, c, d_, e, true>(*pt), small, big); \
  else time_one(name, PairEncoder<a, b, c, d_, e, false>(*pt), small, big);
          CANDIDATES(TIME)
        }
      }
    }
  }
}
