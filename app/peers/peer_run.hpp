#pragma once
// One peer entry of `bnb-bench run` (docs/peers.md): its bridge process, the accuracy pass (the
// workload's gradients written for the bridge step by step, the peer's parameters read back and
// compared with the fp64 reference like ours), the dump, timing samples measured inside Python
// around optimizer.step(), and the state memory the library holds. A library that raises is
// recorded in the entry's `failure`; the entry then takes no further part in the run.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "peers/peer_process.hpp"
#include "progress.hpp"
#include "reference_model.hpp"
#include "results.hpp"
#include "tensor_buffer.hpp"
#include "workload.hpp"

namespace bnb::app {

class PeerRun {
 public:
  PeerRun(const Config& c, const OptimizerEntry& entry, const PeerLauncher& launcher,
          const std::filesystem::path& scratch, EntryResult& result);

  bool failed() const { return result_.failure.has_value(); }

  /// Starts the peer from `initial` and runs the workload's steps with the reference alongside.
  void accuracy_pass(const Workload& w, const std::vector<TensorBuffer>& initial, Progress& progress,
                     const std::string& progress_prefix);
  /// Writes DIR/<label>.safetensors: param/NAME and the library's raw state tensors.
  void dump(const std::string& dir);
  /// Runs `steps` more steps on the last gradients; the seconds spent inside optimizer.step(),
  /// or nullopt when the library failed (recorded).
  std::optional<double> run_steps(std::int64_t steps);
  /// After timing: throughput from the median and the bridge's peak memory.
  void finish();

 private:
  nlohmann::json call(const nlohmann::json& req);
  void start(const std::vector<TensorBuffer>& initial);
  void set_reference(const nlohmann::json& reference);
  void write_grads(const std::string& file) const;
  void read_back(const std::string& file, bool with_states);
  void fill_memory();

  const Config& config_;
  const OptimizerEntry& entry_;
  EntryResult& result_;
  std::filesystem::path scratch_;
  std::unique_ptr<PeerProcess> process_;
  std::vector<TensorBuffer> params_, grads_;  // the peer's parameters as last read back
  std::vector<std::vector<std::vector<float>>> states_;  // [tensor][reference row] as last read back
  std::vector<std::string> state_keys_;  // the library's state key of each reference row
  std::vector<EffectiveConfig> reference_configs_;
  std::size_t numel_ = 0;
};

}  // namespace bnb::app
