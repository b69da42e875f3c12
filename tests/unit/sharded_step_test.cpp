// Sharded steps (docs/distributed.md) without MPI: N shards of every tensor, each stepped by its
// own optimizer on its own thread, the whole-tensor reductions folded through a ShardFold of
// threads in shard order. Parameters and every state buffer must be bit-identical to one
// optimizer stepping the whole tensors, for every algorithm and state format and N = 1, 2, 3, 5,
// and the shards' 8-bit underflow counts must add up to the whole tensors' (a sharded run sums
// them over the ranks).
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "bnb/errors.hpp"
#include "bnb/optimizer.hpp"

namespace {

using bnb::ArgMap;
using bnb::DType;
using bnb::Optimizer;
using bnb::ParamSpec;
using bnb::ShardRange;

/// The fold of N threads: shard k waits for its turn, continues the running values, and every
/// shard leaves with the last shard's values. One round per call, in the same order on every shard.
class ThreadChain {
 public:
  explicit ThreadChain(int shards) : shards_(shards), copied_(shards) {}

  void fold(int k, std::int64_t round, std::span<double> v, const std::function<void(std::span<double>)>& f) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return done_ == round && turn_ == k && (k != 0 || copied_ == shards_); });
    if (k == 0) {
      running_.assign(v.begin(), v.end());
      copied_ = 0;
    }
    f(running_);
    if (++turn_ == shards_) {
      turn_ = 0;
      ++done_;
    }
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_ > round; });
    std::copy(running_.begin(), running_.end(), v.begin());
    ++copied_;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int shards_;
  int turn_ = 0, copied_;
  std::int64_t done_ = 0;
  std::vector<double> running_;
};

class ThreadFold final : public bnb::ShardFold {
 public:
  ThreadFold(ThreadChain& chain, int k) : chain_(chain), k_(k) {}
  void in_shard_order(std::span<double> running, const std::function<void(std::span<double>)>& fold) const override {
    chain_.fold(k_, rounds_++, running, fold);
  }

 private:
  ThreadChain& chain_;
  int k_;
  mutable std::int64_t rounds_ = 0;
};

constexpr int kSteps = 4;

struct Case {
  const char* name;
  ArgMap args;
};

/// 8-bit and 4-bit tensors with a tail block, a tensor below min_8bit_size (fp32 state) and one
/// smaller than a shard unit (empty on most shards).
const std::vector<ParamSpec> kSpecs = {{"w", DType::f32, 5000}, {"v", DType::f32, 4097}, {"b", DType::f32, 300},
                                       {"s", DType::f32, 40}};

std::vector<std::vector<float>> values(unsigned seed, float sigma) {
  std::mt19937 gen(seed);
  std::student_t_distribution<float> dist(3.0f);
  std::vector<std::vector<float>> out;
  for (const ParamSpec& s : kSpecs) {
    std::vector<float> v(s.numel);
    for (float& x : v) x = sigma * dist(gen);
    out.push_back(std::move(v));
  }
  return out;
}

struct Result {
  std::vector<std::vector<float>> params;
  std::vector<std::vector<std::vector<std::byte>>> rows;  // per tensor, per row: stored bytes
  std::vector<std::vector<std::vector<float>>> scales;
  std::vector<std::uint64_t> underflows = std::vector<std::uint64_t>(bnb::kMaxStateRows);  // per row, all shards
};

void append_state(const Optimizer& opt, std::size_t i, std::size_t shard, Result& r) {
  const auto& st = opt.state(i);
  for (int k = 0; k < st.rows; ++k) {
    auto& row = r.rows[i][static_cast<std::size_t>(k)];
    row.insert(row.end(), st.row[k].data(), st.row[k].data() + st.row[k].size());
    auto& sc = r.scales[i][static_cast<std::size_t>(k)];
    // Tensor-wise scales are the same on every shard: keep one.
    if (shard == 0 || st.absmax[k].size() != 1) sc.insert(sc.end(), st.absmax[k].begin(), st.absmax[k].end());
  }
}

Result run(const Case& c, int shards) {
  const auto grads = [] {
    std::vector<std::vector<std::vector<float>>> g;
    for (int t = 0; t < kSteps; ++t) g.push_back(values(100 + static_cast<unsigned>(t), 0.01f));
    return g;
  }();
  Result r;
  r.params = values(7, 0.1f);
  r.rows.assign(kSpecs.size(), std::vector<std::vector<std::byte>>(bnb::kMaxStateRows));
  r.scales.assign(kSpecs.size(), std::vector<std::vector<float>>(bnb::kMaxStateRows));
  ThreadChain chain(shards);
  std::vector<ThreadFold> folds;
  for (int k = 0; k < shards; ++k) folds.emplace_back(chain, k);
  std::vector<std::unique_ptr<Optimizer>> opts(static_cast<std::size_t>(shards));
  std::mutex sum_mutex;
  std::vector<std::thread> threads;
  for (int k = 0; k < shards; ++k) {
    threads.emplace_back([&, k] {
      bnb::OptimizerOptions options;
      options.shards = shards > 1 ? &folds[static_cast<std::size_t>(k)] : nullptr;
      std::vector<ParamSpec> specs = kSpecs;
      if (shards > 1) {
        for (auto& s : specs) s.shard = bnb::shard_range(s.numel, bnb::shard_alignment(options), k, shards);
      }
      auto opt = std::make_unique<Optimizer>(c.name, c.args, specs, std::vector<bnb::Override>{}, options);
      std::vector<std::uint64_t> underflows(bnb::kMaxStateRows);
      for (int t = 0; t < kSteps; ++t) {
        for (std::size_t i = 0; i < specs.size(); ++i) {
          const ShardRange range = specs[i].shard.value_or(ShardRange{0, specs[i].numel});
          const bnb::StepReport report = opt->step(i, r.params[i].data() + range.begin,
                                                   grads[static_cast<std::size_t>(t)][i].data() + range.begin);
          for (std::size_t row = 0; row < underflows.size(); ++row) underflows[row] += report.underflows[row];
        }
      }
      const std::lock_guard lock(sum_mutex);
      for (std::size_t row = 0; row < underflows.size(); ++row) r.underflows[row] += underflows[row];
      opts[static_cast<std::size_t>(k)] = std::move(opt);
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    for (int k = 0; k < shards; ++k) append_state(*opts[static_cast<std::size_t>(k)], i, static_cast<std::size_t>(k), r);
  }
  return r;
}

class ShardedStep : public ::testing::TestWithParam<Case> {};

TEST_P(ShardedStep, BitIdenticalToOneOptimizer) {
  const Result whole = run(GetParam(), 1);
  for (int shards : {2, 3, 5}) {
    const Result sharded = run(GetParam(), shards);
    for (std::size_t i = 0; i < kSpecs.size(); ++i) {
      const std::string what = std::string(GetParam().name) + " " + kSpecs[i].name + ", " + std::to_string(shards) + " shards";
      EXPECT_EQ(0, std::memcmp(whole.params[i].data(), sharded.params[i].data(), whole.params[i].size() * sizeof(float)))
          << what << ": parameters";
      EXPECT_EQ(whole.rows[i], sharded.rows[i]) << what << ": state rows";
      EXPECT_EQ(whole.scales[i], sharded.scales[i]) << what << ": scales";
    }
    EXPECT_EQ(whole.underflows, sharded.underflows) << GetParam().name << ", " << shards << " shards: underflow counts";
  }
}

// Every algorithm, every state format (fp32, 8-bit block-wise and tensor-wise, 4-bit, fp8), and every
// whole-tensor reduction: LAMB/LARS trust ratios, tensor-wise maxima, percentile clipping, PytorchLARS.
INSTANTIATE_TEST_SUITE_P(
    AllAlgorithms, ShardedStep,
    ::testing::Values(Case{"Adam32bit", {{"percentile_clipping", 90.0}}}, Case{"Adam8bit", {}},
                      Case{"AdamW8bit", {{"block_wise", false}}},
                      Case{"Adam8bit", {{"underflow_guard", true}}},  // its random streams index whole tensors
                      Case{"AdamW4bit", {}}, Case{"AdamWFp8", {}}, Case{"AdamFp8", {}}, Case{"AdEMAMix8bit", {}},
                      Case{"LAMB8bit", {}}, Case{"LAMB32bit", {}}, Case{"LARS8bit", {{"lr", 0.01}, {"momentum", 0.9}}},
                      Case{"PytorchLARS", {{"momentum", 0.9}}}, Case{"Lion8bit", {{"percentile_clipping", 95.0}}},
                      Case{"RMSprop8bit", {}}, Case{"SGD8bit", {{"lr", 0.01}, {"momentum", 0.9}}}, Case{"Adagrad8bit", {}}),
    [](const ::testing::TestParamInfo<Case>& c) {
      return std::string(c.param.name) + (c.param.args.contains("underflow_guard") ? "Guarded" : "");
    });

TEST(ShardRange, AlignedRangesTileTheTensor) {
  for (std::size_t n : {0u, 1u, 255u, 256u, 257u, 5000u, 100000u}) {
    for (int ranks = 1; ranks <= 7; ++ranks) {
      std::size_t next = 0;
      for (int k = 0; k < ranks; ++k) {
        const ShardRange r = bnb::shard_range(n, 256, k, ranks);
        EXPECT_EQ(r.begin, next) << n << " elements, rank " << k << " of " << ranks;
        EXPECT_EQ(r.begin % 256, 0u);
        next = r.begin + r.numel;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST(ShardRange, MisalignedShardIsRefused) {
  ThreadChain chain(2);
  ThreadFold fold(chain, 0);
  bnb::OptimizerOptions options;
  options.shards = &fold;
  std::vector<ParamSpec> specs = {{"w", DType::f32, 5000, ShardRange{100, 900}}};
  EXPECT_THROW(Optimizer("Adam8bit", {}, specs, {}, options), bnb::ConfigError);
}

}  // namespace
