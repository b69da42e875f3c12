// Fuzz target: the safetensors reader. Whatever it accepts must be safe to read in full.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bnb/safetensors.hpp"
#include "clean_errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> image(size);
  if (size) std::memcpy(image.data(), data, size);
  bnb::fuzz::expect_clean_errors([&] {
    const bnb::SafetensorsFile f = bnb::SafetensorsFile::parse(std::move(image), "fuzz.safetensors");
    for (const auto& t : f.tensors()) {
      if (t.data.size() != bnb::element_count(t.shape) * bnb::tensor_dtype_size(t.dtype)) __builtin_trap();
      if (bnb::param_dtype_of(t.dtype)) (void)bnb::to_f32_values(t);
    }
  });
  return 0;
}
