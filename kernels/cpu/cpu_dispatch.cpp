// Run-time choice of the CPU kernel variant (DESIGN.md §2: one binary fast on every x86 machine).
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "bnb/kernels/cpu_variant.hpp"

namespace bnb::kernels {
namespace {

bool cpu_supports(CpuVariant v) {
  switch (v) {
    case CpuVariant::scalar: return true;
    case CpuVariant::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
    case CpuVariant::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

std::optional<CpuVariant> g_forced;
std::mutex g_mutex;

}  // namespace

std::string_view variant_name(CpuVariant v) {
  switch (v) {
    case CpuVariant::scalar: return "scalar";
    case CpuVariant::avx2: return "avx2";
    case CpuVariant::avx512: return "avx512";
  }
  return "?";
}

std::optional<CpuVariant> parse_variant(std::string_view name) {
  for (CpuVariant v : {CpuVariant::scalar, CpuVariant::avx2, CpuVariant::avx512}) {
    if (variant_name(v) == name) return v;
  }
  return std::nullopt;
}

std::vector<CpuVariant> supported_variants() {
  std::vector<CpuVariant> out;
  for (CpuVariant v : {CpuVariant::scalar, CpuVariant::avx2, CpuVariant::avx512}) {
    if (cpu_supports(v)) out.push_back(v);
  }
  return out;
}

void force_variant(std::optional<CpuVariant> v) {
  if (v && !cpu_supports(*v)) {
    throw std::invalid_argument("CPU variant '" + std::string(variant_name(*v)) + "' is not supported by this CPU");
  }
  std::lock_guard lock(g_mutex);
  g_forced = v;
}

CpuVariant active_variant() {
  {
    std::lock_guard lock(g_mutex);
    if (g_forced) return *g_forced;
  }
  if (const char* env = std::getenv("BNB_CPU_VARIANT"); env && *env) {
    const auto v = parse_variant(env);
    if (!v) throw std::invalid_argument(std::string("BNB_CPU_VARIANT='") + env + "': expected scalar, avx2 or avx512");
    if (!cpu_supports(*v)) throw std::invalid_argument(std::string("BNB_CPU_VARIANT='") + env + "' is not supported by this CPU");
    return *v;
  }
  return supported_variants().back();
}

void cpu_step(CpuVariant v, const StepRequest& r, StepReport& report) {
  switch (v) {
    case CpuVariant::scalar: return scalar::step(r, report);
    case CpuVariant::avx2: return avx2::step(r, report);
    case CpuVariant::avx512: return avx512::step(r, report);
  }
}

void cpu_step(const StepRequest& r, StepReport& report) { cpu_step(active_variant(), r, report); }

double cpu_sum_squares(DType dtype, const void* data, std::size_t n, int threads) {
  switch (active_variant()) {
    case CpuVariant::scalar: return scalar::sum_squares(dtype, data, n, threads);
    case CpuVariant::avx2: return avx2::sum_squares(dtype, data, n, threads);
    case CpuVariant::avx512: return avx512::sum_squares(dtype, data, n, threads);
  }
  return 0;
}

}  // namespace bnb::kernels
