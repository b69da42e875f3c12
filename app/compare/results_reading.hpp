#pragma once
// Reading the fields of a results document for `compare`: typed readings that tell absent,
// non-finite and finite numbers apart, and the DataError of a malformed field (naming the
// document and the path). Shared by the comparison rules, the time statistics and the file check.
#include <fmt/core.h>

#include <cmath>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace bnb::app::compare_detail {

using Json = nlohmann::json;

/// A number read from a results document: absent (not recorded), null (a NaN or Inf written by the
/// JSON library as null), or a finite number.
struct Reading {
  enum Kind { absent, nonfinite, number } kind = absent;
  double value = 0;
};

[[noreturn]] void data_fail(std::string_view doc, std::string_view path, std::string_view message);

/// "null", "a number", ...: a JSON value's type in messages.
std::string type_of(const Json& v);

/// The value at a '.'-separated path below `root` (nullptr when any part is absent or null).
const Json* find_path(const Json& root, std::string_view path);

/// A recorded value for a message, bounded: the documents are untrusted input.
std::string show(const Json* v);

double median_of(std::vector<double> v);



class EntryReader {
 public:
  EntryReader(const Json& entry, std::string doc, std::size_t index)
      : entry_(entry), doc_(std::move(doc)), prefix_(fmt::format("entries[{}]", index)) {}

  const Json& json() const { return entry_; }

  Reading number(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    if (v == nullptr) return {};
    if (v->is_null()) return {Reading::nonfinite, 0};
    if (!v->is_number()) data_fail(doc_, fmt::format("{}.{}", prefix_, path), "expected a number, got " + type_of(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d)) return {Reading::nonfinite, 0};
    return {Reading::number, d};
  }

  /// An object-valued field: nullptr when absent or null, DataError when of another type.
  const Json* object(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) data_fail(doc_, fmt::format("{}.{}", prefix_, path), "expected an object, got " + type_of(*v));
    return v;
  }

  std::vector<double> samples(std::string_view path) const {
    const Json* v = find_path(entry_, path);
    std::vector<double> out;
    if (v == nullptr || v->is_null()) return out;
    const std::string where = fmt::format("{}.{}", prefix_, path);
    if (!v->is_array()) data_fail(doc_, where, "expected an array of numbers, got " + type_of(*v));
    for (std::size_t i = 0; i < v->size(); ++i) {
      const Json& s = (*v)[i];
      if (!s.is_number()) data_fail(doc_, fmt::format("{}[{}]", where, i), "expected a number, got " + type_of(s));
      const double d = s.get<double>();
      if (std::isfinite(d)) out.push_back(d);
    }
    return out;
  }

 private:
  const Json& entry_;
  std::string doc_;
  std::string prefix_;
};

}  // namespace bnb::app::compare_detail
