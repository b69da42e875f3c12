// 16-bit parameter rounding (docs/param_rounding.md): the product's stochastic rounding equals
// the reference's independent formula for sampled binary32 values and random bits, is exactly
// unbiased over its random bits and leaves grid values alone; the optimizer's three modes follow
// the fp64 reference's emulation of them, are reproducible from the seed, keep their
// compensation as state, and are refused or ignored as documented.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/kernels/param_rounding.hpp"
#include "bnb/optimizer.hpp"
#include "bnb_ref/from_product.hpp"
#include "bnb_ref/param_rounding.hpp"
#include "bnb_ref/ref_optimizer.hpp"

namespace {

namespace k = bnb::kernels;
using bnb::ArgMap;
using bnb::DType;
using bnb::ParamRounding;

float product_round(DType d, float x, std::uint32_t r) {
  return d == DType::bf16 ? k::stochastic_round_bf16(x, r) : k::stochastic_round_half(x, r);
}
bnb_ref::StorageKind kind_of(DType d) { return d == DType::bf16 ? bnb_ref::StorageKind::bf16 : bnb_ref::StorageKind::f16; }

/// Binary32 values around every place the rounding can go wrong, and random patterns.
std::vector<float> rounding_inputs() {
  std::vector<float> in = {0.0f, -0.0f, 1.0f, -1.5f, 65504.0f, 65519.0f, 65520.0f, 65535.9f, 65536.0f, -70000.0f,
                           6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f, 1e-10f, 3.3895314e38f, 3.4e38f,
                           std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::min(), std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::uint32_t> bits;
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 17);
  while (in.size() < 200000) {
    in.push_back(std::ldexp(unit(rng), exponent(rng)));
    in.push_back(k::bits_float(bits(rng)));
  }
  return in;
}

TEST(StochasticRounding, ProductEqualsTheReferenceFormula) {
  const std::vector<float> inputs = rounding_inputs();
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (DType d : {DType::bf16, DType::f16}) {
    for (float x : inputs) {
      for (std::uint32_t r : {0u, 0xffffffffu, 0x80000000u, bits(rng), bits(rng)}) {
        const float got = product_round(d, x, r);
        const double want = bnb_ref::stochastic_round(static_cast<double>(x), kind_of(d), r);
        if (std::isnan(want)) {
          ASSERT_TRUE(std::isnan(got)) << x;
        } else {
          ASSERT_EQ(static_cast<double>(got), want) << "dtype " << static_cast<int>(d) << " x " << x << " r " << r;
        }
      }
    }
  }
}

TEST(StochasticRounding, ResultsAreOnTheGridAndGridValuesStay) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const std::uint32_t r = bits(rng);
    const float half = k::half_to_float(bnb::half_t{static_cast<std::uint16_t>(h)});
    const float bf = k::bf16_to_float(bnb::bf16_t{static_cast<std::uint16_t>(h)});
    if (!std::isnan(half)) {
      ASSERT_EQ(k::float_bits(k::stochastic_round_half(half, r)), k::float_bits(half)) << h;
    }
    if (!std::isnan(bf)) {
      ASSERT_EQ(k::float_bits(k::stochastic_round_bf16(bf, r)), k::float_bits(bf)) << h;
    }
  }
  for (float x : rounding_inputs()) {
    const float r16 = k::stochastic_round_half(x, bits(rng));
    const float rb = k::stochastic_round_bf16(x, bits(rng));
    if (std::isnan(x)) continue;
    EXPECT_EQ(k::float_bits(k::Storage<bnb::half_t>::round(r16)), k::float_bits(r16)) << x;
    EXPECT_EQ(k::float_bits(k::Storage<bnb::bf16_t>::round(rb)), k::float_bits(rb)) << x;
  }
}

TEST(StochasticRounding, RoundsUpExactlyWithTheFractionOverItsRandomBits) {
  // 1 + 0.3 * 2^-7 (bf16 spacing at 1 is 2^-7): the fraction is the low 16 bits / 2^16. Over
  // every value of the 16 random bits that decide, exactly that many round up.
  const float x = 1.0f + 0.3f * 0.0078125f;
  const std::uint32_t low = k::float_bits(x) & 0xffffu;
  std::uint32_t up = 0;
  for (std::uint32_t top = 0; top < 0x10000u; ++top) up += k::stochastic_round_bf16(x, top << 16) > 1.0f ? 1u : 0u;
  EXPECT_EQ(up, low);
  // fp16 at 1 + 0.3 * 2^-10 with 2^24 decisions sampled every 2^8: 0.3 of them up (exact count).
  const float y = 1.0f + 0.3f * 0.0009765625f;
  const double fraction = (static_cast<double>(y) - 1.0) / 0.0009765625;
  std::uint32_t up16 = 0;
  for (std::uint32_t top = 0; top < 0x10000u; ++top) up16 += k::stochastic_round_half(y, top << 16) > 1.0f ? 1u : 0u;
  EXPECT_EQ(up16, static_cast<std::uint32_t>(std::ceil(fraction * 65536.0)));
}

TEST(StochasticRounding, HashedBitsAreUniformAndDependOnEveryInput) {
  // The mean of rounding up with fraction 1/4 over 2^20 elements: binomial, sigma = 0.00042; the
  // bound of 5 sigma fails a hash that correlates neighbouring elements.
  const bnb::RoundingKey key = k::rounding_key(1, 2, 3);
  constexpr std::uint32_t kElements = 1u << 20;
  std::uint32_t below = 0;
  for (std::uint32_t e = 0; e < kElements; ++e) below += (k::rounding_bits(key, e) >> 30) == 0 ? 1u : 0u;
  EXPECT_NEAR(static_cast<double>(below) / kElements, 0.25, 5 * 0.00042);
  EXPECT_NE(k::rounding_bits(k::rounding_key(1, 2, 3), 9), k::rounding_bits(k::rounding_key(2, 2, 3), 9));
  EXPECT_NE(k::rounding_bits(k::rounding_key(1, 2, 3), 9), k::rounding_bits(k::rounding_key(1, 3, 3), 9));
  EXPECT_NE(k::rounding_bits(k::rounding_key(1, 2, 3), 9), k::rounding_bits(k::rounding_key(1, 2, 4), 9));
  EXPECT_NE(k::rounding_bits(key, 9), k::rounding_bits(key, 9 + (std::uint64_t{1} << 32)));
  // The reference's independent stream gives the same bits for the product's tensor id.
  const bnb_ref::RoundingStream stream(17, "layer.w");
  const bnb::RoundingKey product = k::rounding_key(17, k::tensor_id("layer.w", 7), 5);
  for (std::uint64_t e : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{12345}, std::uint64_t{1} << 33}) {
    EXPECT_EQ(stream.bits(5, e), k::rounding_bits(product, e)) << e;
  }
}

// ---------------------------------------------------------------------------------------------
// The optimizer

constexpr std::size_t kN = 3000;

std::vector<std::uint16_t> bf16_values(std::size_t n, float sigma, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<std::uint16_t> out(n);
  for (auto& v : out) v = k::float_to_bf16(dist(rng)).bits;
  return out;
}
double bf16_value(std::uint16_t b) { return static_cast<double>(k::bf16_to_float(bnb::bf16_t{b})); }

/// Runs `steps` steps of `name` on one bf16 tensor, and the reference alongside with the same
/// rounding; returns the elements whose parameters differ.
std::size_t differing_from_reference(const std::string& name, const ArgMap& args, int steps, std::uint64_t seed) {
  bnb::OptimizerOptions options;
  options.seed = seed;
  bnb::Optimizer opt(name, args, {{"w", DType::bf16, kN}}, {}, options);
  std::vector<std::uint16_t> p = bf16_values(kN, 0.5f, 1);
  const bnb::EffectiveConfig& cfg = opt.config(0);
  bnb_ref::RefOptimizer ref(bnb_ref::ref_algo(cfg), bnb_ref::ref_hyper(cfg), kN, bnb_ref::StorageKind::bf16);
  ref.set_param_rounding(bnb_ref::ref_param_rounding(cfg.param_rounding), bnb_ref::RoundingStream(seed, "w"));
  std::vector<double> p0(kN);
  for (std::size_t i = 0; i < kN; ++i) p0[i] = bf16_value(p[i]);
  ref.set_param(p0);
  for (int t = 1; t <= steps; ++t) {
    const std::vector<std::uint16_t> g = bf16_values(kN, 0.01f, 100u + static_cast<std::uint32_t>(t));
    opt.step(0, p.data(), g.data());
    std::vector<double> gd(kN);
    for (std::size_t i = 0; i < kN; ++i) gd[i] = bf16_value(g[i]);
    ref.step(gd);
  }
  std::size_t differ = 0;
  for (std::size_t i = 0; i < kN; ++i) differ += bf16_value(p[i]) != ref.param()[i] ? 1u : 0u;
  return differ;
}

// fp32 arithmetic (product) and double (reference) give update results a binary32 ulp apart now
// and then; a stochastic decision flips only when its threshold falls in between (probability
// ~2^-16 per element and step for bf16): 3000 elements x 8 steps expect well under 1.
constexpr std::size_t kMaxRoundingFlips = 3;

TEST(ParamRoundingOptimizer, EveryModeFollowsTheReference) {
  for (const char* mode : {"nearest", "stochastic", "compensated"}) {
    for (const char* name : {"AdamW32bit", "Lion32bit", "SGD32bit"}) {
      ArgMap args{{"param_rounding", std::string(mode)}, {"lr", 1e-3}};
      if (std::string(name) == "SGD32bit") args["momentum"] = 0.9;
      EXPECT_LE(differing_from_reference(name, args, 8, 7), kMaxRoundingFlips) << name << " " << mode;
    }
  }
}

struct Bf16Run {
  std::vector<std::uint16_t> param;
  std::vector<std::uint8_t> compensation;
};

Bf16Run run_bf16(const ArgMap& args, std::uint64_t seed, int threads, int steps = 5) {
  bnb::OptimizerOptions options;
  options.seed = seed;
  options.threads = threads;
  bnb::Optimizer opt("AdamW8bit", args, {{"w", DType::bf16, 9000}}, {}, options);
  Bf16Run run{bf16_values(9000, 0.5f, 2), {}};
  for (int t = 1; t <= steps; ++t) {
    const std::vector<std::uint16_t> g = bf16_values(9000, 0.01f, 200u + static_cast<std::uint32_t>(t));
    opt.step(0, run.param.data(), g.data());
  }
  const bnb::StateBuffer& c = opt.state(0).compensation;
  run.compensation.assign(reinterpret_cast<const std::uint8_t*>(c.data()),
                          reinterpret_cast<const std::uint8_t*>(c.data()) + c.size());
  return run;
}

TEST(ParamRoundingOptimizer, NearestIsTheDefaultAndStochasticIsReproducibleFromTheSeed) {
  EXPECT_EQ(run_bf16({}, 0, 1).param, run_bf16({{"param_rounding", std::string("nearest")}}, 0, 1).param);
  const ArgMap stochastic{{"param_rounding", std::string("stochastic")}};
  const Bf16Run a = run_bf16(stochastic, 3, 1);
  EXPECT_EQ(a.param, run_bf16(stochastic, 3, 2).param) << "thread count changed the random bits";
  EXPECT_NE(a.param, run_bf16(stochastic, 4, 1).param) << "the seed does not reach the random bits";
  EXPECT_NE(a.param, run_bf16({}, 3, 1).param);
  const ArgMap compensated{{"param_rounding", std::string("compensated")}};
  const Bf16Run c1 = run_bf16(compensated, 0, 1);
  EXPECT_EQ(c1.compensation.size(), 9000u * 2);
  EXPECT_EQ(c1.param, run_bf16(compensated, 0, 2).param);
  EXPECT_EQ(c1.compensation, run_bf16(compensated, 0, 2).compensation);
}

TEST(ParamRoundingOptimizer, CompensationIsStateMemoryOf16BitParametersOnly) {
  bnb::Optimizer opt("Adam32bit", {{"param_rounding", std::string("compensated")}},
                     {{"w", DType::bf16, 1000}, {"h", DType::f16, 10}, {"b", DType::f32, 100}});
  for (std::size_t i = 0; i < 3; ++i) opt.initialize_state(i);
  const bnb::MemoryReport m = opt.memory();
  std::size_t compensation = 0;
  for (const auto& b : m.buffers) {
    if (b.name.find("/compensation") != std::string::npos) compensation += b.bytes;
  }
  EXPECT_EQ(compensation, 1000u * 2 + 10u * 2);
  EXPECT_EQ(m.state_bytes, (1000u + 10u + 100u) * 8 + compensation);
  EXPECT_EQ(opt.state(2).compensation.size(), 0u);
  ASSERT_EQ(opt.warnings().size(), 1u);
  EXPECT_NE(opt.warnings()[0].find("parameter 'b'"), std::string::npos) << opt.warnings()[0];
  EXPECT_NE(opt.warnings()[0].find("no effect on an fp32 parameter"), std::string::npos) << opt.warnings()[0];
}

TEST(ParamRoundingOptimizer, OverridesChooseTheModePerParameter) {
  bnb::Optimizer opt("AdamW", {}, {{"w", DType::bf16, 100}, {"emb", DType::bf16, 100}},
                     {{"emb", ArgMap{{"param_rounding", std::string("compensated")}}}});
  EXPECT_EQ(opt.config(0).param_rounding, ParamRounding::nearest);
  EXPECT_EQ(opt.config(1).param_rounding, ParamRounding::compensated);
  EXPECT_EQ(opt.config(0).args.count("param_rounding"), 0u) << "the default is not recorded (baselines)";
  EXPECT_EQ(std::get<std::string>(opt.config(1).args.at("param_rounding")), "compensated");
}

std::string config_error(const ArgMap& args, const std::string& name = "AdamW") {
  try {
    bnb::Optimizer opt(name, args, {{"w", DType::bf16, 10}});
  } catch (const bnb::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ParamRoundingOptimizer, InvalidValuesAreRefusedNamingTheChoices) {
  const std::string typo = config_error({{"param_rounding", std::string("stochastc")}});
  EXPECT_NE(typo.find("param_rounding: 'stochastc' is not a rounding mode, did you mean 'stochastic'?"), std::string::npos)
      << typo;
  EXPECT_NE(typo.find("nearest, stochastic, compensated"), std::string::npos) << typo;
  const std::string number = config_error({{"param_rounding", 1.0}});
  EXPECT_NE(number.find("param_rounding: expected a word"), std::string::npos) << number;
  const std::string lars = config_error({{"param_rounding", std::string("stochastic")}}, "PytorchLARS");
  EXPECT_NE(lars.find("unknown argument"), std::string::npos) << lars;
}

}  // namespace
