#include "floors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

#include "timing.hpp"

namespace bnb::app {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// "48K", "2048K", "32M" -> bytes (0 when unreadable).
std::size_t size_bytes(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return 0;
  std::size_t value = std::stoull(text);
  const char unit = text.back();
  if (unit == 'K') value <<= 10;
  if (unit == 'M') value <<= 20;
  if (unit == 'G') value <<= 30;
  return value;
}

/// CPUs in a list like "0", "0,64", "0-15,32-47".
int cpu_count(const std::string& list) {
  int count = 0;
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string part = list.substr(start, comma - start);
    const std::size_t dash = part.find('-');
    count += dash == std::string::npos ? 1 : std::stoi(part.substr(dash + 1)) - std::stoi(part.substr(0, dash)) + 1;
    start = comma + 1;
  }
  return count;
}

}  // namespace

std::string memory_level(std::size_t bytes, int threads) {
  std::map<int, std::size_t> capacity;  // level -> bytes the run's threads can keep there
  for (int index = 0; index < 8; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    const std::string level = read_line(dir + "level");
    if (level.empty()) break;
    if (read_line(dir + "type") == "Instruction") continue;
    // A cache of one core (shared at most with its SMT sibling) exists once per thread.
    const bool per_core = cpu_count(read_line(dir + "shared_cpu_list")) <= 2;
    const std::size_t size = size_bytes(read_line(dir + "size"));
    capacity[std::stoi(level)] = per_core ? size * static_cast<std::size_t>(std::max(threads, 1)) : size;
  }
  for (const auto& [level, bytes_there] : capacity) {
    if (bytes <= bytes_there) return "L" + std::to_string(level);
  }
  return "dram";
}

FloorSet::FloorSet(const std::vector<std::vector<FloorUse>>& uses, int threads, std::size_t max_elements) {
  std::map<std::pair<std::string, std::size_t>, std::size_t> index;  // (pattern, elements) -> probe
  for (const auto& entry_uses : uses) {
    auto& mine = uses_.emplace_back();
    for (const auto& u : entry_uses) {
      const std::size_t n = std::min(u.elements, max_elements);
      const auto [it, fresh] = index.emplace(std::pair(u.pattern.key(), n), probes_.size());
      if (fresh) {
        FloorProbe probe(u.pattern, n, threads);
        const std::string level = memory_level(probe.working_set_bytes(), threads);
        probes_.push_back(Probe{std::move(probe), level, 0, {}});
      }
      mine.emplace_back(it->second, u);
    }
  }
}

void FloorSet::sample_round(double sample_seconds) {
  for (auto& p : probes_) {
    if (p.passes == 0) {  // warm-up pass, which also sizes the samples
      const double ns = p.probe.sample_ns_per_element(1) * static_cast<double>(p.probe.elements());
      p.passes = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(sample_seconds * 1e9 / std::max(ns, 1.0))));
    }
    p.samples.push_back(p.probe.sample_ns_per_element(p.passes));
  }
}

EntryFloor FloorSet::floor_of(std::size_t entry) const {
  EntryFloor f;
  double total_ns = 0, total_elements = 0, most_bytes = -1;
  f.samples = INT64_MAX;
  for (const auto& [probe_index, use] : uses_[entry]) {
    const Probe& p = probes_[probe_index];
    f.samples = std::min<std::int64_t>(f.samples, static_cast<std::int64_t>(p.samples.size()));
    if (p.samples.empty()) continue;
    const TimeStats s = summarize(p.samples, p.passes, false);
    const auto n = static_cast<double>(use.elements);
    total_ns += s.min * n;
    total_elements += n;
    if (s.median > 0) f.spread = std::max(f.spread, s.iqr / s.median);
    const double bytes = use.pattern.bytes_per_element() * n;
    if (bytes > most_bytes) {
      most_bytes = bytes;
      f.memory_level = p.level;
    }
  }
  if (f.samples == INT64_MAX) f.samples = 0;
  f.ns_per_param = total_elements > 0 ? total_ns / total_elements : 0;
  return f;
}

}  // namespace bnb::app
