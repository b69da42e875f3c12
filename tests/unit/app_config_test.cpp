// The CLI's building blocks: config parsing (paths in messages, defaults, overrides), glob
// patterns, suggestions, counter-based random streams (independent of the thread count and, for
// a sharded run's ranges, of the range), objective gradients (against central finite
// differences) and timing statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "bnb/errors.hpp"
#include "config.hpp"
#include "glob.hpp"
#include "memory_check.hpp"
#include "peers/peer_check.hpp"
#include "suggest.hpp"
#include "timing.hpp"
#include "workload.hpp"

namespace {

using bnb::ConfigError;
using namespace bnb::app;

std::string minimal(const std::string& extra_top = "", const std::string& optimizer = R"({"name": "Adam8bit"})",
                    const std::string& workload = R"({"kind": "gradients", "steps": 3})") {
  return R"({"schema": 1, "params": [{"name": "w", "shape": [4, 8]}, {"name": "emb", "shape": [16]}],
             "workload": )" + workload + R"(, "optimizers": [)" + optimizer + "]" + extra_top + "}";
}

std::string error_of(const std::string& text) {
  try {
    Config c = parse_config(text, "test.json", ".");
    check_optimizers(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(AppConfig, ParsesDefaultsAndShapes) {
  const Config c = parse_config(minimal(), "test.json", ".");
  ASSERT_EQ(c.params.size(), 2u);
  EXPECT_EQ(c.params[0].numel, 32u);
  EXPECT_EQ(c.params[0].dtype, bnb::DType::f32);
  EXPECT_EQ(c.optimizers[0].label, "Adam8bit");  // the label defaults to the name
  EXPECT_EQ(c.reference, ReferenceMode::drift);
  EXPECT_EQ(c.workload.steps, 3);
  EXPECT_EQ(c.name, "test");
}

TEST(AppConfig, ErrorsNameTheJsonPath) {
  EXPECT_EQ(error_of(minimal("", R"({"name": "Adam", "betas": [0.9, 0.99, 0.999]})")),
            "optimizers[0].betas: expected 2 numbers, got 3");
  EXPECT_NE(error_of(minimal(R"(, "sed": 1)")).find("sed: unknown key (did you mean \"seed\"?)"), std::string::npos);
  EXPECT_NE(error_of(minimal("", R"({"name": "Adam", "overrides": [{"params": "bias*", "lr": 0.1}]})"))
                .find("optimizers[0].overrides[0].params: pattern \"bias*\" matches no parameter"),
            std::string::npos);
  EXPECT_NE(error_of(minimal("", R"({"name": "Lion8bti"})")).find("did you mean \"Lion8bit\""), std::string::npos);
  EXPECT_NE(error_of(minimal("", R"({"name": "Adam"})", R"({"kind": "quadratic", "steps": 2, "trace": "x"})"))
                .find("workload.trace: only allowed with kind \"replay\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"schema": 1, "params": [)").find("invalid JSON at line 1"), std::string::npos);
}

TEST(AppConfig, HostileTextIsAConfigErrorNeverACrash) {
  // Numbers beyond the double range, duplicate keys, and nesting deep enough to overflow the
  // stack of any recursive reader (80,000 levels) are refused with the place named.
  EXPECT_NE(error_of(minimal("", R"({"name": "Adam8bit", "lr": 1e999})")).find("number overflow parsing '1e999'"),
            std::string::npos);
  EXPECT_EQ(error_of(minimal(R"(, "seed": 1, "seed": 2)")),
            "test.json: seed: duplicate key \"seed\" (a key may appear only once in an object)");
  const std::string deep = std::string(80'000, '[') + std::string(80'000, ']');
  EXPECT_NE(error_of(minimal(", \"name\": " + deep)).find("nested deeper than 64 levels"), std::string::npos);
  std::string objects;
  for (int i = 0; i < 80'000; ++i) objects += "{\"a\":";
  EXPECT_NE(error_of(objects).find("test.json: a.a.a.a"), std::string::npos);
  // Echoed values are bounded: a megabyte string comes back as a short excerpt.
  const std::string huge(1'000'000, 'x');
  EXPECT_LT(error_of(minimal(", \"seed\": \"" + huge + "\"")).size(), 200u);
  EXPECT_LT(error_of(minimal(", \"" + huge + "\": 1")).size(), 200u);
  EXPECT_LT(error_of(minimal("", "{\"name\": \"" + huge + "\"}")).size(), 200u);
  // The parameters' total element count is bounded like each tensor's (2^53).
  EXPECT_EQ(error_of(R"({"schema": 1, "params": [{"name": "a", "shape": [9007199254740992]},
                     {"name": "b", "shape": [2]}], "workload": {"kind": "gradients", "steps": 1},
                     "optimizers": [{"name": "Adam8bit"}]})"),
            "params: the parameters hold more than 2^53 elements in total");
}

TEST(AppMemory, EstimateSaturatesInsteadOfWrapping) {
  // 2^53 elements and many entries need more bytes than a size_t counts: the estimate says
  // "too much" (SIZE_MAX), never a small wrapped number.
  Config c = parse_config(minimal(), "test.json", ".");
  c.params.resize(1);
  c.params[0].numel = std::size_t{1} << 53;
  c.optimizers.resize(600, c.optimizers[0]);
  const MemoryEstimate m = estimate_memory(c, 0);
  EXPECT_EQ(m.params_and_grads, SIZE_MAX);
  EXPECT_EQ(m.total(), SIZE_MAX);
  EXPECT_THROW(check_memory(c, 0), ConfigError);
}

TEST(AppConfig, OverridesMatchByGlob) {
  const Config c = parse_config(minimal("", R"({"name": "Adam8bit", "overrides": [{"params": ["e*"], "optim_bits": 32}]})"),
                                "t.json", ".");
  ASSERT_EQ(c.optimizers[0].overrides.size(), 1u);
  EXPECT_EQ(c.optimizers[0].overrides[0].pattern, "e*");
  EXPECT_NO_THROW(check_optimizers(c));
}

// The run's device travels to the peers in the probe (docs/peers.md): on "cuda" the
// standard-library test peer, which steps on the CPU only, refuses before any work (exit 64).
TEST(AppPeers, DeviceTravelsToThePeersWhoMayRefuseCuda) {
  Config c = parse_config(minimal("", R"({"implementation": "python", "name": "AdamW"})"), "test.json", ".");
  try {
    check_peers(c, "");  // python3 from PATH (or BNB_BENCH_PYTHON), as the tool's default
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find("cannot start the Python interpreter") != std::string::npos) {
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  c.device = bnb::Device::cuda;
  try {
    check_peers(c, "");
    FAIL() << "a CPU-only peer accepted device cuda";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(R"(optimizers[0]: the python test peer runs on the CPU only, not "cuda")"),
              std::string::npos)
        << e.what();
  }
}

TEST(AppGlob, Patterns) {
  EXPECT_TRUE(glob_match("layer.*.weight", "layer.3.weight"));
  EXPECT_TRUE(glob_match("emb", "emb"));
  EXPECT_FALSE(glob_match("emb", "embedding"));
  EXPECT_TRUE(glob_match("w[0-9]", "w7"));
  EXPECT_FALSE(glob_match("w[!0-9]", "w7"));
  EXPECT_TRUE(glob_match("?a*", "xabc"));
}

TEST(AppSuggest, NearestWithinReason) {
  EXPECT_EQ(nearest("optimzers", {"optimizers", "params"}), "optimizers");
  EXPECT_EQ(nearest("zzzzzzzz", {"optimizers", "params"}), "");
}

TEST(AppWorkload, GradientStreamIsIndependentOfThreads) {
  const std::string text = minimal("", R"({"name": "Adam"})",
                                   R"({"kind": "gradients", "steps": 2, "distribution": "heavy_tailed"})");
  Config one = parse_config(text, "t.json", ".");
  one.threads = 1;
  Config two = one;
  two.threads = 2;
  TensorBuffer g1(bnb::DType::f32, 32), g2(bnb::DType::f32, 32);
  Workload(one, nullptr).gradient(0, 1, TensorBuffer{}, g1);
  Workload(two, nullptr).gradient(0, 1, TensorBuffer{}, g2);
  for (std::size_t j = 0; j < 32; ++j) EXPECT_EQ(g1.get(j), g2.get(j)) << j;
  TensorBuffer g3(bnb::DType::f32, 32);
  Workload(one, nullptr).gradient(0, 0, TensorBuffer{}, g3);  // another step: other values
  EXPECT_NE(g1.get(0), g3.get(0));
}

// A rank of a sharded run makes only its range of each gradient (docs/distributed.md): that
// range is, bit for bit, the same slice of the whole gradient, for every workload kind.
TEST(AppWorkload, RangedGradientIsTheSliceOfTheWhole) {
  auto expect_slices = [](Config c, const std::string& what) {
    const std::shared_ptr<const bnb::Trace> trace = settle_replay(c);
    const Workload w(c, trace);
    for (std::size_t i = 0; i < c.params.size(); ++i) {
      const std::size_t n = c.params[i].numel;
      const TensorBuffer param = w.initial_param(i);
      TensorBuffer whole(c.params[i].dtype, n);
      w.gradient(i, 1, param, whole);
      const std::size_t element = whole.bytes() / n;
      for (const bnb::ShardRange r : {bnb::ShardRange{0, n / 2}, bnb::ShardRange{n / 3, n - n / 3}, bnb::ShardRange{n - 1, 1}}) {
        TensorBuffer part(c.params[i].dtype, r.numel);
        w.gradient(i, 1, param, part, r);
        EXPECT_EQ(0, std::memcmp(part.data(), static_cast<const std::byte*>(whole.data()) + r.begin * element, part.bytes()))
            << what << ", tensor " << i << ", range [" << r.begin << ", " << r.begin + r.numel << ")";
      }
    }
  };
  const std::string params = R"("params": [{"name": "w", "shape": [40, 8]}, {"name": "h", "shape": [99], "dtype": "bf16"}])";
  for (const char* workload : {R"({"kind": "gradients", "steps": 2, "distribution": "normal"})",
                               R"({"kind": "gradients", "steps": 2, "distribution": "heavy_tailed"})",
                               R"({"kind": "gradients", "steps": 2, "distribution": "sparse", "density": 0.3})",
                               R"({"kind": "quadratic", "steps": 2})", R"({"kind": "rosenbrock", "steps": 2})",
                               R"({"kind": "least_squares", "steps": 2})"}) {
    const std::string text = std::string(R"({"schema": 1, )") + params + R"(, "workload": )" + workload +
                             R"(, "optimizers": [{"name": "Adam"}]})";
    expect_slices(parse_config(text, "t.json", "."), workload);
  }
  const std::string replay = R"({"schema": 1, "workload": {"kind": "replay", "trace": ")" BNB_TEST_DATA_DIR
                             R"(/example_trace.safetensors", "steps": 2}, "optimizers": [{"name": "Adam"}]})";
  expect_slices(parse_config(replay, "t.json", "."), "replay");
}

// The objectives' gradients are the derivative of their loss (sum form: loss * n).
TEST(AppWorkload, ObjectiveGradientsMatchFiniteDifferences) {
  for (const char* kind : {"quadratic", "rosenbrock", "least_squares"}) {
    const Config c = parse_config(
        minimal("", R"({"name": "Adam"})", std::string(R"({"kind": ")") + kind + R"(", "steps": 2})"), "t.json", ".");
    const Workload w(c, nullptr);
    std::vector<double> x(32);
    for (std::size_t j = 0; j < x.size(); ++j) x[j] = 0.3 * std::sin(static_cast<double>(j));
    std::vector<double> g;
    w.gradient(0, 0, x, g);
    const double h = 1e-6;
    for (std::size_t j = 0; j < x.size(); j += 5) {
      auto xp = x, xm = x;
      xp[j] += h;
      xm[j] -= h;
      const double numeric = (w.loss(0, xp) - w.loss(0, xm)) * static_cast<double>(x.size()) / (2 * h);
      // Central differences of smooth functions at h = 1e-6: error ~ h^2 * f''' plus rounding.
      EXPECT_NEAR(g[j], numeric, 1e-5 * (1 + std::fabs(numeric))) << kind << " element " << j;
    }
  }
}

TEST(AppTiming, QuantilesAndSummary) {
  const TimeStats t = summarize({4, 1, 3, 2, 5}, 1, false);
  EXPECT_DOUBLE_EQ(t.median, 3);
  EXPECT_DOUBLE_EQ(t.min, 1);
  EXPECT_DOUBLE_EQ(t.max, 5);
  EXPECT_DOUBLE_EQ(t.iqr, 2);  // q75 = 4, q25 = 2
  EXPECT_EQ(t.samples.size(), 5u);
}

}  // namespace
