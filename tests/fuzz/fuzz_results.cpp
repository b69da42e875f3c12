// Fuzz target: the results reader of `bnb-bench compare`: the document is compared with itself
// and with the seed baseline (tests/e2e/compare/base.json), and every verdict rendered.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "bnb/json_text.hpp"
#include "clean_errors.hpp"
#include "compare.hpp"

namespace {

nlohmann::json baseline() {
  std::ifstream in(BNB_FUZZ_BASELINE);
  std::stringstream text;
  text << in.rdbuf();
  return bnb::parse_json_strict(text.str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nlohmann::json base = baseline();
  bnb::fuzz::expect_clean_errors([&] {
    nlohmann::json doc;
    try {
      doc = bnb::parse_json_strict(bnb::fuzz::as_text(data, size));
    } catch (const bnb::JsonTextError&) {
      return;  // load_results turns this into a DataError naming the file
    }
    bnb::app::validate_results(doc, "fuzz.json");
    const nlohmann::json& candidate = doc;
    for (const nlohmann::json* other : {&candidate, &base}) {
      const auto v = bnb::app::compare_results(*other, doc, {}, "baseline", "candidate");
      for (auto f : {bnb::app::CompareFormat::table, bnb::app::CompareFormat::json, bnb::app::CompareFormat::markdown}) {
        (void)bnb::app::render_compare(v, f);
      }
    }
  });
  return 0;
}
