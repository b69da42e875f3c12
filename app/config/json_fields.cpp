#include "json_fields.hpp"

#include <cmath>
#include <fmt/format.h>

#include "bnb/errors.hpp"
#include "bnb/json_text.hpp"
#include "suggest.hpp"

namespace bnb::app {

std::string join_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index_path(std::string_view path, std::size_t index) { return fmt::format("{}[{}]", path, index); }

std::string describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::string: return fmt::format("the string {}", json_excerpt(value));
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return fmt::format("the number {}", value.dump());
    case Json::value_t::object: return "an object";
    case Json::value_t::array: {
      bool all_numbers = true;
      for (const auto& e : value) all_numbers = all_numbers && e.is_number();
      if (all_numbers) return fmt::format("{} number{}", value.size(), value.size() == 1 ? "" : "s");
      return fmt::format("a list of {} element{}", value.size(), value.size() == 1 ? "" : "s");
    }
    default: return "an unsupported value";
  }
}

void fail(std::string_view path, std::string_view message) {
  throw ConfigError(path.empty() ? std::string(message) : fmt::format("{}: {}", path, message));
}

Json parse_json_text(std::string_view text, std::string_view source) {
  try {
    return parse_json_strict(text);
  } catch (const JsonTextError& e) {
    if (!e.path.empty()) throw ConfigError(fmt::format("{}: {}: {}", source, e.path, e.what()));
    const std::size_t offset = std::min(e.byte, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw ConfigError(fmt::format("{}: invalid JSON at line {}, column {}: {}", source, line, column, e.what()));
  }
}

JsonObject::JsonObject(const Json& value, std::string path, const std::vector<std::string>& known)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) fail(path_, fmt::format("expected an object, got {}", describe(value_)));
  for (const auto& [key, unused] : value_.items()) {
    (void)unused;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      // The key comes from the file: a long one is cut in the path.
      constexpr std::size_t kMaxKeyChars = 60;
      const std::string shown = key.size() <= kMaxKeyChars ? key : key.substr(0, kMaxKeyChars) + "...";
      fail(join_path(path_, shown), fmt::format("unknown key{}", did_you_mean(key, known)));
    }
  }
}

const Json* JsonObject::find(std::string_view key) const {
  const auto it = value_.find(std::string(key));
  return it == value_.end() ? nullptr : &*it;
}

const Json& JsonObject::require(std::string_view key) const {
  const Json* v = find(key);
  if (!v) fail(path_of(key), "required key is missing");
  return *v;
}

std::optional<std::string> JsonObject::string(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  return as_string(*v, path_of(key));
}
std::optional<double> JsonObject::number(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  return as_number(*v, path_of(key));
}
std::optional<std::int64_t> JsonObject::integer(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  return as_integer(*v, path_of(key));
}
std::optional<bool> JsonObject::boolean(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  return as_boolean(*v, path_of(key));
}
std::string JsonObject::required_string(std::string_view key) const { return as_string(require(key), path_of(key)); }
std::int64_t JsonObject::required_integer(std::string_view key) const {
  return as_integer(require(key), path_of(key));
}

double as_number(const Json& value, std::string_view path) {
  if (!value.is_number()) fail(path, fmt::format("expected a number, got {}", describe(value)));
  const double d = value.get<double>();
  if (!std::isfinite(d)) fail(path, "expected a finite number");
  return d;
}

std::int64_t as_integer(const Json& value, std::string_view path) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) fail(path, fmt::format("{} is too large", u));
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  fail(path, fmt::format("expected an integer, got {}", describe(value)));
}

std::string as_string(const Json& value, std::string_view path) {
  if (!value.is_string()) fail(path, fmt::format("expected a string, got {}", describe(value)));
  return value.get<std::string>();
}

bool as_boolean(const Json& value, std::string_view path) {
  if (!value.is_boolean()) fail(path, fmt::format("expected true or false, got {}", describe(value)));
  return value.get<bool>();
}

std::string as_choice(const Json& value, std::string_view path, const std::vector<std::string>& choices) {
  const std::string s = as_string(value, path);
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  fail(path, fmt::format("unknown value {}{}; expected one of: {}", json_excerpt(value), did_you_mean(s, choices),
                         fmt::join(choices, ", ")));
}

}  // namespace bnb::app
