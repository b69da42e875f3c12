// Fuzz target: the checkpoint (dump) loader behind `run --resume`, against the optimizers of the
// seed dumps (tests/fuzz/corpus/checkpoint, written by
// `bnb-bench run tests/fuzz/checkpoint_seeds.json --dump tests/fuzz/corpus/checkpoint`): 8-bit
// block-wise Adam with percentile clipping, 32-bit AdEMAMix (two moments in state1), tensor-wise
// 8-bit LAMB with max_unorm.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "bnb/checkpoint.hpp"
#include "clean_errors.hpp"

namespace {

struct Target {
  std::unique_ptr<bnb::Optimizer> opt;
  std::vector<std::vector<std::byte>> params;
};

Target make(const std::string& name, const bnb::ArgMap& args) {
  std::vector<bnb::ParamSpec> specs = {{"w", bnb::DType::f32, 4096}, {"b", bnb::DType::f16, 64}};
  Target t;
  t.opt = std::make_unique<bnb::Optimizer>(name, args, specs);
  for (const auto& s : specs) t.params.emplace_back(s.numel * (s.dtype == bnb::DType::f32 ? 4 : 2));
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target targets[] = {make("Adam8bit", {{"percentile_clipping", 95.0}}), make("AdEMAMix32bit", {}),
                             make("LAMB8bit", {})};
  std::vector<std::byte> image(size);
  if (size) std::memcpy(image.data(), data, size);
  bnb::fuzz::expect_clean_errors([&] {
    const bnb::SafetensorsFile f = bnb::SafetensorsFile::parse(std::move(image), "fuzz.safetensors");
    (void)f.metadata();
    for (auto& t : targets) {
      std::vector<void*> ptrs;
      for (auto& p : t.params) ptrs.push_back(p.data());
      bnb::fuzz::expect_clean_errors([&] { bnb::load_checkpoint(*t.opt, ptrs, f); });
    }
  });
  return 0;
}
