#pragma once
// Strict reading of JSON config objects: every key must be known (an unknown key is an error
// with a suggestion), every value must have the expected type, and every message starts with
// the JSON path of the offending value (`optimizers[2].betas: expected 2 numbers, got 3`).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bnb::app {

using Json = nlohmann::json;

/// "optimizers[2]" + "betas" -> "optimizers[2].betas"; "" + "seed" -> "seed".
std::string join_path(std::string_view path, std::string_view key);
std::string index_path(std::string_view path, std::size_t index);

/// "a string", "3 numbers", "an object", ... — what was found, for messages.
std::string describe(const Json& value);

/// Throws ConfigError("<path>: <message>").
[[noreturn]] void fail(std::string_view path, std::string_view message);

/// Parses JSON text; invalid JSON throws ConfigError naming `source`, the line and the column.
Json parse_json_text(std::string_view text, std::string_view source);

class JsonObject {
 public:
  /// `value` must be an object whose keys are all in `known` (else ConfigError with suggestion).
  JsonObject(const Json& value, std::string path, const std::vector<std::string>& known);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join_path(path_, key); }
  const Json* find(std::string_view key) const;
  const Json& require(std::string_view key) const;

  std::optional<std::string> string(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;

  std::string required_string(std::string_view key) const;
  std::int64_t required_integer(std::string_view key) const;

 private:
  const Json& value_;
  std::string path_;
};

/// Value checks with the path in the message.
double as_number(const Json& value, std::string_view path);
std::int64_t as_integer(const Json& value, std::string_view path);
std::string as_string(const Json& value, std::string_view path);
bool as_boolean(const Json& value, std::string_view path);
/// One of `choices`, else ConfigError listing them (with a suggestion).
std::string as_choice(const Json& value, std::string_view path, const std::vector<std::string>& choices);

}  // namespace bnb::app
