#pragma once
// Finding the few positions of one code in a run of 8-bit codes: the underflow count of the
// fused step (step_loops.hpp) looks for the zero code in every block it has just encoded, and
// almost none is there. One byte compare and one OR per 32 codes (AVX2) and a test per run:
// ~0.1 instruction per code in registers, with no pass over the floats unless a code matches.
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

/// Whether any of the len codes is `code`: with AVX2 one compare and one OR per 32 codes, four
/// vectors per round, and one test at the end.
inline bool holds_code(const std::uint8_t* codes, std::size_t len, std::uint8_t code) {
  std::size_t i = 0;
#if defined(__AVX2__)
  const __m256i wanted = _mm256_set1_epi8(static_cast<char>(code));
  auto hits_at = [&](std::size_t at) {
    return _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + at)), wanted);
  };
  __m256i any = _mm256_setzero_si256();
  for (; i + 128 <= len; i += 128) {
    any = _mm256_or_si256(any, _mm256_or_si256(_mm256_or_si256(hits_at(i), hits_at(i + 32)),
                                               _mm256_or_si256(hits_at(i + 64), hits_at(i + 96))));
  }
  for (; i + 32 <= len; i += 32) any = _mm256_or_si256(any, hits_at(i));
  if (!_mm256_testz_si256(any, any)) return true;
#endif
  for (; i < len; ++i) {
    if (codes[i] == code) return true;
  }
  return false;
}

/// Calls f(i) for each i < len with codes[i] == code, in increasing order. Most runs hold none:
/// holds_code settles those.
template <class F>
inline void for_each_code(const std::uint8_t* codes, std::size_t len, std::uint8_t code, F&& f) {
  if (!holds_code(codes, len, code)) return;
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

}  // namespace BNB_CPU_VARIANT
}  // namespace bnb::kernels::cpu_detail
