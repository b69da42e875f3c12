#pragma once
// The run configuration (DESIGN.md §3.1; documented in docs/cli.md): parsed strictly from JSON,
// every error naming its JSON path, everything checked before any work starts.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bnb/arguments.hpp"
#include "bnb/kernels/dtype.hpp"
#include "bnb/optimizer.hpp"
#include "gates.hpp"
#include "paging_config.hpp"
#include "peers/peer_spec.hpp"

namespace bnb::app {

inline constexpr int kConfigSchema = 1;
/// "threads" and --threads: OpenMP teams beyond this fail inside the runtime.
inline constexpr int kMaxThreads = 4096;

enum class InitKind { normal, uniform, constant };

struct InitSpec {
  InitKind kind = InitKind::normal;
  double scale = 0.1;  // normal: standard deviation; uniform: half-width; constant: the value
};

struct ParamConfig {
  std::string name;
  std::vector<std::size_t> shape;
  DType dtype = DType::f32;
  InitSpec init;
  std::size_t numel = 0;
};

enum class WorkloadKind { gradients, replay, quadratic, rosenbrock, least_squares };

enum class GradDistribution { normal, heavy_tailed, sparse };

/// A synthetic gradient stream: values scale * X, X ~ N(0,1) (normal), Student-t with 3 degrees
/// of freedom scaled to unit variance (heavy_tailed), or N(0,1) kept with probability density
/// and 0 otherwise (sparse).
struct GradientStream {
  GradDistribution distribution = GradDistribution::normal;
  double scale = 0.01;
  double density = 0.1;
};

/// Per-tensor stream override: fields that are set replace the workload's.
struct StreamOverride {
  std::vector<std::string> patterns;
  std::optional<GradDistribution> distribution;
  std::optional<double> scale;
  std::optional<double> density;
};

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::gradients;
  std::int64_t steps = 0;
  GradientStream stream;                  // gradients
  std::vector<StreamOverride> overrides;  // gradients
  std::filesystem::path trace;            // replay: resolved against the config's folder
  double condition = 1000.0;              // quadratic: largest / smallest curvature
  double noise = 0.0;                     // objectives: std of additive gradient noise
};

struct OptimizerEntry {
  std::string name;   // catalogue name
  std::string label;  // unique in the run; names dump files
  ArgMap args;
  std::vector<Override> overrides;         // one per pattern, in config order
  std::vector<std::string> override_paths; // JSON path of each override's "params", for messages
  std::string path;   // "optimizers[2]", for messages
  std::optional<PeerSpec> peer;  // set: another library runs this entry (docs/peers.md)
};

enum class ReferenceMode { drift, resync, off };

struct TimingConfig {
  bool enabled = true;
  std::int64_t warmup_steps = 2;
  double min_time_s = 0.2;
  std::int64_t min_samples = 5;
  double timeout_s = 30.0;
  double noise_target = 0.0;  // > 0: keep sampling (until the timeout) while iqr/median exceeds it
};

/// Thresholds turning a run into a verdict (exit code bits 1 speed, 2 accuracy, 4 memory,
/// 8 non-finite). Unset thresholds are not checked.
struct GatesConfig {
  std::optional<double> max_ns_per_param_step;
  std::optional<double> max_rel_travel;  // final error.param.rel_travel (travel_error.hpp)
  std::optional<double> max_step_lr;     // 8-bit entries: quantization.max_step_lr (the underflow hazard)
  std::optional<double> max_rel_l2;
  std::optional<double> max_state_bytes_per_param;
  bool allow_nonfinite = true;
  ExtraGates extra;  // per-label and relative speed gates (gates.hpp)
};

/// "distributed": how a run started by mpirun shards its tensors (docs/distributed.md). Only
/// "blocks" (contiguous ranges aligned to every state block) exists; a run started without
/// mpirun is one process whatever this says.
struct DistributedConfig {
  std::string shard = "blocks";
};

struct Config {
  int schema = kConfigSchema;
  std::string name;
  std::uint64_t seed = 0;
  int threads = 1;
  Device device = Device::cpu;
  std::vector<ParamConfig> params;
  WorkloadConfig workload;
  std::vector<OptimizerEntry> optimizers;
  ReferenceMode reference = ReferenceMode::drift;
  bool reference_fp32_params = false;  // reference.params "fp32": 16-bit storage measured against fp32
  TimingConfig timing;
  GatesConfig gates;
  PagingConfig paging;
  DistributedConfig distributed;
  std::string source;  // file name or "<built-in default suite>"
};

/// Parses and checks everything that does not need files (types, ranges, names, optimizer
/// arguments, override patterns). `source` names the text in messages; relative trace paths are
/// resolved against `base_dir`. Throws ConfigError.
Config parse_config(std::string_view text, std::string_view source, const std::filesystem::path& base_dir);

/// Reads and parses a config file (IoError when unreadable).
Config load_config(const std::filesystem::path& file);

std::string_view dtype_name(DType d);          // "fp32", "fp16", "bf16"
std::string_view workload_kind_name(WorkloadKind k);
std::string_view distribution_name(GradDistribution d);
std::string_view reference_mode_name(ReferenceMode m);
std::size_t total_numel(const Config& c);

/// The stream of parameter `name` after the workload's per-tensor overrides.
GradientStream stream_for(const WorkloadConfig& w, const std::string& name);

/// Checks that need the parameter list settled (replay fills it from the trace): override
/// patterns match, every optimizer builds (library validation), labels are usable file names.
/// Throws ConfigError naming the JSON path.
void check_optimizers(const Config& c);

/// ParamSpecs for bnb::Optimizer.
std::vector<ParamSpec> param_specs(const Config& c);

}  // namespace bnb::app
