#include "machine_load.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace bnb::app {

nlohmann::json machine_load_sample() {
  nlohmann::json s = nlohmann::json::object();
  std::ifstream loadavg("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  std::string running;  // "running/total"
  if (loadavg >> one >> five >> fifteen >> running) {
    s["loadavg_1m"] = one;
    s["loadavg_5m"] = five;
    if (const auto slash = running.find('/'); slash != std::string::npos) {
      s["procs_running"] = std::stoi(running.substr(0, slash));
    }
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  double mhz_sum = 0;
  int cpus = 0;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream value(line.substr(colon + 1));
    double mhz = 0;
    if (value >> mhz) {
      mhz_sum += mhz;
      ++cpus;
    }
  }
  if (cpus > 0) s["cpu_mhz"] = mhz_sum / cpus;
  return s;
}

nlohmann::json machine_load(const nlohmann::json& start, const nlohmann::json& end) {
  nlohmann::json load = {{"start", start}, {"end", end}};
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  if (start.contains("loadavg_1m") && end.contains("loadavg_1m")) {
    load["per_cpu"] = std::max(start["loadavg_1m"].get<double>(), end["loadavg_1m"].get<double>()) / cpus;
  }
  return load;
}

}  // namespace bnb::app
