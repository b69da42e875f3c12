// The CPU variants (scalar, AVX2, AVX-512) and the thread count change speed, never results:
// every algorithm x storage type x state format gives bit-identical parameters, fp32 states,
// codes and absmax with every variant and with 1 or 2 threads (DESIGN.md §2, numerics policy in
// cmake/Numerics.cmake). The fast 8-bit encoder of each variant returns encode_value()'s code
// for every input tried: all thresholds of both maps and their float neighbours, special values
// and a million random floats; so does each encoder kind a variant can be forced to
// (force_encoder: the bucket table, the decade encoder), in the codec and inside the steps.
// Tolerance: none (bitwise equality is the contract).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bnb/kernels/algorithms/all.hpp"
#include "bnb/kernels/bits.hpp"
#include "bnb/kernels/block_codec.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#include "bnb/quantize.hpp"

// The driver's select-based half conversions (compiled here in a namespace of their own).
#define BNB_CPU_VARIANT conversion_test
#include "../../kernels/cpu/vector_storage.hpp"
#undef BNB_CPU_VARIANT

namespace {

using bnb::Algorithm;
using bnb::DType;
using bnb::StateFormat;
namespace k = bnb::kernels;

constexpr Algorithm kAlgorithms[] = {Algorithm::adam,    Algorithm::ademamix, Algorithm::momentum, Algorithm::rmsprop,
                                     Algorithm::adagrad, Algorithm::lion,     Algorithm::lamb,     Algorithm::lars};
constexpr DType kDTypes[] = {DType::f32, DType::f16, DType::bf16};
/// Every state format of the list (state_format.hpp): a new codec is covered without an edit here.
constexpr auto kFormats = [] {
  std::array<StateFormat, bnb::kStateFormatCount> all{};
  for (int i = 0; i < bnb::kStateFormatCount; ++i) all[static_cast<std::size_t>(i)] = static_cast<StateFormat>(i);
  return all;
}();
constexpr int kSteps = 3;
// Odd sizes: several 256-element blocks plus a tail that is not a multiple of any SIMD width.
constexpr std::size_t kN = 3 * 256 + 77;

bnb::StepConstants prepare(Algorithm a, const bnb::HyperParams& h, std::int64_t t) {
  switch (a) {
    case Algorithm::ademamix: return k::AdEMAMix::prepare(h, t);
    default: return k::base_step_constants(h, t);
  }
}

/// The map of each state row: state2 of adam/lamb and ademamix's nu are unsigned (SPEC.md §5.1).
bool row_signed(Algorithm a, int row) {
  if ((a == Algorithm::adam || a == Algorithm::lamb) && row == 1) return false;
  if (a == Algorithm::ademamix && row == 2) return false;
  return true;
}

std::uint16_t to_storage(DType d, float v) {
  return d == DType::f16 ? k::float_to_half(v).bits : k::float_to_bf16(v).bits;
}

/// One tensor and its state, owned; all buffers compared bytewise after the steps.
struct StepRun {
  std::vector<std::uint8_t> param;
  std::vector<std::uint8_t> compensation;  // param_rounding compensated
  std::vector<float> values[bnb::kMaxStateRows];
  std::vector<std::uint8_t> codes[bnb::kMaxStateRows];
  std::vector<float> absmax[bnb::kMaxStateRows];
  std::vector<float> unorms;
  std::uint64_t nonfinite = 0;
  std::vector<std::uint64_t> underflows;  // per step and row
};

std::vector<std::uint8_t> make_values(DType d, std::size_t n, std::mt19937& rng, float sigma, bool specials) {
  std::normal_distribution<float> normal(0.0f, sigma);
  const std::size_t width = d == DType::f32 ? 4 : 2;
  std::vector<std::uint8_t> out(n * width);
  for (std::size_t i = 0; i < n; ++i) {
    float v = normal(rng);
    if (i % 97 == 5) v = 0.0f;  // skip_zeros has something to skip
    if (i % 61 == 3) v *= 1e-5f;  // squares far below their block's largest: 8-bit underflows
    if (i % 89 == 7) v *= 1e-30f;  // below 2^-100: outside the fused encoder's reciprocal window
    if (specials && i == 11) v = std::numeric_limits<float>::infinity();
    if (specials && i == 800) v = std::numeric_limits<float>::quiet_NaN();
    if (d == DType::f32) {
      std::memcpy(out.data() + 4 * i, &v, 4);
    } else {
      const std::uint16_t b = to_storage(d, v);
      std::memcpy(out.data() + 2 * i, &b, 2);
    }
  }
  return out;
}

StepRun run_steps(k::CpuVariant variant, int threads, Algorithm a, DType d, StateFormat f,
                  bnb::ParamRounding rounding = bnb::ParamRounding::nearest,
                  k::UnderflowGuard guard = k::UnderflowGuard::off) {
  const int rows = k::state_rows(a);
  std::mt19937 rng(1234u + static_cast<unsigned>(a) * 16u + static_cast<unsigned>(d) * 4u + static_cast<unsigned>(f));
  StepRun run;
  run.param = make_values(d, kN, rng, 0.5f, false);
  bnb::StepRequest r;
  r.algorithm = a;
  r.dtype = d;
  r.n = kN;
  r.param = run.param.data();
  r.rounding = rounding;
  if (rounding == bnb::ParamRounding::compensated) {
    run.compensation = make_values(d, kN, rng, 1e-3f, false);  // as earlier steps leave it
    r.compensation = run.compensation.data();
  }
  r.state.format = f;
  r.state.rows = rows;
  const bnb::FormatCodec& codec = bnb::format_codec(f);
  for (int row = 0; row < rows; ++row) {
    const auto map = bnb::state_map(f, row_signed(a, row));
    run.values[row].assign(f == StateFormat::fp32 ? kN : 0, 0.0f);
    run.codes[row].assign(f == StateFormat::fp32 ? 0 : codec.row_bytes(kN), bnb::quant_table(map).zero_code);
    run.absmax[row].assign(std::max<std::size_t>(codec.scale_count(kN, bnb::kDefaultBlockSize), 1), 0.0f);
    r.state.values[row] = run.values[row].data();
    r.state.codes[row] = run.codes[row].data();
    r.state.absmax[row] = run.absmax[row].data();
    r.state.table[row] = &bnb::quant_table(map);
  }
  bnb::HyperParams h;
  h.weight_decay = static_cast<int>(a) % 2 == 0 ? 1e-2 : 0.0;
  h.skip_zeros = static_cast<int>(a) % 3 == 1;
  h.max_unorm = bnb::kernels::clips_update_norm(a) ? 0.02 : 0.0;
  r.max_unorm = static_cast<float>(h.max_unorm);
  r.threads = threads;
  r.underflow_guard = guard;
  for (int t = 1; t <= kSteps; ++t) {
    // The 8-bit paths skip non-finite gradients (SPEC.md §3); the fp32 path would spread NaN.
    const std::vector<std::uint8_t> grad = make_values(d, kN, rng, 0.1f, f != StateFormat::fp32);
    r.grad = grad.data();
    r.constants = prepare(a, h, t);
    r.gnorm_scale = t == 2 ? 0.75f : 1.0f;
    r.rounding_key = k::rounding_key(5, 77, t);
    r.state_rounding_key = k::rounding_key(6, 77, t);
    bnb::StepReport report;
    k::cpu_step(variant, r, report);
    run.unorms.push_back(report.unorm);
    run.nonfinite += report.nonfinite_grads;
    run.underflows.insert(run.underflows.end(), report.underflows, report.underflows + bnb::kMaxStateRows);
  }
  return run;
}

/// The scalar variant's result, computed once per case and shared by the variant instances.
const StepRun& scalar_reference(Algorithm a, DType d, StateFormat f) {
  static std::map<std::tuple<Algorithm, DType, StateFormat>, StepRun> cache;
  const auto key = std::make_tuple(a, d, f);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, run_steps(k::CpuVariant::scalar, 1, a, d, f)).first;
  return it->second;
}

template <class V>
bool same_bytes(const std::vector<V>& x, const std::vector<V>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(V)) == 0);
}

void expect_identical(const StepRun& want, const StepRun& got, const std::string& what) {
  EXPECT_TRUE(same_bytes(want.param, got.param)) << what << ": parameters differ";
  EXPECT_TRUE(same_bytes(want.compensation, got.compensation)) << what << ": compensation differs";
  for (int row = 0; row < bnb::kMaxStateRows; ++row) {
    EXPECT_TRUE(same_bytes(want.values[row], got.values[row])) << what << ": fp32 state row " << row << " differs";
    EXPECT_TRUE(same_bytes(want.codes[row], got.codes[row])) << what << ": codes of row " << row << " differ";
    EXPECT_TRUE(same_bytes(want.absmax[row], got.absmax[row])) << what << ": absmax of row " << row << " differs";
  }
  EXPECT_TRUE(same_bytes(want.unorms, got.unorms)) << what << ": update norms differ";
  EXPECT_EQ(want.nonfinite, got.nonfinite) << what;
  EXPECT_EQ(want.underflows, got.underflows) << what << ": underflow counts differ";
}

std::string describe(Algorithm a, DType d, StateFormat f) {
  return "algorithm " + std::to_string(static_cast<int>(a)) + " dtype " + std::to_string(static_cast<int>(d)) +
         " format " + std::to_string(static_cast<int>(f));
}

/// The encoder kinds a step can be forced to (preferred_encoder()); the search is the map's.
constexpr k::EncoderKind kForcibleEncoders[] = {k::EncoderKind::buckets, k::EncoderKind::decades};

/// force_encoder(kind) for a scope; automatic again at its end.
class ForcedEncoder {
 public:
  explicit ForcedEncoder(k::EncoderKind kind) { k::force_encoder(kind); }
  ~ForcedEncoder() { k::force_encoder(std::nullopt); }
  ForcedEncoder(const ForcedEncoder&) = delete;
  ForcedEncoder& operator=(const ForcedEncoder&) = delete;
};

/// An environment variable set for a scope (unset at its end).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

bool is_avx512(k::CpuVariant v) { return v == k::CpuVariant::avx512 || v == k::CpuVariant::avx512vbmi; }

class CpuVariantTest : public ::testing::TestWithParam<k::CpuVariant> {
 protected:
  void SetUp() override {
    const auto supported = k::supported_variants();
    if (std::find(supported.begin(), supported.end(), GetParam()) == supported.end()) {
      GTEST_SKIP() << "this CPU does not support the " << k::variant_name(GetParam()) << " variant";
    }
  }
};

TEST_P(CpuVariantTest, StepsAreBitIdenticalToScalar) {
  for (Algorithm a : kAlgorithms) {
    for (DType d : kDTypes) {
      for (StateFormat f : kFormats) {
        const StepRun& want = scalar_reference(a, d, f);
        const StepRun got = run_steps(GetParam(), 1, a, d, f);  // threads: see below
        expect_identical(want, got, describe(a, d, f));
        if (f != StateFormat::fp32) {
          EXPECT_EQ(got.nonfinite, 2u * kSteps) << describe(a, d, f) << ": the Inf and NaN gradients are counted";
        }
      }
    }
  }
}

// The 16-bit parameter rounding modes (bnb/kernels/param_rounding.hpp): the random bits are a
// function of the element index, so variants and thread counts must not change them either.
TEST_P(CpuVariantTest, ParamRoundingIsBitIdenticalToScalar) {
  for (bnb::ParamRounding rounding : {bnb::ParamRounding::stochastic, bnb::ParamRounding::compensated}) {
    for (Algorithm a : kAlgorithms) {
      for (DType d : {DType::f16, DType::bf16}) {
        for (StateFormat f : kFormats) {
          const std::string what = describe(a, d, f) + " rounding " + std::to_string(static_cast<int>(rounding));
          static std::map<std::tuple<Algorithm, DType, StateFormat, bnb::ParamRounding>, StepRun> scalar;
          const auto key = std::make_tuple(a, d, f, rounding);
          if (!scalar.count(key)) scalar.emplace(key, run_steps(k::CpuVariant::scalar, 1, a, d, f, rounding));
          const StepRun& want = scalar.at(key);
          expect_identical(want, run_steps(GetParam(), 1, a, d, f, rounding), what);
          if (a == Algorithm::lamb) expect_identical(want, run_steps(GetParam(), 2, a, d, f, rounding), what + " 2 threads");
        }
      }
    }
  }
}

// The underflow counts and every remedy of underflow_guard.hpp: each variant counts and guards
// as the scalar one, the unguarded 8-bit runs of this data do underflow, and each remedy changes
// the step.
TEST_P(CpuVariantTest, UnderflowGuardAndCountsAreIdenticalToScalar) {
  for (Algorithm a : {Algorithm::adam, Algorithm::ademamix, Algorithm::lamb}) {
    for (StateFormat f : {StateFormat::blockwise8, StateFormat::tensorwise8}) {
      const StepRun plain = run_steps(GetParam(), 1, a, DType::f32, f);
      std::uint64_t seen = 0;
      for (std::uint64_t u : plain.underflows) seen += u;
      EXPECT_GT(seen, 0u) << describe(a, DType::f32, f) << ": the tiny gradients underflow without the guard";
      std::vector<std::uint8_t> dropped;  // drop_momentum's parameters
      for (k::UnderflowGuard g : {k::UnderflowGuard::smallest_code, k::UnderflowGuard::drop_momentum,
                                  k::UnderflowGuard::zero_update, k::UnderflowGuard::smallest_code_drop_momentum,
                                  k::UnderflowGuard::drop_momentum_unstall}) {
        const std::string what = describe(a, DType::f32, f) + " guard " + std::to_string(static_cast<int>(g));
        const StepRun guarded = run_steps(GetParam(), 1, a, DType::f32, f, bnb::ParamRounding::nearest, g);
        expect_identical(run_steps(k::CpuVariant::scalar, 1, a, DType::f32, f, bnb::ParamRounding::nearest, g), guarded, what);
        EXPECT_FALSE(same_bytes(plain.param, guarded.param)) << what << ": the guard changes the step";
        if (g == k::UnderflowGuard::drop_momentum) dropped = guarded.param;
        if (g != k::UnderflowGuard::drop_momentum_unstall) continue;
        EXPECT_FALSE(same_bytes(dropped, guarded.param)) << what << ": unstalling changes the step";
        expect_identical(guarded, run_steps(GetParam(), 2, a, DType::f32, f, bnb::ParamRounding::nearest, g), what + " 2 threads");
      }
    }
  }
}

// The 8-bit map formats with each encoder kind forced: the fused block-wise loop (fp32, every
// algorithm with 8-bit state: both encoders' per-16-values codes), the tensor-wise and 16-bit
// tensors' encode_run, on 1 and 2 threads, give the scalar variant's bytes. The decade encoder
// runs on the AVX-512 variants only; the others must ignore the choice.
TEST_P(CpuVariantTest, EightBitStepsAreBitIdenticalToScalarWithEachEncoder) {
  for (const k::EncoderKind encoder : kForcibleEncoders) {
    const ForcedEncoder forced(encoder);
    for (Algorithm a : kAlgorithms) {
      for (DType d : kDTypes) {
        for (StateFormat f : {StateFormat::blockwise8, StateFormat::tensorwise8}) {
          const StepRun& want = scalar_reference(a, d, f);
          const std::string what = describe(a, d, f) + " encoder " + std::string(k::encoder_name(encoder));
          expect_identical(want, run_steps(GetParam(), 1, a, d, f), what);
          expect_identical(want, run_steps(GetParam(), 2, a, d, f), what + " 2 threads");
        }
      }
    }
  }
}

TEST_P(CpuVariantTest, ThreadCountDoesNotChangeResults) {
  for (Algorithm a : {Algorithm::adam, Algorithm::lamb, Algorithm::lion}) {
    for (DType d : kDTypes) {
      for (StateFormat f : kFormats) {
        expect_identical(run_steps(GetParam(), 1, a, d, f), run_steps(GetParam(), 2, a, d, f),
                         describe(a, d, f) + " threads 1 vs 2");
      }
    }
  }
}

/// State rows of format f for r's algorithm and r.n elements at zero (fp32 values, or zero
/// codes and scales), owned by the vectors given and attached to r.
void attach_zero_state(bnb::StepRequest& r, StateFormat f, std::vector<float>* values, std::vector<std::uint8_t>* codes,
                       std::vector<float>* absmax) {
  const bnb::FormatCodec& codec = bnb::format_codec(f);
  r.state.format = f;
  r.state.rows = k::state_rows(r.algorithm);
  for (int row = 0; row < r.state.rows; ++row) {
    const k::QuantTable& t = bnb::quant_table(bnb::state_map(f, row_signed(r.algorithm, row)));
    values[row].assign(f == StateFormat::fp32 ? r.n : 0, 0.0f);
    codes[row].assign(f == StateFormat::fp32 ? 0 : codec.row_bytes(r.n), t.zero_code);
    absmax[row].assign(std::max<std::size_t>(codec.scale_count(r.n, bnb::kDefaultBlockSize), 1), 0.0f);
    r.state.values[row] = values[row].data();
    r.state.codes[row] = codes[row].data();
    r.state.absmax[row] = absmax[row].data();
    r.state.table[row] = &t;
  }
}

/// The bytes a step left: the parameters, then each state row's fp32 values and codes.
std::vector<std::uint8_t> step_bytes(const void* param, std::size_t param_bytes, const std::vector<float>* values,
                                     const std::vector<std::uint8_t>* codes, int rows) {
  const auto* p = static_cast<const std::uint8_t*>(param);
  std::vector<std::uint8_t> out(p, p + param_bytes);
  for (int row = 0; row < rows; ++row) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(values[row].data());
    out.insert(out.end(), b, b + values[row].size() * sizeof(float));
    out.insert(out.end(), codes[row].begin(), codes[row].end());
  }
  return out;
}

/// Two steps of algorithm a (gnorm_scale 0.75 on the second) on a 16-bit tensor whose
/// parameters are every bit pattern of d and whose gradients are every pattern in another order
/// (or all one_grad), plus a tail (a partial last block): the parameter and state bytes after them.
std::vector<std::uint8_t> step_every_pattern(k::CpuVariant v, DType d, StateFormat f, Algorithm a = Algorithm::adam,
                                             bool skip_zeros = false, double weight_decay = 1e-2, int threads = 1,
                                             std::optional<std::uint16_t> one_grad = std::nullopt) {
  constexpr std::size_t n = 65536 + 13;
  std::vector<std::uint16_t> param(n), grad(n);
  for (std::size_t i = 0; i < n; ++i) {
    param[i] = static_cast<std::uint16_t>(i);
    grad[i] = one_grad.value_or(static_cast<std::uint16_t>(i * 40503u + 7u));  // odd multiplier: a permutation
  }
  std::vector<float> values[bnb::kMaxStateRows], absmax[bnb::kMaxStateRows];
  std::vector<std::uint8_t> codes[bnb::kMaxStateRows];
  bnb::StepRequest r;
  r.algorithm = a;
  r.dtype = d;
  r.n = n;
  r.param = param.data();
  r.grad = grad.data();
  attach_zero_state(r, f, values, codes, absmax);
  bnb::HyperParams h;
  h.weight_decay = weight_decay;
  h.skip_zeros = skip_zeros;
  r.threads = threads;
  for (int t = 1; t <= 2; ++t) {
    r.constants = prepare(a, h, t);
    r.gnorm_scale = t == 2 ? 0.75f : 1.0f;
    bnb::StepReport report;
    k::cpu_step(v, r, report);
  }
  return step_bytes(param.data(), n * 2, values, codes, r.state.rows);
}

// Every fp16 and bf16 value (NaN payloads, subnormals, infinities) as parameter and gradient:
// each variant's staging conversions, in-loop rounding and tails give the scalar variant's bytes.
// Block-wise 8-bit also under skip_zeros without weight decay, for AdEMAMix (its own update lanes
// in the fused loop, fused_block_step.hpp) and on 2 threads (each steps its share of the blocks).
TEST_P(CpuVariantTest, EverySixteenBitPatternStepsAsScalar) {
  for (DType d : {DType::f16, DType::bf16}) {
    for (StateFormat f : {StateFormat::fp32, StateFormat::blockwise8}) {
      EXPECT_TRUE(step_every_pattern(GetParam(), d, f) == step_every_pattern(k::CpuVariant::scalar, d, f))
          << describe(Algorithm::adam, d, f);
    }
    for (Algorithm a : {Algorithm::adam, Algorithm::ademamix}) {
      for (const bool skip_zeros : {false, true}) {
        const double decay = skip_zeros ? 0.0 : 1e-2;
        const StateFormat f = StateFormat::blockwise8;
        const std::string what = describe(a, d, f) + (skip_zeros ? " skip_zeros" : " weight decay");
        const auto want = step_every_pattern(k::CpuVariant::scalar, d, f, a, skip_zeros, decay);
        EXPECT_TRUE(step_every_pattern(GetParam(), d, f, a, skip_zeros, decay) == want) << what;
        EXPECT_TRUE(step_every_pattern(GetParam(), d, f, a, skip_zeros, decay, 2) == want) << what << " 2 threads";
      }
    }
  }
}

// Every fp16 and bf16 parameter pattern under a gradient that leaves it as it was (NaN and Inf:
// the non-finite guard; zero under skip_zeros): a kept parameter goes back through the store's
// rounding and NaN rule (a signaling NaN comes back quiet), as in the scalar variant.
TEST_P(CpuVariantTest, EverySixteenBitParameterKeptByItsGradientStepsAsScalar) {
  for (DType d : {DType::f16, DType::bf16}) {
    const std::uint16_t nan = d == DType::bf16 ? 0x7fc0 : 0x7e00, inf = d == DType::bf16 ? 0x7f80 : 0x7c00;
    for (StateFormat f : {StateFormat::fp32, StateFormat::blockwise8}) {
      for (const std::uint16_t g : {nan, inf, std::uint16_t{0}}) {
        const bool skip_zeros = g == 0;
        const std::string what = describe(Algorithm::adam, d, f) + " gradient " + std::to_string(g);
        EXPECT_TRUE(step_every_pattern(GetParam(), d, f, Algorithm::adam, skip_zeros, 0.0, 1, g) ==
                    step_every_pattern(k::CpuVariant::scalar, d, f, Algorithm::adam, skip_zeros, 0.0, 1, g))
            << what;
      }
    }
  }
}

// 16-bit tensors under weight decay, whose rounding before the decay runs after the update
// (round 17) except where skip_zeros or a non-finite gradient keeps an element, with
// and without AVX512_BF16's conversions (tensor_lanes.hpp; BNB_CPU_BF16=0 keeps the integer ones
// on a CPU that has the instructions, elsewhere both settings run them). Every pattern as above;
// a decay of 50 (p * 0.95 per step) so that a kept element wrongly decayed changes its bits;
// 1e-2 (lr * wd = 1e-5) is where the 8-bit single pass leaves the decay out (decay_identity.hpp).
TEST_P(CpuVariantTest, SixteenBitWeightDecayStepsAsScalarWithAndWithoutBf16Instructions) {
  for (const char* setting : {"0", "1"}) {
    const ScopedEnv env("BNB_CPU_BF16", setting);
    for (const auto& [d, f] : {std::pair{DType::f16, StateFormat::fp32}, std::pair{DType::bf16, StateFormat::fp32},
                              std::pair{DType::f16, StateFormat::blockwise8}, std::pair{DType::bf16, StateFormat::blockwise8}}) {
      for (Algorithm a : {Algorithm::adam, Algorithm::ademamix}) {
        for (const double decay : {0.0, 1e-2, 50.0}) {
          for (const bool skip_zeros : {false, true}) {
            if (skip_zeros && (a == Algorithm::ademamix || decay == 0.0)) continue;  // no skip_zeros in AdEMAMix
            const std::string what = describe(a, d, f) + " decay " + std::to_string(decay) +
                                     (skip_zeros ? " skip_zeros" : "") + " BNB_CPU_BF16=" + setting;
            EXPECT_TRUE(step_every_pattern(GetParam(), d, f, a, skip_zeros, decay) ==
                        step_every_pattern(k::CpuVariant::scalar, d, f, a, skip_zeros, decay))
                << what;
          }
        }
      }
    }
  }
}

// skip_zeros under weight decay, checked against SPEC.md §4.9 rather than the scalar variant
// (which shares tensor_run): with every gradient zero, every parameter keeps its bits (a
// signaling NaN comes back quiet, the store's NaN rule), whatever the decay (50: p * 0.95).
TEST_P(CpuVariantTest, SixteenBitParametersSkippedByZeroGradientsKeepTheirBitsUnderDecay) {
  for (DType d : {DType::f16, DType::bf16}) {
    const std::uint16_t exponent = d == DType::bf16 ? 0x7f80 : 0x7c00, quiet = d == DType::bf16 ? 0x0040 : 0x0200;
    for (StateFormat f : {StateFormat::fp32, StateFormat::blockwise8}) {
      const auto bytes = step_every_pattern(GetParam(), d, f, Algorithm::adam, true, 50.0, 1, std::uint16_t{0});
      std::size_t changed = 0;
      for (std::size_t i = 0; i < 65536 + 13; ++i) {
        std::uint16_t want = static_cast<std::uint16_t>(i);
        if ((want & exponent) == exponent && (want & ~exponent & 0x7fff) != 0) want |= quiet;
        std::uint16_t got = 0;
        std::memcpy(&got, bytes.data() + 2 * i, 2);
        if (got != want && ++changed <= 3) ADD_FAILURE() << describe(Algorithm::adam, d, f) << " pattern " << i << ": " << got;
      }
      EXPECT_EQ(changed, 0u) << describe(Algorithm::adam, d, f);
    }
  }
}

// Where the CPU has AVX512_BF16 the AVX-512 variants use it unless BNB_CPU_BF16=0; a value other
// than 0 or 1 is an error.
TEST(Bf16Instructions, ByCpuUnlessTheEnvironmentTurnsThemOff) {
  unsetenv("BNB_CPU_BF16");
  const bool has = __builtin_cpu_supports("avx512bf16");
  EXPECT_EQ(k::cpu_bf16_instructions(), has);
  for (const char* value : {"", "1"}) {
    const ScopedEnv env("BNB_CPU_BF16", value);
    EXPECT_EQ(k::cpu_bf16_instructions(), has) << "'" << value << "'";
  }
  EXPECT_EQ(k::bf16_instructions_in_use(), has && is_avx512(k::active_variant()));
  {
    const ScopedEnv env("BNB_CPU_BF16", "0");
    EXPECT_FALSE(k::cpu_bf16_instructions());
    EXPECT_FALSE(k::bf16_instructions_in_use());
  }
  for (const char* bad : {"2", "yes", "off"}) {
    const ScopedEnv env("BNB_CPU_BF16", bad);
    EXPECT_THROW(k::cpu_bf16_instructions(), std::invalid_argument) << bad;
  }
}

/// The codec of variant v for t, the way the quantizer and the fused step use it.
std::unique_ptr<const k::PreparedCodec> codec_of(k::CpuVariant v, const k::QuantTable& t) {
  return k::prepare_cpu_codec(v, t);
}

std::vector<std::pair<std::string, k::QuantTable>> custom_tables();

/// Inputs that sit on every decision boundary of the search, plus special and random values.
std::vector<float> encoder_inputs() {
  std::vector<float> in;
  for (auto map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
    const k::QuantTable& t = bnb::quant_table(map);
    for (int j = 0; j < 256; ++j) {
      for (float base : {t.upper[j], t.values[j]}) {
        if (!std::isfinite(base)) continue;
        float lo = base, hi = base;
        for (int s = 0; s < 3; ++s) {
          in.insert(in.end(), {lo, hi, -lo, -hi});
          lo = std::nextafter(lo, -INFINITY);
          hi = std::nextafter(hi, INFINITY);
        }
      }
    }
  }
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 1.5f, -2.0f, 1e30f, -1e30f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(), 1e-38f, -1e-20f};
  in.insert(in.end(), std::begin(specials), std::end(specials));
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 0);
  std::uniform_int_distribution<std::uint32_t> bits;
  while (in.size() < (std::size_t{1} << 20) + 333) {  // >= 1M inputs, odd count for the tail
    in.push_back(std::ldexp(unit(rng), exponent(rng)));
    in.push_back(k::bits_float(bits(rng)));  // any pattern, NaNs and huge values included
  }
  return in;
}

TEST_P(CpuVariantTest, FastEncoderMatchesEncodeValueOnEveryInput) {
  const std::vector<float> in = encoder_inputs();
  for (const k::EncoderKind encoder : kForcibleEncoders) {
    const ForcedEncoder forced(encoder);
    for (auto map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
      const k::QuantTable& t = bnb::quant_table(map);
      std::vector<std::uint8_t> got(in.size());
      codec_of(GetParam(), t)->encode(in.data(), in.size(), 1.0f, got.data());  // scale 1: y == x exactly
      std::size_t mismatches = 0;
      for (std::size_t i = 0; i < in.size(); ++i) {
        const std::uint8_t want = k::encode_value(t, in[i]);
        if (got[i] != want && ++mismatches <= 5) {
          ADD_FAILURE() << k::encoder_name(encoder) << " map " << static_cast<int>(map) << " input " << in[i]
                        << " (bits " << std::hex << k::float_bits(in[i]) << std::dec << "): code " << int{got[i]}
                        << ", want " << int{want};
        }
      }
      EXPECT_EQ(mismatches, 0u) << k::encoder_name(encoder);
    }
  }
}

// The built-in maps must take a fast encoder, not the binary-search fallback: the one forced
// (the decade encoder only with AVX-512: the others keep the bucket table), else the automatic
// choice by CPU kind. Other maps never take the decade encoder.
TEST_P(CpuVariantTest, BuiltInMapsUseTheFastEncoder) {
  const auto expected = [&](k::EncoderKind preferred) {
    return is_avx512(GetParam()) ? preferred : k::EncoderKind::buckets;
  };
  for (auto map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
    EXPECT_EQ(codec_of(GetParam(), bnb::quant_table(map))->encoder_kind(), expected(k::automatic_encoder()))
        << static_cast<int>(map);
    for (const k::EncoderKind encoder : kForcibleEncoders) {
      const ForcedEncoder forced(encoder);
      EXPECT_EQ(codec_of(GetParam(), bnb::quant_table(map))->encoder_kind(), expected(encoder))
          << static_cast<int>(map) << " forced " << k::encoder_name(encoder);
    }
  }
  const ForcedEncoder forced(k::EncoderKind::decades);
  for (const auto& [name, t] : custom_tables()) {
    EXPECT_NE(codec_of(GetParam(), t)->encoder_kind(), k::EncoderKind::decades) << name;
  }
}

/// Sorted maps unlike the built-in ones, as a checkpoint could carry: linear, cubic (dense
/// near 0), random with duplicates, and one whose values sit a few ulps apart (no bucket
/// scheme fits: the encoder must fall back to the search).
std::vector<std::pair<std::string, k::QuantTable>> custom_tables() {
  std::vector<std::pair<std::string, k::QuantTable>> out;
  float v[256];
  for (int i = 0; i < 256; ++i) v[i] = -1.0f + 2.0f * static_cast<float>(i) / 255.0f;
  out.emplace_back("linear", k::make_quant_table(v, true));
  for (int i = 0; i < 256; ++i) v[i] = v[i] * v[i] * v[i];
  out.emplace_back("cubic", k::make_quant_table(v, true));
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  for (float& x : v) x = std::round(normal(rng) * 64.0f) / 64.0f;  // duplicates on purpose
  std::sort(std::begin(v), std::end(v));
  out.emplace_back("random_with_duplicates", k::make_quant_table(v, true));
  float x = 0.5f;
  for (float& y : v) {
    y = x;
    x = std::nextafter(std::nextafter(x, 1.0f), 1.0f);
  }
  out.emplace_back("ulp_spaced", k::make_quant_table(v, false));
  return out;
}

TEST_P(CpuVariantTest, FastEncoderMatchesEncodeValueOnCustomMaps) {
  std::vector<float> in = encoder_inputs();
  in.resize(in.size() / 4 + 5);  // boundary and special values first, then random ones
  for (const auto& [name, t] : custom_tables()) {
    std::vector<float> inputs = in;
    for (int j = 0; j < 255; ++j) {
      inputs.insert(inputs.end(), {t.upper[j], std::nextafter(t.upper[j], -INFINITY), -t.upper[j],
                                   std::nextafter(-t.upper[j], INFINITY)});
    }
    std::vector<std::uint8_t> got(inputs.size());
    codec_of(GetParam(), t)->encode(inputs.data(), inputs.size(), 1.0f, got.data());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::uint8_t want = k::encode_value(t, inputs[i]);
      if (got[i] != want && ++mismatches <= 5) {
        ADD_FAILURE() << name << " input " << inputs[i] << ": code " << int{got[i]} << ", want " << int{want};
      }
    }
    EXPECT_EQ(mismatches, 0u) << name;
  }
  EXPECT_EQ(codec_of(GetParam(), custom_tables().back().second)->encoder_kind(), k::EncoderKind::search)
      << "ulp-spaced map must fall back";
}

// Every float bit pattern (2^32, NaN, infinities and subnormals included) through each
// variant's encoder, against encode_value, for both built-in maps. Too slow for CI (encode_value
// is a scalar search: 77 s per variant measured, on one thread); run it with
// --gtest_also_run_disabled_tests after a change to the encoders. Output of a run:
// results/perf/round6/exhaustive_encoder_check.txt.
TEST_P(CpuVariantTest, DISABLED_FastEncoderMatchesEncodeValueOnEveryFloat) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  constexpr std::uint64_t kPatterns = std::uint64_t{1} << 32;
  for (auto map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
    const k::QuantTable& t = bnb::quant_table(map);
    const auto codec = codec_of(GetParam(), t);
    std::uint64_t mismatches = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : mismatches)
    for (std::uint64_t first = 0; first < kPatterns; first += kChunk) {
      std::vector<float> in(kChunk);
      std::vector<std::uint8_t> got(kChunk);
      for (std::size_t i = 0; i < kChunk; ++i) in[i] = k::bits_float(static_cast<std::uint32_t>(first + i));
      codec->encode(in.data(), kChunk, 1.0f, got.data());  // scale 1: y == x exactly
      for (std::size_t i = 0; i < kChunk; ++i) mismatches += got[i] != k::encode_value(t, in[i]) ? 1 : 0;
    }
    EXPECT_EQ(mismatches, 0u) << "map " << static_cast<int>(map);
  }
}

TEST_P(CpuVariantTest, BlockCodecMatchesReferenceWithScale) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (std::size_t len : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{100}, std::size_t{255}, std::size_t{4096}}) {
    std::vector<float> x(len);
    for (float& v : x) v = normal(rng);
    const float scale = k::abs_max(x.data(), len);
    for (auto map : {bnb::QuantMap::signed_dynamic, bnb::QuantMap::unsigned_dynamic}) {
      const k::QuantTable& t = bnb::quant_table(map);
      for (float s : {scale, 0.0f}) {
        std::vector<std::uint8_t> want(len), got(len);
        k::encode_block_reference(t, x.data(), len, s, want.data());
        const auto codec = codec_of(GetParam(), t);
        codec->encode(x.data(), len, s, got.data());
        EXPECT_EQ(want, got) << "len " << len << " scale " << s;
        std::vector<float> dwant(len), dgot(len);
        k::decode_block_reference(t, want.data(), len, scale, dwant.data());
        codec->decode(want.data(), len, scale, dgot.data());
        EXPECT_TRUE(same_bytes(dwant, dgot)) << "decode, len " << len;
      }
    }
  }
}

// The select-based half conversions and rounding the driver vectorizes must equal dtype.hpp's:
// every half, every 251st float bit pattern (all exponents, NaN payloads, subnormals), and the
// floats around every half value and every midpoint between neighbours (rounding ties).
TEST(CpuConversions, SelectHalfConversionsMatchDtype) {
  namespace cd = k::cpu_detail;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const bnb::half_t x{static_cast<std::uint16_t>(h)};
    ASSERT_EQ(k::float_bits(cd::half_to_float_select(x)), k::float_bits(k::half_to_float(x))) << h;
  }
  std::size_t mismatches = 0;
  std::size_t round_mismatches = 0;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 251) {
    const float f = k::bits_float(static_cast<std::uint32_t>(u));
    mismatches += cd::float_to_half_select(f).bits != k::float_to_half(f).bits ? 1 : 0;
    const float rounded = k::half_to_float(k::float_to_half(f));
    round_mismatches += k::float_bits(cd::round_to_half_select(f)) != k::float_bits(rounded) ? 1 : 0;
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(round_mismatches, 0u);
  // Every float near the half grid's rounding boundaries: each half value and the midpoints
  // to its neighbours, +-2 float ulps (ties to even, the subnormal/normal seam, overflow).
  for (std::uint32_t h = 0; h < 0x7c00u; ++h) {
    const float lo = k::half_to_float(bnb::half_t{static_cast<std::uint16_t>(h)});
    const float hi = h + 1 < 0x7c00u ? k::half_to_float(bnb::half_t{static_cast<std::uint16_t>(h + 1)}) : 65536.0f;
    for (float centre : {lo, (lo + hi) / 2.0f}) {
      for (int d = -2; d <= 2; ++d) {
        for (float sgn : {1.0f, -1.0f}) {
          const float f = sgn * k::bits_float(k::float_bits(centre) + static_cast<std::uint32_t>(d));
          ASSERT_EQ(k::float_bits(cd::round_to_half_select(f)), k::float_bits(k::half_to_float(k::float_to_half(f))))
              << "float bits " << std::hex << k::float_bits(f);
        }
      }
    }
  }
}

// The driver's bf16 rounding on 32-bit lanes equals dtype.hpp's two conversions: every 251st
// float bit pattern, and every float within 2 ulps of a bf16 value or of a midpoint between two.
TEST(CpuConversions, SelectBf16RoundingMatchesDtype) {
  namespace cd = k::cpu_detail;
  const auto want = [](float f) { return k::bf16_to_float(k::float_to_bf16(f)); };
  std::size_t mismatches = 0;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 251) {
    const float f = k::bits_float(static_cast<std::uint32_t>(u));
    mismatches += k::float_bits(cd::round_to_bf16_select(f)) != k::float_bits(want(f)) ? 1 : 0;
  }
  for (std::uint32_t b = 0; b < 0x10000u; ++b) {
    for (std::uint32_t centre : {b << 16, b << 16 | 0x8000u}) {
      for (std::uint32_t d = 0; d < 5; ++d) {
        const float f = k::bits_float(centre + d - 2u);
        mismatches += k::float_bits(cd::round_to_bf16_select(f)) != k::float_bits(want(f)) ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

// StoredLaterStorage (vector_storage.hpp) leaves the update's last rounding to the store of the
// staged parameter: storing a float must store what storing its rounding stores (the rounding is
// idempotent, NaN rule included), for fp16 (dtype.hpp's conversion and the driver's select one;
// half_staging_test ties F16C's to dtype.hpp's) and bf16. Every 251st float bit pattern, and the
// floats around every 16-bit value and midpoint (rounding ties, the subnormal seam, overflow).
TEST(CpuConversions, StoringTheRoundedValueStoresTheValue) {
  namespace cd = k::cpu_detail;
  std::size_t mismatches = 0;
  const auto check = [&](float f) {
    const bnb::half_t h = k::float_to_half(f);
    mismatches += k::float_to_half(k::Storage<bnb::half_t>::round(f)).bits != h.bits ? 1 : 0;
    mismatches += cd::float_to_half_select(cd::round_to_half_select(f)).bits != h.bits ? 1 : 0;
    mismatches += cd::float_to_half_select(f).bits != h.bits ? 1 : 0;
    const bnb::bf16_t b = k::float_to_bf16(f);
    mismatches += k::float_to_bf16(k::Storage<bnb::bf16_t>::round(f)).bits != b.bits ? 1 : 0;
    mismatches += k::float_to_bf16(cd::round_to_bf16_select(f)).bits != b.bits ? 1 : 0;
  };
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 251) check(k::bits_float(static_cast<std::uint32_t>(u)));
  for (std::uint32_t v = 0; v < 0x10000u; ++v) {
    const float half = k::half_to_float(bnb::half_t{static_cast<std::uint16_t>(v)});
    const float next_half = (v & 0x7fffu) == 0x7bffu ? std::copysign(65536.0f, half)  // 65520 rounds to Inf
                                                      : k::half_to_float(bnb::half_t{static_cast<std::uint16_t>(v + 1)});
    const std::uint32_t centres[] = {k::float_bits(half), k::float_bits((half + next_half) / 2.0f), v << 16, v << 16 | 0x8000u};
    for (std::uint32_t centre : centres) {
      for (std::uint32_t d = 0; d < 5; ++d) check(k::bits_float(centre + d - 2u));
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(CpuCodec, AbsMaxIgnoresNanAndMatchesSequentialMax) {
  std::vector<float> x(1000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * static_cast<float>(i % 37);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  x[700] = -40.5f;
  float sequential = 0.0f;
  for (float v : x) sequential = std::max(sequential, std::fabs(v));
  EXPECT_EQ(k::abs_max(x.data(), x.size()), sequential);
  EXPECT_EQ(k::abs_max(x.data(), x.size()), 40.5f);
}

// Each variant's vectorized abs_max is the sequential rule: every length 0..80 (all tails of
// the 16- and 32-wide loops) and a 256-block, with the maximum in every position, NaN and
// infinities placed anywhere, -0 and negative maxima.
TEST_P(CpuVariantTest, AbsMaxMatchesSequentialRule) {
  const auto codec = codec_of(GetParam(), bnb::quant_table(bnb::QuantMap::signed_dynamic));
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const auto sequential = [](const std::vector<float>& v) {
    float m = 0.0f;
    for (float e : v) m = std::max(m, std::fabs(e));
    return m;
  };
  std::vector<std::size_t> lengths(81);
  for (std::size_t i = 0; i < lengths.size(); ++i) lengths[i] = i;
  lengths.push_back(256);
  std::size_t cases = 0;
  for (std::size_t len : lengths) {
    for (std::size_t peak = 0; peak < std::max<std::size_t>(len, 1); ++peak) {
      std::vector<float> x(len);
      for (float& v : x) v = normal(rng);
      if (len == 0) {
        EXPECT_EQ(codec->abs_max(x.data(), 0), 0.0f);
        break;
      }
      x[peak] = (peak % 2 ? -1.0f : 1.0f) * 9.5f;
      if (len > 2) x[(peak + 1) % len] = std::numeric_limits<float>::quiet_NaN();
      if (len > 3 && peak % 5 == 0) x[(peak + 2) % len] = -std::numeric_limits<float>::infinity();
      if (len > 4) x[(peak + 3) % len] = -0.0f;
      const float want = sequential(x);
      ASSERT_EQ(k::float_bits(codec->abs_max(x.data(), len)), k::float_bits(want)) << "len " << len << " peak " << peak;
      ++cases;
    }
  }
  EXPECT_GT(cases, 3000u);
  const std::vector<float> only_nan(37, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(codec->abs_max(only_nan.data(), only_nan.size()), 0.0f);
}

/// Two AdEMAMix steps whose states and gradients sit at the edges of the exact quotient's window
/// (kernels/cpu/ademamix_lanes.hpp divides by c1 and c2 without the divider inside it, with
/// vdivps outside): zeros of both signs, subnormals, 2^-100 and its neighbours, huge values,
/// infinities and NaNs with payloads, in fp32 state (set directly) or 8-bit (from the gradients;
/// the guard drops non-finite ones). No NaN inputs in fp32 state: where two NaNs meet in an
/// addition, which payload survives depends on the operand order GCC picks per variant (a
/// property of the plain fp32 update, not of the quotient). Returns the parameter and state bytes.
std::vector<std::uint8_t> step_ademamix_edges(k::CpuVariant v, StateFormat f) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float edges[] = {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(), -1e-40f, std::numeric_limits<float>::min(),
                         0x1p-100f, std::nextafter(0x1p-100f, 0.0f), -std::nextafter(0x1p-100f, 1.0f), 0x1p-98f,
                         1e-30f, 1e-5f, 0.5f, -3.0f, 1e30f, -3e38f, std::numeric_limits<float>::max(), inf, -inf, nan,
                         k::bits_float(0xffc01234u), 0.25f, -0.125f, 7e-3f};
  constexpr std::size_t n = 2 * 256 + 16 * 3 + 5, e = std::size(edges);  // whole blocks: the fused loop
  const auto edge = [&](std::size_t i) { return f == StateFormat::fp32 && std::isnan(edges[i % e]) ? 1.0f : edges[i % e]; };
  std::vector<float> param(n), grad(n), values[3], absmax[3];
  std::vector<std::uint8_t> codes[3];
  bnb::StepRequest r;
  r.algorithm = Algorithm::ademamix;
  r.n = n;
  r.param = param.data();
  r.grad = grad.data();
  attach_zero_state(r, f, values, codes, absmax);
  for (int row = 0; row < 3; ++row) {
    for (std::size_t i = 0; i < values[row].size(); ++i) values[row][i] = edge(i * (2 * row + 3));
  }
  for (std::size_t i = 0; i < n; ++i) {
    param[i] = edge(i * 11);
    grad[i] = f == StateFormat::fp32 && i % 3 != 0 ? 1e-3f * static_cast<float>(i % 17) : edge(i);
  }
  bnb::HyperParams h;
  h.weight_decay = 1e-2;
  r.threads = 1;
  for (int t = 1; t <= 2; ++t) {
    r.constants = prepare(Algorithm::ademamix, h, t);
    bnb::StepReport report;
    k::cpu_step(v, r, report);
  }
  return step_bytes(param.data(), n * 4, values, codes, 3);
}

TEST_P(CpuVariantTest, AdemamixQuotientEdgesAreBitIdenticalToScalar) {
  for (StateFormat f : {StateFormat::fp32, StateFormat::blockwise8, StateFormat::tensorwise8}) {
    EXPECT_TRUE(step_ademamix_edges(GetParam(), f) == step_ademamix_edges(k::CpuVariant::scalar, f))
        << "format " << static_cast<int>(f);
  }
}

/// Two 8-bit block-wise Adam steps (encoder `e`) whose stored scales include +Inf and NaN: a zero
/// code times an infinite scale decodes to NaN, a NaN scale makes every state NaN, which the
/// single-pass loop's running absmax must skip as block_abs_max does; and one
/// 64-element group holds an Inf gradient (the guard's branch), another a NaN on the second
/// step, whose gnorm_scale is not 1. Returns the parameter, code and scale bytes.
std::vector<std::uint8_t> step_infinite_scales(k::CpuVariant v, k::EncoderKind e) {
  const ForcedEncoder forced(e);
  constexpr std::size_t n = 6 * 256 + 40;  // whole blocks (the single-pass loop) and a tail
  std::vector<float> param(n), grad(n), values[2], absmax[2];
  std::vector<std::uint8_t> codes[2];
  bnb::StepRequest r;
  r.algorithm = Algorithm::adam;
  r.n = n;
  r.param = param.data();
  r.grad = grad.data();
  attach_zero_state(r, StateFormat::blockwise8, values, codes, absmax);
  std::mt19937 rng(99u);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  for (std::size_t i = 0; i < n; ++i) {
    param[i] = normal(rng);
    for (int row = 0; row < 2; ++row) codes[row][i] = static_cast<std::uint8_t>(rng() % 256u);
  }
  for (int row = 0; row < 2; ++row) {
    for (std::size_t b = 0; b < absmax[row].size(); ++b) absmax[row][b] = 0.01f * static_cast<float>(b + 1);
  }
  const float inf = std::numeric_limits<float>::infinity();
  absmax[0][1] = inf;  // m's block 1
  absmax[1][2] = inf;  // v's block 2
  absmax[0][3] = absmax[1][3] = inf;
  absmax[1][4] = std::numeric_limits<float>::quiet_NaN();  // every state NaN: block_abs_max gives 0
  bnb::HyperParams h;
  r.threads = 1;
  for (int t = 1; t <= 2; ++t) {
    for (std::size_t i = 0; i < n; ++i) grad[i] = normal(rng);
    grad[4 * 256 + 70] = inf;
    if (t == 2) grad[5 * 256 + 3] = std::numeric_limits<float>::quiet_NaN();
    r.constants = prepare(Algorithm::adam, h, t);
    r.gnorm_scale = t == 2 ? 0.75f : 1.0f;
    bnb::StepReport report;
    k::cpu_step(v, r, report);
  }
  std::vector<std::uint8_t> out = step_bytes(param.data(), n * 4, values, codes, 2);
  for (int row = 0; row < 2; ++row) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(absmax[row].data());
    out.insert(out.end(), b, b + absmax[row].size() * sizeof(float));
  }
  return out;
}

TEST_P(CpuVariantTest, InfiniteScalesAndNonFiniteGradientsStepAsScalar) {
  for (const k::EncoderKind e : kForcibleEncoders) {
    EXPECT_TRUE(step_infinite_scales(GetParam(), e) == step_infinite_scales(k::CpuVariant::scalar, e))
        << k::encoder_name(e);
  }
}

/// The vendor_id of /proc/cpuinfo (empty where there is none).
std::string cpu_vendor() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("vendor_id", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return {};
}

// The automatic choice by CPU kind (decades on AMD, whose gathers are slow; buckets elsewhere),
// the environment variable over it, force_encoder over both, and a bad value an error.
TEST(EncoderChoice, AutomaticByCpuKindOverriddenByEnvironmentAndForce) {
  unsetenv("BNB_CPU_ENCODER");
  const k::EncoderKind automatic =
      cpu_vendor() == "AuthenticAMD" ? k::EncoderKind::decades : k::EncoderKind::buckets;
  EXPECT_EQ(k::automatic_encoder(), automatic) << "vendor " << cpu_vendor();
  EXPECT_EQ(k::preferred_encoder(), automatic);
  for (const k::EncoderKind encoder : kForcibleEncoders) {
    const std::string name(k::encoder_name(encoder));
    EXPECT_EQ(k::parse_encoder(name), encoder);
    {
      const ScopedEnv env("BNB_CPU_ENCODER", name.c_str());
      EXPECT_EQ(k::preferred_encoder(), encoder) << name;
      const k::EncoderKind other = encoder == k::EncoderKind::buckets ? k::EncoderKind::decades : k::EncoderKind::buckets;
      const ForcedEncoder forced(other);
      EXPECT_EQ(k::preferred_encoder(), other) << "force_encoder over BNB_CPU_ENCODER=" << name;
    }
  }
  {
    const ScopedEnv env("BNB_CPU_ENCODER", "");
    EXPECT_EQ(k::preferred_encoder(), automatic) << "empty: automatic";
  }
  for (const char* bad : {"gather", "search", "Decades"}) {
    const ScopedEnv env("BNB_CPU_ENCODER", bad);
    EXPECT_THROW(k::preferred_encoder(), std::invalid_argument) << bad;
    const auto supported = k::supported_variants();
    if (is_avx512(supported.back())) {  // preparing reads the choice there
      EXPECT_THROW(k::prepare_cpu_codec(supported.back(), bnb::quant_table(bnb::QuantMap::signed_dynamic)),
                   std::invalid_argument)
          << bad;
    }
  }
  EXPECT_THROW(k::force_encoder(k::EncoderKind::search), std::invalid_argument);
  EXPECT_FALSE(k::parse_encoder("gather").has_value());
}

INSTANTIATE_TEST_SUITE_P(Variants, CpuVariantTest,
                         ::testing::ValuesIn(k::kAllCpuVariants),
                         [](const ::testing::TestParamInfo<k::CpuVariant>& param) {
                           return std::string(k::variant_name(param.param));
                         });

}  // namespace
