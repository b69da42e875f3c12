// Fuzz target: the trace loader (replay workloads). Every gradient of every step of an accepted
// trace must lie inside the file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bnb/trace.hpp"
#include "clean_errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> image(size);
  if (size) std::memcpy(image.data(), data, size);
  bnb::fuzz::expect_clean_errors([&] {
    const bnb::Trace trace = bnb::make_trace(bnb::SafetensorsFile::parse(std::move(image), "fuzz.safetensors"));
    volatile std::byte sink{};
    for (const auto& p : trace.params) {
      if (!p.init.empty()) sink = p.init.back();
      for (std::int64_t s = 0; s < trace.steps; ++s) {
        const auto g = p.grad(s);
        if (!g.empty()) sink = g.front() ^ g.back();
      }
    }
    (void)sink;
  });
  return 0;
}
