#include "workload.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "bnb/errors.hpp"
#include "random_stream.hpp"

namespace bnb::app {
namespace {

constexpr double kGoldenFraction = 0.6180339887498949;  // spreads curvatures over the elements
constexpr std::size_t kLsqCols = 8;   // least_squares: unknowns per independent group
constexpr std::size_t kLsqRows = 16;  // equations per group (overdetermined: a unique optimum)
constexpr double kRosenbrockB = 100.0;

bool objective_kind(WorkloadKind k) {
  return k == WorkloadKind::quadratic || k == WorkloadKind::rosenbrock || k == WorkloadKind::least_squares;
}

std::int64_t as_signed(std::size_t n) { return static_cast<std::int64_t>(n); }

}  // namespace

std::shared_ptr<const Trace> settle_replay(Config& c) {
  if (c.workload.kind != WorkloadKind::replay) return nullptr;
  const auto& path = c.workload.trace;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ConfigError(std::filesystem::exists(path, ec)
                          ? fmt::format("workload.trace: {} is not a regular file", path.string())
                          : fmt::format("workload.trace: no such file: {}", path.string()));
  }
  auto trace = std::make_shared<const Trace>(load_trace(path.string()));
  if (c.workload.steps > trace->steps) {
    throw DataError(fmt::format("workload.steps: {} steps requested but the trace {} holds {}", c.workload.steps,
                                path.string(), trace->steps));
  }
  if (c.params.empty()) {
    for (const auto& tp : trace->params) {
      ParamConfig p;
      p.name = tp.name;
      for (auto d : tp.shape) p.shape.push_back(static_cast<std::size_t>(d));
      p.dtype = tp.dtype;
      p.numel = tp.numel;
      c.params.push_back(std::move(p));
    }
    return trace;
  }
  // The config lists the parameters too: they must be the trace's.
  for (std::size_t i = 0; i < c.params.size(); ++i) {
    const auto& p = c.params[i];
    const TraceParam* match = nullptr;
    for (const auto& tp : trace->params) {
      if (tp.name == p.name) match = &tp;
    }
    if (!match) {
      throw DataError(fmt::format("params[{}]: parameter \"{}\" is not in the trace {}", i, p.name, path.string()));
    }
    std::vector<std::size_t> shape;
    for (auto d : match->shape) shape.push_back(static_cast<std::size_t>(d));
    if (shape != p.shape || match->dtype != p.dtype) {
      throw DataError(fmt::format("params[{}]: \"{}\" is {} {} in the config but {} {} in the trace {}", i, p.name,
                                  dtype_name(p.dtype), fmt::join(p.shape, "x"), dtype_name(match->dtype),
                                  fmt::join(shape, "x"), path.string()));
    }
  }
  if (c.params.size() != trace->params.size()) {
    throw DataError(fmt::format("params: the config lists {} parameters but the trace {} holds {}", c.params.size(),
                                path.string(), trace->params.size()));
  }
  return trace;
}

Workload::Workload(const Config& c, std::shared_ptr<const Trace> trace)
    : config_(c.workload), params_(c.params), seed_(c.seed), threads_(c.threads), trace_(std::move(trace)) {
  if (config_.kind == WorkloadKind::replay) {
    if (!trace_) throw std::logic_error("replay workload without a trace");
    for (const auto& p : params_) {
      std::size_t k = 0;
      while (k < trace_->params.size() && trace_->params[k].name != p.name) ++k;
      if (k == trace_->params.size()) throw DataError(fmt::format("parameter \"{}\" is not in the trace", p.name));
      trace_index_.push_back(k);
    }
  }
}

bool Workload::is_objective() const { return objective_kind(config_.kind); }

TensorBuffer Workload::initial_param(std::size_t i) const {
  const ParamConfig& p = params_.at(i);
  TensorBuffer buffer(p.dtype, p.numel);
  if (config_.kind == WorkloadKind::replay) {
    const auto init = trace_->params[trace_index_[i]].init;
    std::memcpy(buffer.data(), init.data(), buffer.bytes());
    return buffer;
  }
  const std::uint64_t key = stream_key(seed_, stream_id(StreamPurpose::init, i), 0);
  const InitSpec init = p.init;
  const auto n = as_signed(p.numel);
#pragma omp parallel for num_threads(threads_) schedule(static) if (n > 65536)
  for (std::int64_t j = 0; j < n; ++j) {
    const auto u = static_cast<std::uint64_t>(j);
    const double v = init.kind == InitKind::normal    ? init.scale * normal_at(key, u)
                     : init.kind == InitKind::uniform ? init.scale * symmetric_uniform_at(key, u)
                                                      : init.scale;
    buffer.set(static_cast<std::size_t>(j), v);
  }
  return buffer;
}

void Workload::gradient(std::size_t i, std::int64_t step, const TensorBuffer& param, TensorBuffer& grad) const {
  gradient(i, step, param, grad, {0, params_.at(i).numel});
}

void Workload::gradient(std::size_t i, std::int64_t step, const TensorBuffer& param, TensorBuffer& grad,
                        ShardRange range) const {
  const ParamConfig& p = params_.at(i);
  if (config_.kind == WorkloadKind::replay) {
    const auto g = trace_->params[trace_index_[i]].grad(step);
    std::memcpy(grad.data(), g.data() + range.begin * dtype_size(p.dtype), grad.bytes());
    return;
  }
  if (is_objective()) {
    std::vector<double> g(p.numel);
    objective_gradient(i, step, param.to_double(threads_), g);
    grad.assign(g.data() + range.begin, threads_);
    return;
  }
  const GradientStream s = stream_for(config_, p.name);
  const std::uint64_t key = stream_key(seed_, stream_id(StreamPurpose::gradient, i), static_cast<std::uint64_t>(step));
  const std::uint64_t sparsity_key =
      stream_key(seed_, stream_id(StreamPurpose::sparsity, i), static_cast<std::uint64_t>(step));
  const auto n = as_signed(range.numel);
#pragma omp parallel for num_threads(threads_) schedule(static) if (n > 16384)
  for (std::int64_t j = 0; j < n; ++j) {
    const auto u = static_cast<std::uint64_t>(range.begin) + static_cast<std::uint64_t>(j);
    double z0 = 0, z1 = 0;
    double value = 0;
    switch (s.distribution) {
      case GradDistribution::normal: value = normal_at(key, u); break;
      case GradDistribution::heavy_tailed: {
        // Student-t with 3 degrees of freedom, divided by sqrt(3) for unit variance.
        double z2 = 0, z3 = 0;
        normal_pair(element_bits(key, 2 * u), z0, z1);
        normal_pair(element_bits(key, 2 * u + 1), z2, z3);
        value = z0 / std::sqrt((z1 * z1 + z2 * z2 + z3 * z3) / 3.0) / std::sqrt(3.0);
        break;
      }
      case GradDistribution::sparse: {
        const bool keep = unit_open(static_cast<std::uint32_t>(element_bits(sparsity_key, u))) < s.density;
        value = keep ? normal_at(key, u) : 0.0;
        break;
      }
    }
    grad.set(static_cast<std::size_t>(j), s.scale * value);
  }
}

void Workload::gradient(std::size_t i, std::int64_t step, const std::vector<double>& param,
                        std::vector<double>& grad) const {
  if (is_objective()) {
    objective_gradient(i, step, param, grad);
    return;
  }
  // Streams and traces do not depend on the parameters: take the stored values.
  TensorBuffer g(params_.at(i).dtype, params_.at(i).numel);
  gradient(i, step, TensorBuffer{}, g);
  grad = g.to_double(threads_);
}

double Workload::curvature(std::size_t j) const {
  const double position = std::fmod(static_cast<double>(j) * kGoldenFraction, 1.0);
  return std::pow(config_.condition, -position);
}

double Workload::optimum(std::size_t i, std::size_t j) const {
  if (config_.kind == WorkloadKind::rosenbrock) return 1.0;
  return normal_at(stream_key(seed_, stream_id(StreamPurpose::optimum, i), 0), j);
}

void Workload::objective_gradient(std::size_t i, std::int64_t step, const std::vector<double>& x,
                                  std::vector<double>& g) const {
  const std::size_t n = x.size();
  g.assign(n, 0.0);
  const auto sn = as_signed(n);
  switch (config_.kind) {
    case WorkloadKind::quadratic: {
#pragma omp parallel for num_threads(threads_) schedule(static) if (sn > 16384)
      for (std::int64_t j = 0; j < sn; ++j) {
        const auto u = static_cast<std::size_t>(j);
        g[u] = curvature(u) * (x[u] - optimum(i, u));
      }
      break;
    }
    case WorkloadKind::rosenbrock: {
      const auto pairs = as_signed(n / 2);
#pragma omp parallel for num_threads(threads_) schedule(static) if (pairs > 16384)
      for (std::int64_t k = 0; k < pairs; ++k) {
        const auto a = 2 * static_cast<std::size_t>(k);
        const double residual = x[a + 1] - x[a] * x[a];
        g[a] = -2.0 * (1.0 - x[a]) - 4.0 * kRosenbrockB * x[a] * residual;
        g[a + 1] = 2.0 * kRosenbrockB * residual;
      }
      if (n % 2) g[n - 1] = -2.0 * (1.0 - x[n - 1]);
      break;
    }
    case WorkloadKind::least_squares: {
      const std::uint64_t key = stream_key(seed_, stream_id(StreamPurpose::design, i), 0);
      const auto groups = as_signed((n + kLsqCols - 1) / kLsqCols);
      const double entry_scale = std::sqrt(3.0 / static_cast<double>(kLsqRows));  // unit-variance columns / sqrt(m)
#pragma omp parallel for num_threads(threads_) schedule(static) if (groups > 2048)
      for (std::int64_t gi = 0; gi < groups; ++gi) {
        const std::size_t first = static_cast<std::size_t>(gi) * kLsqCols;
        const std::size_t cols = std::min(kLsqCols, n - first);
        double d[kLsqCols] = {};
        for (std::size_t c = 0; c < cols; ++c) d[c] = x[first + c] - optimum(i, first + c);
        for (std::size_t r = 0; r < kLsqRows; ++r) {
          double a[kLsqCols] = {};
          double residual = 0;
          for (std::size_t c = 0; c < cols; ++c) {
            a[c] = entry_scale * symmetric_uniform_at(key, (static_cast<std::uint64_t>(gi) * kLsqRows + r) * kLsqCols + c);
            residual += a[c] * d[c];
          }
          for (std::size_t c = 0; c < cols; ++c) g[first + c] += a[c] * residual;
        }
      }
      break;
    }
    case WorkloadKind::gradients:
    case WorkloadKind::replay: break;
  }
  if (config_.noise > 0) {
    const std::uint64_t key = stream_key(seed_, stream_id(StreamPurpose::noise, i), static_cast<std::uint64_t>(step));
#pragma omp parallel for num_threads(threads_) schedule(static) if (sn > 16384)
    for (std::int64_t j = 0; j < sn; ++j) {
      g[static_cast<std::size_t>(j)] += config_.noise * normal_at(key, static_cast<std::uint64_t>(j));
    }
  }
}

double Workload::loss(std::size_t i, const std::vector<double>& x) const {
  const std::size_t n = x.size();
  if (n == 0) return 0;
  double total = 0;
  switch (config_.kind) {
    case WorkloadKind::quadratic:
      for (std::size_t j = 0; j < n; ++j) {
        const double d = x[j] - optimum(i, j);
        total += 0.5 * curvature(j) * d * d;
      }
      break;
    case WorkloadKind::rosenbrock:
      for (std::size_t a = 0; a + 1 < n; a += 2) {
        const double residual = x[a + 1] - x[a] * x[a];
        total += (1.0 - x[a]) * (1.0 - x[a]) + kRosenbrockB * residual * residual;
      }
      if (n % 2) total += (1.0 - x[n - 1]) * (1.0 - x[n - 1]);
      break;
    case WorkloadKind::least_squares: {
      // 0.5 * ||A d||^2 = 0.5 * d . (A^T A d) = 0.5 * d . gradient (noise-free)
      std::vector<double> g;
      std::vector<double> d(n);
      for (std::size_t j = 0; j < n; ++j) d[j] = x[j] - optimum(i, j);
      Workload copy = *this;
      copy.config_.noise = 0;
      copy.objective_gradient(i, 0, x, g);
      for (std::size_t j = 0; j < n; ++j) total += 0.5 * d[j] * g[j];
      break;
    }
    case WorkloadKind::gradients:
    case WorkloadKind::replay: return 0;
  }
  return total / static_cast<double>(n);
}

double Workload::distance_squared(std::size_t i, const std::vector<double>& x) const {
  double total = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double d = x[j] - optimum(i, j);
    total += d * d;
  }
  return total;
}

}  // namespace bnb::app
