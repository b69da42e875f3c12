// Loading and checking a results document for `compare` (DESIGN.md §3.2, schema version 1).
#include <fmt/core.h>

#include <set>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"
#include "compare.hpp"
#include "input_file.hpp"
#include "results_reading.hpp"

namespace bnb::app {

using compare_detail::data_fail;
using compare_detail::Json;
using compare_detail::type_of;

void validate_results(const Json& doc, std::string_view name) {
  if (!doc.is_object()) data_fail(name, "(document)", "expected a results object, got " + type_of(doc));
  const auto sv = doc.find("schema_version");
  if (sv == doc.end()) data_fail(name, "schema_version", "missing: not a bnb-bench results document");
  if (!sv->is_number_integer()) data_fail(name, "schema_version", "expected an integer, got " + type_of(*sv));
  if (sv->get<std::int64_t>() != 1) {
    data_fail(name, "schema_version", fmt::format("unsupported version {} (this tool reads version 1)", json_excerpt(*sv)));
  }
  const auto entries = doc.find("entries");
  if (entries == doc.end()) data_fail(name, "entries", "missing");
  if (!entries->is_array()) data_fail(name, "entries", "expected an array, got " + type_of(*entries));
  std::set<std::string> labels;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& e = (*entries)[i];
    const std::string path = fmt::format("entries[{}]", i);
    if (!e.is_object()) data_fail(name, path, "expected an object, got " + type_of(e));
    const auto label = e.find("label");
    if (label == e.end() || !label->is_string()) data_fail(name, path + ".label", "expected a string");
    if (!labels.insert(label->get<std::string>()).second) {
      data_fail(name, path + ".label", fmt::format("duplicate label {}", json_excerpt(*label)));
    }
  }
  for (const char* section : {"machine", "tool", "run"}) {
    const auto s = doc.find(section);
    if (s != doc.end() && !s->is_object() && !s->is_null()) {
      data_fail(name, section, "expected an object, got " + type_of(*s));
    }
  }
}

Json load_results(const std::filesystem::path& file) {
  const std::string text = read_input_file(file, "results file");
  Json doc;
  try {
    doc = parse_json_strict(text);
  } catch (const JsonTextError& e) {
    if (!e.path.empty()) data_fail(file.string(), e.path, e.what());
    throw DataError(fmt::format("{}: not valid JSON at byte {}: {}", file.string(), e.byte, e.what()));
  }
  validate_results(doc, file.string());
  return doc;
}

}  // namespace bnb::app
