#pragma once
// What the machine was doing around a run (docs/compare.md, "Comparable time"): load averages and
// CPU clock, sampled before and after the run. `compare` refuses to judge time between two runs
// whose loads differ too much; the fields are part of the results schema.
#include <nlohmann/json.hpp>

namespace bnb::app {

/// Now: {"loadavg_1m", "loadavg_5m", "procs_running", "cpu_mhz"} from /proc/loadavg and the mean
/// "cpu MHz" of /proc/cpuinfo; each field only where readable.
nlohmann::json machine_load_sample();

/// machine.load of a results document: {"start": sample, "end": sample, "per_cpu": the larger
/// 1-minute load average of the two divided by the logical CPUs} (per_cpu only when known).
nlohmann::json machine_load(const nlohmann::json& start, const nlohmann::json& end);

}  // namespace bnb::app
