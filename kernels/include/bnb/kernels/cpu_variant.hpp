#pragma once
// The CPU kernels, compiled once per instruction set and chosen at run time.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bnb/kernels/step_request.hpp"

namespace bnb::kernels {

/// x86 instruction-set levels, narrowest first: avx512 = F/BW/VL/DQ (Skylake-X on), avx512vbmi
/// adds the byte permutes of VBMI (Ice Lake, Zen 4 on) used by the 8-bit codec.
enum class CpuVariant { scalar, avx2, avx512, avx512vbmi };
inline constexpr CpuVariant kAllCpuVariants[] = {CpuVariant::scalar, CpuVariant::avx2, CpuVariant::avx512,
                                                 CpuVariant::avx512vbmi};

std::string_view variant_name(CpuVariant v);
std::optional<CpuVariant> parse_variant(std::string_view name);

/// Variants this binary has and this CPU can run, scalar first.
std::vector<CpuVariant> supported_variants();

/// The variant used by cpu_step: the environment variable BNB_CPU_VARIANT if set (and
/// supported), else the widest the CPU supports. Throws std::invalid_argument for an unknown or
/// unsupported forced variant.
CpuVariant active_variant();
void force_variant(std::optional<CpuVariant> v);  // nullopt = automatic

/// Whether the AVX-512 variants' 8-bit single pass converts bf16 tensors with AVX512_BF16's instructions (the same
/// bits in fewer operations): the CPU has them, and the environment variable BNB_CPU_BF16 is not
/// 0 (1 or unset: where the CPU has them). Throws std::invalid_argument for any other value.
bool cpu_bf16_instructions();
/// Whether a step with the active variant uses them: an AVX-512 variant (the ones compiled with
/// them) and cpu_bf16_instructions(). Throws as active_variant() and cpu_bf16_instructions() do.
bool bf16_instructions_in_use();

/// One step of one tensor on the CPU with the active (or the given) variant.
void cpu_step(const StepRequest& r, StepReport& report);
void cpu_step(CpuVariant v, const StepRequest& r, StepReport& report);

/// Deterministic sum of squares (fixed reduction order, step_request.hpp), through the shards of
/// a sharded tensor when `shards` is set (shard_fold.hpp).
double cpu_sum_squares(DType dtype, const void* data, std::size_t n, int threads, const ShardFold* shards = nullptr);

#define BNB_DECLARE_VARIANT(ns)                                                                           \
  namespace ns {                                                                                          \
  void step(const StepRequest& r, StepReport& report);                                                    \
  double sum_squares(DType dtype, const void* data, std::size_t n, int threads, const ShardFold* shards); \
  }
BNB_DECLARE_VARIANT(scalar)
BNB_DECLARE_VARIANT(avx2)
BNB_DECLARE_VARIANT(avx512)
BNB_DECLARE_VARIANT(avx512vbmi)
#undef BNB_DECLARE_VARIANT

}  // namespace bnb::kernels
