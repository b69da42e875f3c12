#include "results_reading.hpp"

#include <algorithm>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"

namespace bnb::app::compare_detail {

[[noreturn]] void data_fail(std::string_view doc, std::string_view path, std::string_view message) {
  throw DataError(fmt::format("{}: {}: {}", doc, path, message));
}

std::string type_of(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

const Json* find_path(const Json& root, std::string_view path) {
  const Json* node = &root;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key(path.substr(start, dot - start));
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    start = dot + 1;
  }
  return node;
}

std::string show(const Json* v) {
  if (v == nullptr) return "absent";
  const std::string s = json_excerpt(*v);
  return v->is_string() ? s.substr(1, s.size() - 2) : s;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace bnb::app::compare_detail
