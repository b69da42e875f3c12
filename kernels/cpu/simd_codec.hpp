#pragma once
// Fast exact 8-bit codec for one instruction set: the same codes as encode_value() and the same
// floats as decode_value() for every input, bit for bit (integer arithmetic on the quotient's
// bits and one IEEE division per element, no reassociation). Included by step_variant.cpp, which
// is compiled once per variant; the SIMD paths are chosen by the compiler flags of that variant.
//
// Encode: the bucket table of bucket_table.hpp (one gathered word and one addition per value)
// for every map that fits it, which includes both built-in maps; with AVX-512 and where gathers
// are slow (preferred_encoder(): AMD), the built-in maps take the gather-free decade encoder of
// decade_codec.hpp, the bucket table coding the vectors it does not vouch for; otherwise the branch-free
// binary search of quant_table.hpp, 16 lanes at a time with AVX-512, each level's thresholds
// in registers (levels 1-5 one zmm, 6 two, 7 four, 8 eight, merged on the index's upper bits).
// Decode: values[code] * scale, by gathers, or by byte-plane look-ups with VBMI.
#include <cstddef>
#include <cstdint>
#include <memory>

#if defined(__AVX2__)
#include <immintrin.h>
#define BNB_SIMD_CODEC_AVX2 1
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define BNB_SIMD_CODEC_AVX512 1
#endif

#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"  // EncoderKind
#include "bucket_table.hpp"
#include "byte_plane_codec.hpp"
#include "decade_codec.hpp"

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
// Each variant's copies get their own symbols: these templates are compiled with different
// -m flags per translation unit, and one merged (ODR) copy would run one variant's code for all.
inline namespace BNB_CPU_VARIANT {

/// Whether this variant's encoder looks words up by bits(y) >> shift (BucketTable::direct).
#if BNB_SIMD_CODEC_AVX512
inline constexpr bool kDirectLookup = true;
#else
inline constexpr bool kDirectLookup = false;
#endif

/// The bucket table of t (null: t keeps the binary search), built once per thread and table
/// content: building walks every bucket, too much to repeat every step.
inline std::shared_ptr<const BucketTable> cached_bucket_table(const QuantTable& t) {
  struct Entry {
    QuantTable table{};
    std::shared_ptr<const BucketTable> buckets;
    bool valid = false;
  };
  constexpr int kEntries = 4;  // the two built-in maps and a few checkpoint maps
  static thread_local Entry cache[kEntries];
  static thread_local int next = 0;
  for (const Entry& e : cache) {
    if (e.valid && same_table(e.table, t)) return e.buckets;
  }
  Entry& e = cache[next];
  next = (next + 1) % kEntries;
  e.table = t;
  e.buckets = make_bucket_table(t, kDirectLookup);
  e.valid = true;
  return e.buckets;
}

/// An encoder prepared for one table (which must outlive it); cheap to build (a cache look-up),
/// so the fused step builds one per state row and step.
class Encoder {
 public:
  explicit Encoder(const QuantTable& t) : table_(t), negatives_(negative_count(t)), buckets_(cached_bucket_table(t)) {
#if BNB_SIMD_CODEC_AVX512
    if (buckets_) {  // the search levels are only needed without a bucket table
      // The decade encoder needs the direct words for the vectors it does not vouch for.
      if (!buckets_->direct.empty() && preferred_encoder() == EncoderKind::decades) decades_ = builtin_decade_tables(t);
      return;
    }
    for (int level = 1; level <= 8; ++level) {
      const int count = 1 << (level - 1);
      const int stride = 1 << (9 - level);
      float* dst = levels_ + level_offset(level);
      for (int i = 0; i < count; ++i) dst[i] = t.upper[i * stride + stride / 2 - 1];
      for (int i = count; i < 16; ++i) dst[i] = 0.0f;  // never indexed: lanes < count only
    }
#endif
  }

  /// codes of x[i] / scale, i < len. Precondition: scale != 0 (the caller stores zero codes).
  /// Always inlined: GCC's choice flipped with unrelated changes to this class, and the call
  /// per block and row cost the AVX2 step 2% more instructions (the CI instruction gate).
  [[gnu::always_inline]] void encode(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    encode_run<false>(x, len, scale, out);
  }

  /// encode() where scale is a run's absmax, |x[i]| <= scale for every x[i] that is not NaN
  /// (the step's blocks): the same codes, the decade encoder relying on |x[i] / scale| <= 1.
  [[gnu::always_inline]] void encode_by_absmax(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    encode_run<true>(x, len, scale, out);
  }

  EncoderKind kind() const {
#if BNB_SIMD_CODEC_AVX512
    if (decades_) return EncoderKind::decades;
#endif
    return buckets_ ? EncoderKind::buckets : EncoderKind::search;
  }

 private:
  template <bool kWithinOne>
  [[gnu::always_inline]] void encode_run(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    if (buckets_) return encode_buckets<kWithinOne>(x, len, scale, out);
    std::size_t i = 0;
#if BNB_SIMD_CODEC_AVX512
    i = encode_avx512(x, len, scale, out);
#endif
    const QuantTable& t = table_;
    for (; i < len; ++i) out[i] = encode_one(t, x[i] / scale, negatives_);
  }

  /// The bucket-table encoder: the code from one table word and one integer addition
  /// (bucket_table.hpp), then the two values the table cannot express: zero and NaN.
  template <bool kWithinOne>
  void encode_buckets(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    std::size_t i = 0;
#if BNB_SIMD_CODEC_AVX512
    i = encode_buckets_avx512<kWithinOne>(x, len, scale, out);
#elif BNB_SIMD_CODEC_AVX2
    i = encode_buckets_avx2(x, len, scale, out);
#endif
    const BucketTable& b = *buckets_;
    for (; i < len; ++i) {
      const float y = x[i] / scale;
      const int code = y == 0.0f && b.zero_fix ? b.zero_code_value : bucket_code(b, y);
      out[i] = y != y ? table_.zero_code : static_cast<std::uint8_t>(code);
    }
  }

  /// The table with the "- base" of the bucket index folded into its address, for the gathers.
  /// (An address below the vector's storage, never dereferenced: indices are >= base.)
  static const void* rebased_words(const BucketTable& b) {
    return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(b.words.data()) -
                                         static_cast<std::uintptr_t>(b.base) * sizeof(std::uint32_t));
  }

#if BNB_SIMD_CODEC_AVX512
  template <bool kWithinOne>
  std::size_t encode_buckets_avx512(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    const BucketTable& b = *buckets_;
    if (decades_) return encode_vectors(x, len, scale, out, decade_codes<kWithinOne>());
    if (!b.direct.empty()) return encode_vectors(x, len, scale, out, direct_codes());
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), shift = _mm512_set1_epi32(b.shift);
    const __m512i low = _mm512_set1_epi32(b.base), high = _mm512_set1_epi32(b.base + b.per_sign - 1);
    const __m512i per_sign = _mm512_set1_epi32(b.per_sign);
    const __m512i low_mask = _mm512_set1_epi32(static_cast<int>(b.low_mask));
    const void* words = rebased_words(b);
    const CodeFinish finish = code_finish();
    return encode_vectors(x, len, scale, out, [&](__m512 y) {
      const __m512i bits = _mm512_castps_si512(y);
      const __m512i mag = _mm512_and_si512(bits, magnitude);
      const __mmask16 negative = _mm512_movepi32_mask(bits);
      __m512i bucket = _mm512_min_epi32(_mm512_max_epi32(_mm512_srlv_epi32(mag, shift), low), high);
      bucket = _mm512_mask_add_epi32(bucket, negative, bucket, per_sign);
      const __m512i word = _mm512_i32gather_epi32(bucket, words, 4);
      __m512i key = _mm512_and_si512(mag, low_mask);
      key = _mm512_mask_xor_epi32(key, negative, key, low_mask);
      return finish(y, _mm512_add_epi32(word, key));
    });
  }

 public:
  /// The last steps of the bucket encoder: the code word + key of 16 quotients, zero and NaN
  /// replaced, narrowed to bytes. The code is the top byte of word + key (bucket_table.hpp);
  /// the zero and NaN codes are put there too, and the narrowing picks that byte.
  struct CodeFinish {
    __m512 zero;
    __m512i zero_code, zero_value;
#if defined(__AVX512VBMI__)
    __m512i top_bytes;
#endif
    bool zero_fix, one_compare;

    [[gnu::always_inline]] __m128i operator()(__m512 y, __m512i code) const {
      if (one_compare) {
        code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, zero, _CMP_EQ_UQ), zero_code);
      } else {
        if (zero_fix) code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, zero, _CMP_EQ_OQ), zero_value);
        code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), zero_code);
      }
#if defined(__AVX512VBMI__)
      return _mm512_castsi512_si128(_mm512_permutexvar_epi8(top_bytes, code));
#else
      return _mm512_cvtepi32_epi8(_mm512_srli_epi32(code, 24));
#endif
    }
  };

  /// The codes of 16 quotients from the direct words (BucketTable::direct): the shift is the
  /// whole index; the key's reversal for negative y is (bits ^ sign) & low_mask, one vpternlogd
  /// on the sign spread by an arithmetic shift. Constants prepared once, for loops that code
  /// 16 values at a time (encode_vectors, the fused 8-bit step).
  struct DirectCodes {
    CodeFinish finish;
    __m512i shift, low_mask;
    const void* direct;

    [[gnu::always_inline]] __m128i operator()(__m512 y) const {
      const __m512i bits = _mm512_castps_si512(y);
      const __m512i word = _mm512_i32gather_epi32(_mm512_srlv_epi32(bits, shift), direct, 4);
      const __m512i key = _mm512_ternarylogic_epi32(bits, _mm512_srai_epi32(bits, 31), low_mask, 0x28);
      return finish(y, _mm512_add_epi32(word, key));
    }
  };

  /// Whether direct_codes() applies (a bucket table with direct words).
  bool has_direct_codes() const { return buckets_ && !buckets_->direct.empty(); }
  /// Precondition: has_direct_codes().
  [[gnu::always_inline]] DirectCodes direct_codes() const {
    const BucketTable& b = *buckets_;
    return DirectCodes{code_finish(), _mm512_set1_epi32(b.shift), _mm512_set1_epi32(static_cast<int>(b.low_mask)),
                       b.direct.data()};
  }

  /// The codes of 16 quotients from the decade encoder (decade_codec.hpp), a vector with an
  /// untrusted lane (near a threshold, |y| > 1, NaN, ...: ~2% of vectors) from the direct words.
  /// kWithinOne: DecadeEncoder::codes' (every quotient NaN or within [-1, 1]).
  template <bool kWithinOne = false>
  struct DecadeCodes {
    DecadeEncoder decades;
    DirectCodes fallback;

    [[gnu::always_inline]] __m128i operator()(__m512 y) const {
      __mmask16 untrusted;
      const __m128i codes = decades.codes<kWithinOne>(y, untrusted);
      if (untrusted != 0) [[unlikely]] return fallback(y);
      return codes;
    }

    /// Four vectors with one test of their untrusted lanes: a branch per 16 values kept the
    /// loop to one vector in flight at a time (round 15: -5% per encode).
    [[gnu::always_inline]] void operator()(const __m512 (&y)[4], __m128i (&codes)[4]) const {
      __mmask16 untrusted[4];
      for (int q = 0; q < 4; ++q) codes[q] = decades.codes<kWithinOne>(y[q], untrusted[q]);
      if ((untrusted[0] | untrusted[1] | untrusted[2] | untrusted[3]) != 0) [[unlikely]] {
        for (int q = 0; q < 4; ++q) {
          if (untrusted[q] != 0) codes[q] = fallback(y[q]);
        }
      }
    }
  };

  /// Whether decade_codes() applies: the built-in maps, when preferred_encoder() says decades.
  bool has_decade_codes() const { return decades_ != nullptr; }
  /// Precondition: has_decade_codes() (which implies has_direct_codes()). Inlined: built out of
  /// line, the tables went to the stack and were loaded back by the caller (a 64-byte load of a
  /// just-stored vector), which cost the 16-vector blocks of codec_bench ~40%.
  template <bool kWithinOne = false>
  [[gnu::always_inline]] DecadeCodes<kWithinOne> decade_codes() const {
    return DecadeCodes<kWithinOne>{DecadeEncoder(*decades_), direct_codes()};
  }

 private:
  [[gnu::always_inline]] CodeFinish code_finish() const {
    const BucketTable& b = *buckets_;
    CodeFinish f;
    f.zero = _mm512_setzero_ps();
    f.zero_code = _mm512_set1_epi32(static_cast<int>(std::uint32_t{table_.zero_code} << 24));
    f.zero_value = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(b.zero_code_value) << 24));
#if defined(__AVX512VBMI__)
    // Byte 3 of every 32-bit lane to bytes 0-15: one vpermb, where the shift and vpmovdb
    // (2 uops) were three on the 512-bit ports.
    f.top_bytes = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3f3b3733, 0x2f2b2723, 0x1f1b1713, 0x0f0b0703);
#endif
    // Zero and NaN in one compare (equal-or-unordered) when they take the same code.
    f.zero_fix = b.zero_fix;
    f.one_compare = b.zero_fix && b.zero_code_value == table_.zero_code;
    return f;
  }

  /// codes16(x[i..i+16) / scale) stored for every 16 values: full vectors without masks
  /// (computing a tail mask every iteration cost ~6 scalar uops per 16 values, on the ports the
  /// vector work needs), then one masked tail. A masked narrowing store (vpmovdb to memory) is
  /// microcoded on some cores: codes16 narrows in a register and the tail stores bytes under
  /// the mask.
  template <class Codes16>
  [[gnu::always_inline]] static std::size_t encode_vectors(const float* x, std::size_t len, float scale, std::uint8_t* out, Codes16 codes16) {
    const __m512 vscale = _mm512_set1_ps(scale);
    std::size_t i = 0;
    if constexpr (requires(const __m512 (&y)[4], __m128i (&c)[4]) { codes16(y, c); }) {  // 64 at a time
      for (; i + 64 <= len; i += 64) {
        __m512 y[4];
        __m128i codes[4];
        for (int q = 0; q < 4; ++q) y[q] = _mm512_div_ps(_mm512_loadu_ps(x + i + 16 * q), vscale);
        codes16(y, codes);
        for (int q = 0; q < 4; ++q) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 16 * q), codes[q]);
      }
    }
    for (; i + 16 <= len; i += 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), codes16(_mm512_div_ps(_mm512_loadu_ps(x + i), vscale)));
    }
    if (i < len) {
      const auto lanes = static_cast<__mmask16>((1u << (len - i)) - 1u);
      _mm_mask_storeu_epi8(out + i, lanes, codes16(_mm512_div_ps(_mm512_maskz_loadu_ps(lanes, x + i), vscale)));
    }
    return len;
  }
#elif BNB_SIMD_CODEC_AVX2
  std::size_t encode_buckets_avx2(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    const BucketTable& b = *buckets_;
    const __m256 vscale = _mm256_set1_ps(scale), zero = _mm256_setzero_ps();
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff), shift = _mm256_set1_epi32(b.shift);
    const __m256i low = _mm256_set1_epi32(b.base), high = _mm256_set1_epi32(b.base + b.per_sign - 1);
    const __m256i per_sign = _mm256_set1_epi32(b.per_sign);
    const __m256i low_mask = _mm256_set1_epi32(static_cast<int>(b.low_mask));
    const __m256i zero_code = _mm256_set1_epi32(table_.zero_code), zero_value = _mm256_set1_epi32(b.zero_code_value);
    // Byte 0 of every 32-bit lane to the low 4 bytes of each 128-bit half, then both halves together.
    const __m256i pick_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                                                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i join_halves = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
    const bool zero_fix = b.zero_fix;
    const int* words = static_cast<const int*>(rebased_words(b));
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
      const __m256 y = _mm256_div_ps(_mm256_loadu_ps(x + i), vscale);
      const __m256i bits = _mm256_castps_si256(y);
      const __m256i mag = _mm256_and_si256(bits, magnitude);
      const __m256i negative = _mm256_srai_epi32(bits, 31);  // all ones in negative lanes
      __m256i bucket = _mm256_min_epi32(_mm256_max_epi32(_mm256_srlv_epi32(mag, shift), low), high);
      bucket = _mm256_add_epi32(bucket, _mm256_and_si256(negative, per_sign));
      const __m256i word = _mm256_i32gather_epi32(words, bucket, 4);
      const __m256i key = _mm256_xor_si256(_mm256_and_si256(mag, low_mask), _mm256_and_si256(negative, low_mask));
      __m256i code = _mm256_srli_epi32(_mm256_add_epi32(word, key), 24);
      if (zero_fix) code = _mm256_blendv_epi8(code, zero_value, _mm256_castps_si256(_mm256_cmp_ps(y, zero, _CMP_EQ_OQ)));
      code = _mm256_blendv_epi8(code, zero_code, _mm256_castps_si256(_mm256_cmp_ps(y, y, _CMP_UNORD_Q)));
      const __m256i out_bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(code, pick_bytes), join_halves);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm256_castsi256_si128(out_bytes));
    }
    return i;
  }
#endif

  /// encode_value() written without an early return so that it if-converts and vectorizes.
  static std::uint8_t encode_one(const QuantTable& t, float y, int negatives) {
    int code = 0;
    for (int step = 128; step >= 1; step >>= 1) code += (y >= t.upper[code + step - 1]) ? step : 0;
    if (t.is_signed) {
      code -= (y < 0.0f && code >= negatives) ? 1 : 0;
      code += (y > 0.0f && code < negatives) ? 1 : 0;
    }
    return y != y ? t.zero_code : static_cast<std::uint8_t>(code);
  }

#if BNB_SIMD_CODEC_AVX512
  static constexpr int level_offset(int level) { return level <= 5 ? 16 * (level - 1) : level == 6 ? 80 : level == 7 ? 112 : 176; }

  std::size_t encode_avx512(const float* x, std::size_t len, float scale, std::uint8_t* out) const {
    const __m512 l1 = _mm512_set1_ps(levels_[0]);
    const __m512 l2 = _mm512_loadu_ps(levels_ + 16), l3 = _mm512_loadu_ps(levels_ + 32);
    const __m512 l4 = _mm512_loadu_ps(levels_ + 48), l5 = _mm512_loadu_ps(levels_ + 64);
    const __m512 l6a = _mm512_loadu_ps(levels_ + 80), l6b = _mm512_loadu_ps(levels_ + 96);
    __m512 l7[4], l8[8];
    for (int j = 0; j < 4; ++j) l7[j] = _mm512_loadu_ps(levels_ + 112 + 16 * j);
    for (int j = 0; j < 8; ++j) l8[j] = _mm512_loadu_ps(levels_ + 176 + 16 * j);
    const __m512 vscale = _mm512_set1_ps(scale);
    const __m512i one = _mm512_set1_epi32(1), bit5 = _mm512_set1_epi32(32), bit6 = _mm512_set1_epi32(64);
    const __m512i negatives = _mm512_set1_epi32(negatives_);
    const __m512i zero_code = _mm512_set1_epi32(table_.zero_code);
    const __m512 zero = _mm512_setzero_ps();
    const bool is_signed = table_.is_signed;

    std::size_t i = 0;
    for (; i < len; i += 16) {
      const std::size_t rest = len - i;
      const __mmask16 lanes = rest >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << rest) - 1u);
      const __m512 y = _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, x + i), vscale);
      // idx = the code bits found so far; each step appends one bit: idx = 2*idx + (y >= th).
      __m512i idx = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(y, l1, _CMP_GE_OQ), one);
      const auto step = [&](__m512 th) {
        const __m512i twice = _mm512_add_epi32(idx, idx);
        idx = _mm512_mask_add_epi32(twice, _mm512_cmp_ps_mask(y, th, _CMP_GE_OQ), twice, one);
      };
      step(_mm512_permutexvar_ps(idx, l2));
      step(_mm512_permutexvar_ps(idx, l3));
      step(_mm512_permutexvar_ps(idx, l4));
      step(_mm512_permutexvar_ps(idx, l5));
      step(_mm512_permutex2var_ps(l6a, idx, l6b));
      {
        const __mmask16 hi = _mm512_test_epi32_mask(idx, bit5);
        const __m512 lo = _mm512_permutex2var_ps(l7[0], idx, l7[1]);
        step(_mm512_mask_mov_ps(lo, hi, _mm512_permutex2var_ps(l7[2], idx, l7[3])));
      }
      {
        const __mmask16 b5 = _mm512_test_epi32_mask(idx, bit5), b6 = _mm512_test_epi32_mask(idx, bit6);
        __m512 t0 = _mm512_permutex2var_ps(l8[0], idx, l8[1]);
        t0 = _mm512_mask_mov_ps(t0, b5, _mm512_permutex2var_ps(l8[2], idx, l8[3]));
        __m512 t1 = _mm512_permutex2var_ps(l8[4], idx, l8[5]);
        t1 = _mm512_mask_mov_ps(t1, b5, _mm512_permutex2var_ps(l8[6], idx, l8[7]));
        step(_mm512_mask_mov_ps(t0, b6, t1));
      }
      __m512i code = idx;
      if (is_signed) {
        const __mmask16 below = _mm512_cmp_ps_mask(y, zero, _CMP_LT_OQ);
        const __mmask16 above = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ);
        const __mmask16 nonneg_code = _mm512_cmpge_epi32_mask(code, negatives);
        code = _mm512_mask_sub_epi32(code, static_cast<__mmask16>(below & nonneg_code), code, one);
        code = _mm512_mask_add_epi32(code, static_cast<__mmask16>(above & ~nonneg_code), code, one);
      }
      code = _mm512_mask_mov_epi32(code, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), zero_code);
      _mm512_mask_cvtepi32_storeu_epi8(out + i, lanes, code);
    }
    return len;
  }

  alignas(64) float levels_[304];  // levels 1-5: 16 each, 6: 32, 7: 64, 8: 128
  const DecadeTables* decades_ = nullptr;  // the built-in maps' (static), when preferred
#endif
  const QuantTable& table_;
  int negatives_;
  std::shared_ptr<const BucketTable> buckets_;
};

/// values[code] * scale for each code.
inline void decode_scaled(const QuantTable& t, const std::uint8_t* codes, std::size_t len, float scale, float* out) {
  std::size_t i = 0;
#if BNB_SIMD_CODEC_AVX512
  const __m512 vscale = _mm512_set1_ps(scale);
  for (; i + 16 <= len; i += 16) {
    const __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)));
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_i32gather_ps(idx, t.values, 4), vscale));
  }
#endif
  for (; i < len; ++i) out[i] = decode_value(t, codes[i], scale);
}

/// A decoder prepared for one table (which must outlive it): with VBMI the values as byte planes
/// (1 KiB, built in well under a microsecond), else decode_scaled's gather.
class Decoder {
 public:
  explicit Decoder(const QuantTable& t) : table_(t) {
#if BNB_BYTE_PLANE_CODEC
    std::uint32_t words[256];
    for (int i = 0; i < 256; ++i) words[i] = float_bits(t.values[i]);
    fill_planes(values_, words);
#endif
  }

  void decode(const std::uint8_t* codes, std::size_t len, float scale, float* out) const {
    std::size_t i = 0;
#if BNB_BYTE_PLANE_CODEC
    i = decode_byte_planes(values_, codes, len, scale, out);
#endif
    decode_scaled(table_, codes + i, len - i, scale, out + i);
  }

#if BNB_BYTE_PLANE_CODEC
  /// The values as byte planes (for decoding in registers: decode_64_codes).
  const BytePlanes& planes() const { return values_; }
#endif

 private:
  const QuantTable& table_;
#if BNB_BYTE_PLANE_CODEC
  BytePlanes values_;
#endif
};

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
