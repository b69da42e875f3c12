// Fuzz target: the config loader and validator (what `bnb-bench validate` runs on a file, short
// of reading a trace): parse_config, the optimizer checks, the memory estimate.
#include <cstddef>
#include <cstdint>

#include "clean_errors.hpp"
#include "config.hpp"
#include "memory_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bnb::fuzz::expect_clean_errors([&] {
    bnb::app::Config c = bnb::app::parse_config(bnb::fuzz::as_text(data, size), "fuzz.json", "/nonexistent");
    if (c.params.empty()) return;  // a replay: its parameters come from the trace (fuzz_trace)
    bnb::app::check_optimizers(c);
    (void)bnb::app::estimate_memory(c, 0);
  });
  return 0;
}
