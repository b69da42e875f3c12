#include "machine.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "bnb/array_memory.hpp"
#include "bnb/kernels/cpu_variant.hpp"
#include "bnb/kernels/qmap_bits.hpp"
#include "bnb/kernels/quant_table.hpp"
#include "bnb/kernels/simd/cpu_codec.hpp"
#include "roofline.hpp"

namespace bnb::app {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The value of "key : value" lines (/proc/cpuinfo) or "Key: value kB" (/proc/meminfo).
std::string field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    const auto start = value.find_first_not_of(" \t");
    return start == std::string::npos ? std::string{} : value.substr(start);
  }
  return {};
}

/// A field that is a whole number, or nothing (absent, or not a number on this platform).
std::optional<int> int_field(const std::string& path, const std::string& key) {
  const std::string v = field(path, key);
  int value = 0;
  const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (v.empty() || error != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  return value;
}

std::size_t kib_field(const std::string& path, const std::string& key) {
  const std::string v = field(path, key);
  return v.empty() ? 0 : static_cast<std::size_t>(std::stoull(v)) * 1024;
}

}  // namespace

nlohmann::json machine_context(int threads, std::size_t bandwidth_elements) {
  nlohmann::json m;
  std::string model = field("/proc/cpuinfo", "model name");
  m["cpu_model"] = model.empty() ? "unknown" : model;
  // A guest's model name can be generic ("Intel(R) Xeon(R) Processor"); vendor, family and model
  // number still tell the CPU kinds apart (performance figures are per kind).
  if (const std::string vendor = field("/proc/cpuinfo", "vendor_id"); !vendor.empty()) m["cpu_vendor"] = vendor;
  if (const auto family = int_field("/proc/cpuinfo", "cpu family")) m["cpu_family"] = *family;
  if (const auto number = int_field("/proc/cpuinfo", "model\t")) m["cpu_model_number"] = *number;
  m["logical_cpus"] = std::thread::hardware_concurrency();
  if (const std::string cores = field("/proc/cpuinfo", "cpu cores"); !cores.empty()) {
    m["cores_per_socket"] = std::stoi(cores);
  }
  m["threads"] = threads;
  // isa_variant is what the library picked for this run (BNB_CPU_VARIANT can force a lower
  // one): the candidate's behaviour. isa_supported is the machine's: part of its context.
  try {
    m["isa_variant"] = std::string(kernels::variant_name(kernels::active_variant()));
  } catch (const std::exception& e) {
    m["isa_variant"] = std::string("unavailable: ") + e.what();
  }
  // cpu_encoder: the 8-bit encoder the built-in maps get in this run (BNB_CPU_ENCODER can force
  // one; by CPU kind otherwise), a speed choice like isa_variant: every encoder gives the same codes.
  try {
    const kernels::QuantTable signed_map = kernels::make_quant_table(kernels::kSignedMapBits, true);
    m["cpu_encoder"] = std::string(kernels::encoder_name(kernels::prepare_cpu_codec(signed_map)->encoder_kind()));
  } catch (const std::exception& e) {
    m["cpu_encoder"] = std::string("unavailable: ") + e.what();
  }
  // bf16_instructions: whether this run's bf16 tensors convert with AVX512_BF16's instructions
  // (the AVX-512 variants on a CPU that has them, unless BNB_CPU_BF16=0): the same bits, a speed choice.
  try {
    m["bf16_instructions"] = kernels::bf16_instructions_in_use();
  } catch (const std::exception& e) {
    m["bf16_instructions"] = std::string("unavailable: ") + e.what();
  }
  // huge_pages: whether this run's tensor-sized arrays asked for transparent huge pages
  // (array_memory.hpp; BNB_HUGE_PAGES=0 turns that off) and the kernel's THP mode, which decides
  // what asking gets: a speed setting, like isa_variant (results/perf/round14/README.md).
  nlohmann::json huge_pages{{"requested", huge_pages_enabled()}};
  const std::string thp = read_first_line("/sys/kernel/mm/transparent_hugepage/enabled");
  if (const auto open = thp.find('['), close = thp.find(']'); open != std::string::npos && close > open) {
    huge_pages["thp_mode"] = thp.substr(open + 1, close - open - 1);
  }
  m["huge_pages"] = huge_pages;
  nlohmann::json supported = nlohmann::json::array();
  for (const kernels::CpuVariant v : kernels::supported_variants()) supported.push_back(std::string(kernels::variant_name(v)));
  m["isa_supported"] = supported;
  if (const std::string khz = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); !khz.empty()) {
    m["cpu_max_mhz"] = std::stoll(khz) / 1000;
  }
  nlohmann::json caches = nlohmann::json::array();
  for (int index = 0; index < 8; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    const std::string level = read_first_line(dir + "level");
    if (level.empty()) break;
    caches.push_back({{"level", std::stoi(level)},
                      {"type", read_first_line(dir + "type")},
                      {"size", read_first_line(dir + "size")},
                      {"shared_cpu_list", read_first_line(dir + "shared_cpu_list")}});
  }
  m["caches"] = caches;
  m["memory_total_bytes"] = kib_field("/proc/meminfo", "MemTotal");
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m["hostname"] = host;
  if (bandwidth_elements > 0) {
    m["memory_bandwidth_bytes_per_s"] = measure_bandwidth(threads, bandwidth_elements);
    m["memory_bandwidth_method"] =
        "32-bit Adam access pattern (fp32 gradient read, parameter and two state arrays read-modify-write, 28 B "
        "per element) over " + std::to_string(bandwidth_elements) + " elements, best of 3";
  }
  return m;
}

std::size_t available_memory_bytes() { return kib_field("/proc/meminfo", "MemAvailable"); }

std::size_t peak_rss_bytes() {
  const std::size_t hwm = kib_field("/proc/self/status", "VmHWM");
  if (hwm) return hwm;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

}  // namespace bnb::app
