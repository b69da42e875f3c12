#pragma once
// Finding the few positions of one code in a run of 8-bit codes: the underflow count of the
// fused step (step_loops.hpp) looks for the zero code in every block it has just encoded, and
// most blocks hold none. One byte compare and one OR per 32 codes (AVX2; per 64 with AVX-512BW),
// every state row in the same loop, and a test per row and block: ~0.07 instruction per code in
// registers, with no pass over the floats unless a code matches.
#include <bit>
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#ifndef BNB_CPU_VARIANT
#error "compiled once per CPU variant: BNB_CPU_VARIANT names the variant"
#endif

namespace bnb::kernels::cpu_detail {
inline namespace BNB_CPU_VARIANT {  // one copy per variant (step_loops.hpp)

/// The largest block of codes the step scans at once (step_loops.hpp's kMaxBlock).
inline constexpr std::size_t kMaxBlockCodes = 4096;

/// The rows among `rows` (bit k: row k) whose len codes hold their zero[k]: all rows in one pass,
/// one compare and one OR per row and 64 codes (AVX-512BW) or 32 (AVX2), a 256-code block per
/// round, and one test per row at the end.
template <int kRows>
inline unsigned rows_holding(const std::uint8_t* const* codes, const std::uint8_t* zero, unsigned rows, std::size_t len) {
  std::size_t i = 0;
  unsigned hit = 0;
#if defined(__AVX512BW__)
  __m512i wanted[kRows];
  __mmask64 any[kRows];
  for (int k = 0; k < kRows; ++k) {
    wanted[k] = _mm512_set1_epi8(static_cast<char>(zero[k]));
    any[k] = 0;
  }
  auto hits_at = [&](int k, std::size_t at) { return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(codes[k] + at), wanted[k]); };
  for (; i + 256 <= len; i += 256) {
    for (int k = 0; k < kRows; ++k) any[k] |= (hits_at(k, i) | hits_at(k, i + 64)) | (hits_at(k, i + 128) | hits_at(k, i + 192));
  }
  for (; i + 64 <= len; i += 64) {
    for (int k = 0; k < kRows; ++k) any[k] |= hits_at(k, i);
  }
  for (int k = 0; k < kRows; ++k) hit |= any[k] != 0 ? 1u << k : 0u;
#elif defined(__AVX2__)
  __m256i wanted[kRows], any[kRows];
  for (int k = 0; k < kRows; ++k) {
    wanted[k] = _mm256_set1_epi8(static_cast<char>(zero[k]));
    any[k] = _mm256_setzero_si256();
  }
  auto hits_at = [&](int k, std::size_t at) {
    return _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes[k] + at)), wanted[k]);
  };
  auto any_of4 = [&](int k, std::size_t at) {
    return _mm256_or_si256(_mm256_or_si256(hits_at(k, at), hits_at(k, at + 32)), _mm256_or_si256(hits_at(k, at + 64), hits_at(k, at + 96)));
  };
  for (; i + 256 <= len; i += 256) {
    for (int k = 0; k < kRows; ++k) any[k] = _mm256_or_si256(any[k], _mm256_or_si256(any_of4(k, i), any_of4(k, i + 128)));
  }
  for (; i + 32 <= len; i += 32) {
    for (int k = 0; k < kRows; ++k) any[k] = _mm256_or_si256(any[k], hits_at(k, i));
  }
  for (int k = 0; k < kRows; ++k) hit |= _mm256_testz_si256(any[k], any[k]) ? 0u : 1u << k;
#endif
  for (; i < len; ++i) {
    for (int k = 0; k < kRows; ++k) hit |= codes[k][i] == zero[k] ? 1u << k : 0u;
  }
  return hit & rows;
}

/// The number of i < len with codes[i] == code and x[i] nonzero, a NaN not counted (fabs(x) > 0):
/// the underflows of a run whose map decodes `code` to 0 (underflowed() of underflow_guard.hpp),
/// for the step without a remedy. Whole vectors of codes and floats and a popcount each: the
/// second moment's row holds the zero code in ~22% of blocks on normal gradients, where the
/// element-wise walk (settle_hits) took more instructions (round 15). Out of line: inlined into the
/// single pass (GCC's choice, which depends on the unit's other callers) it cost 1-4% (rounds 15, 16).
[[gnu::noinline]] inline std::size_t count_underflows(const std::uint8_t* codes, const float* x, std::size_t len, std::uint8_t code) {
  std::size_t n = 0, i = 0;
#if defined(__AVX512BW__)
  const __m512i wanted = _mm512_set1_epi8(static_cast<char>(code));
  for (; i + 64 <= len; i += 64) {
    // Every 64 codes in full, without a test for a match: of a block's four groups of 64 the
    // one that holds the zero code is random, and the mispredicted tests cost more than the
    // float compares they skip (round 15: 8-bit Adam -5.8% / -5.0% at 1 / 2 threads).
    const std::uint64_t hits = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(codes + i), wanted);
    std::uint64_t nonzero = 0;
    for (int q = 0; q < 4; ++q) {
      const __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i + 16 * q), _mm512_setzero_ps(), _CMP_NEQ_OQ);
      nonzero |= std::uint64_t{m} << (16 * q);
    }
    n += static_cast<std::size_t>(std::popcount(hits & nonzero));
  }
#elif defined(__AVX2__)
  const __m256i wanted = _mm256_set1_epi8(static_cast<char>(code));
  for (; i + 32 <= len; i += 32) {
    const __m256i got = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i));
    const auto hits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(got, wanted)));
    if (hits == 0) continue;
    std::uint32_t nonzero = 0;
    for (int q = 0; q < 4; ++q) {
      const __m256 nz = _mm256_cmp_ps(_mm256_loadu_ps(x + i + 8 * q), _mm256_setzero_ps(), _CMP_NEQ_OQ);
      nonzero |= static_cast<std::uint32_t>(_mm256_movemask_ps(nz)) << (8 * q);
    }
    n += static_cast<std::size_t>(std::popcount(hits & nonzero));
  }
#endif
  for (; i < len; ++i) n += codes[i] == code && (x[i] > 0.0f || x[i] < 0.0f) ? 1 : 0;
  return n;
}

/// Calls f(i) for each i < len with codes[i] == code, in increasing order (for a run that
/// rows_holding found to hold one).
template <class F>
inline void for_each_code(const std::uint8_t* codes, std::size_t len, std::uint8_t code, F&& f) {
  std::size_t i = 0;
#if defined(__AVX2__)
  const __m256i wanted = _mm256_set1_epi8(static_cast<char>(code));
  for (; i + 32 <= len; i += 32) {
    const __m256i got = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i));
    auto hits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(got, wanted)));
    for (; hits != 0; hits &= hits - 1) f(i + static_cast<std::size_t>(std::countr_zero(hits)));
  }
#elif defined(__SSE2__)
  const __m128i wanted = _mm_set1_epi8(static_cast<char>(code));
  for (; i + 16 <= len; i += 16) {
    const __m128i got = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i));
    auto hits = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(got, wanted)));
    for (; hits != 0; hits &= hits - 1) f(i + static_cast<std::size_t>(std::countr_zero(hits)));
  }
#endif
  for (; i < len; ++i) {
    if (codes[i] == code) f(i);
  }
}

/// Calls f(i) for each from <= i < len, in increasing order, at which some row k of `rows` has
/// rows[k][i] == old[k][i], or rows[k][i] == zero[k] when bit k of zero_rows is set: the elements
/// whose code stalled or may have underflowed (step_loops.hpp's settle_block_unstall). Two byte
/// compares per row and 32 codes with AVX2.
template <int kRows, class F>
inline void for_each_flagged(const std::uint8_t* const* rows, const std::uint8_t (*old)[kMaxBlockCodes],
                             const std::uint8_t* zero, unsigned zero_rows, std::size_t from, std::size_t len, F&& f) {
  std::size_t i = from;
#if defined(__AVX2__)
  for (; i + 32 <= len; i += 32) {
    __m256i any = _mm256_setzero_si256();
    for (int k = 0; k < kRows; ++k) {
      const __m256i got = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[k] + i));
      const __m256i was = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(old[k] + i));
      any = _mm256_or_si256(any, _mm256_cmpeq_epi8(got, was));
      if ((zero_rows >> k & 1u) != 0) any = _mm256_or_si256(any, _mm256_cmpeq_epi8(got, _mm256_set1_epi8(static_cast<char>(zero[k]))));
    }
    for (auto hits = static_cast<std::uint32_t>(_mm256_movemask_epi8(any)); hits != 0; hits &= hits - 1) {
      f(i + static_cast<std::size_t>(std::countr_zero(hits)));
    }
  }
#endif
  for (; i < len; ++i) {
    bool flagged = false;
    for (int k = 0; k < kRows; ++k) flagged = flagged || rows[k][i] == old[k][i] || ((zero_rows >> k & 1u) != 0 && rows[k][i] == zero[k]);
    if (flagged) f(i);
  }
}

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
