// Run-time choice of the CPU kernel variant (DESIGN.md §2: one binary fast on every x86 machine).
#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <atomic>
#include <stdexcept>
#include <string>

#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#ifdef BNB_TEST_REDUNDANT_PASS
#include "redundant_pass.hpp"
#endif

namespace bnb::kernels {
namespace {

/// F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports does not know "f16c".
bool has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

// The variants compiled into this binary, one bit per CpuVariant (BNB_CPU_VARIANTS,
// kernels/CMakeLists.txt); the others are stubs (absent_variant.cpp) and count as unsupported.
#ifndef BNB_CPU_VARIANTS_BUILT
#error "BNB_CPU_VARIANTS_BUILT must be the bitmask of the compiled variants"
#endif
bool built(CpuVariant v) { return ((BNB_CPU_VARIANTS_BUILT >> static_cast<unsigned>(v)) & 1u) != 0; }

/// What the CPU offers for variant v, whether or not v is built: avx512vbmi builds on the
/// avx512 requirements even in a binary compiled without the avx512 variant.
bool hardware_supports(CpuVariant v) {
  switch (v) {
    case CpuVariant::scalar: return true;
    case CpuVariant::avx2:
      return __builtin_cpu_supports("avx2") && has_f16c() && __builtin_cpu_supports("fma");
    case CpuVariant::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    case CpuVariant::avx512vbmi:
      return hardware_supports(CpuVariant::avx512) && __builtin_cpu_supports("avx512vbmi");
  }
  return false;
}

bool cpu_supports(CpuVariant v) { return built(v) && hardware_supports(v); }

const char* why_unsupported(CpuVariant v) {
  return built(v) ? "is not supported by this CPU" : "is not built into this binary (BNB_CPU_VARIANTS)";
}

// The forced variant as an int (-1 = automatic): active_variant() runs once per codec call of
// the quantizer, so it takes no lock and allocates nothing.
std::atomic<int> g_forced{-1};

CpuVariant widest_supported() {
  static const CpuVariant widest = supported_variants().back();
  return widest;
}

}  // namespace

std::string_view variant_name(CpuVariant v) {
  switch (v) {
    case CpuVariant::scalar: return "scalar";
    case CpuVariant::avx2: return "avx2";
    case CpuVariant::avx512: return "avx512";
    case CpuVariant::avx512vbmi: return "avx512vbmi";
  }
  return "?";
}

std::optional<CpuVariant> parse_variant(std::string_view name) {
  for (CpuVariant v : kAllCpuVariants) {
    if (variant_name(v) == name) return v;
  }
  return std::nullopt;
}

std::vector<CpuVariant> supported_variants() {
  std::vector<CpuVariant> out;
  for (CpuVariant v : kAllCpuVariants) {
    if (cpu_supports(v)) out.push_back(v);
  }
  return out;
}

void force_variant(std::optional<CpuVariant> v) {
  if (v && !cpu_supports(*v)) {
    throw std::invalid_argument("CPU variant '" + std::string(variant_name(*v)) + "' " + why_unsupported(*v));
  }
  g_forced.store(v ? static_cast<int>(*v) : -1, std::memory_order_relaxed);
}

CpuVariant active_variant() {
  if (const int forced = g_forced.load(std::memory_order_relaxed); forced >= 0) return static_cast<CpuVariant>(forced);
  if (const char* env = std::getenv("BNB_CPU_VARIANT"); env && *env) {
    const auto v = parse_variant(env);
    if (!v) throw std::invalid_argument(std::string("BNB_CPU_VARIANT='") + env + "': expected scalar, avx2, avx512 or avx512vbmi");
    if (!cpu_supports(*v)) throw std::invalid_argument(std::string("BNB_CPU_VARIANT='") + env + "' " + why_unsupported(*v));
    return *v;
  }
  return widest_supported();
}

namespace {
void variant_step(CpuVariant v, const StepRequest& r, StepReport& report) {
  switch (v) {
    case CpuVariant::scalar: return scalar::step(r, report);
    case CpuVariant::avx2: return avx2::step(r, report);
    case CpuVariant::avx512: return avx512::step(r, report);
    case CpuVariant::avx512vbmi: return avx512vbmi::step(r, report);
  }
}
}  // namespace

void cpu_step(CpuVariant v, const StepRequest& r, StepReport& report) {
#ifdef BNB_TEST_REDUNDANT_PASS
  redundant_state_pass(r, [v](const StepRequest& s, StepReport& out) { variant_step(v, s, out); });
#endif
  variant_step(v, r, report);
}

void cpu_step(const StepRequest& r, StepReport& report) { cpu_step(active_variant(), r, report); }

double cpu_sum_squares(DType dtype, const void* data, std::size_t n, int threads, const ShardFold* shards) {
  switch (active_variant()) {
    case CpuVariant::scalar: return scalar::sum_squares(dtype, data, n, threads, shards);
    case CpuVariant::avx2: return avx2::sum_squares(dtype, data, n, threads, shards);
    case CpuVariant::avx512: return avx512::sum_squares(dtype, data, n, threads, shards);
    case CpuVariant::avx512vbmi: return avx512vbmi::sum_squares(dtype, data, n, threads, shards);
  }
  return 0;
}

namespace {

// The forced encoder as an int (-1 = automatic), read once per prepared encoder like g_forced.
std::atomic<int> g_forced_encoder{-1};

/// CPUID leaf 0's vendor string.
bool is_amd() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  char vendor[12];
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  return std::memcmp(vendor, "AuthenticAMD", 12) == 0;
}

}  // namespace

std::string_view encoder_name(EncoderKind k) {
  switch (k) {
    case EncoderKind::search: return "search";
    case EncoderKind::buckets: return "buckets";
    case EncoderKind::decades: return "decades";
  }
  return "?";
}

std::optional<EncoderKind> parse_encoder(std::string_view name) {
  for (EncoderKind k : {EncoderKind::search, EncoderKind::buckets, EncoderKind::decades}) {
    if (encoder_name(k) == name) return k;
  }
  return std::nullopt;
}

EncoderKind automatic_encoder() {
  // Zen 4 runs a 16-lane vpgatherdd in ~7 ns (microcoded; the Intel guest 2.5 ns), and the
  // gathers were ~65% of the fused 8-bit loop there (results/perf/round9/adam8.md); every AMD
  // core with AVX-512 has the same microcoded gather. Intel keeps the bucket table's gather,
  // which beat the decade encoder there (results/perf/round5/README.md, item 1).
  static const EncoderKind automatic = is_amd() ? EncoderKind::decades : EncoderKind::buckets;
  return automatic;
}

void force_encoder(std::optional<EncoderKind> k) {
  if (k == EncoderKind::search) {
    throw std::invalid_argument("encoder 'search' cannot be forced: it is what maps without a bucket table take");
  }
  g_forced_encoder.store(k ? static_cast<int>(*k) : -1, std::memory_order_relaxed);
}

EncoderKind preferred_encoder() {
  if (const int forced = g_forced_encoder.load(std::memory_order_relaxed); forced >= 0) {
    return static_cast<EncoderKind>(forced);
  }
  if (const char* env = std::getenv("BNB_CPU_ENCODER"); env && *env) {
    const auto k = parse_encoder(env);
    if (!k || *k == EncoderKind::search) {
      throw std::invalid_argument(std::string("BNB_CPU_ENCODER='") + env + "': expected buckets or decades");
    }
    return *k;
  }
  return automatic_encoder();
}

bool cpu_bf16_instructions() {
  static const bool has = __builtin_cpu_supports("avx512bf16");
  if (const char* env = std::getenv("BNB_CPU_BF16"); env && *env) {
    const std::string_view value(env);
    if (value != "0" && value != "1") {
      throw std::invalid_argument(std::string("BNB_CPU_BF16='") + env + "': expected 0 or 1");
    }
    if (value == "0") return false;
  }
  return has;
}

bool bf16_instructions_in_use() {
  const CpuVariant v = active_variant();
  return (v == CpuVariant::avx512 || v == CpuVariant::avx512vbmi) && cpu_bf16_instructions();
}

std::unique_ptr<const PreparedCodec> prepare_cpu_codec(CpuVariant v, const QuantTable& t) {
  switch (v) {
    case CpuVariant::scalar: return scalar::prepare_codec(t);
    case CpuVariant::avx2: return avx2::prepare_codec(t);
    case CpuVariant::avx512: return avx512::prepare_codec(t);
    case CpuVariant::avx512vbmi: return avx512vbmi::prepare_codec(t);
  }
  return nullptr;
}

std::unique_ptr<const PreparedCodec> prepare_cpu_codec(const QuantTable& t) { return prepare_cpu_codec(active_variant(), t); }

}  // namespace bnb::kernels
