#pragma once
// Strict reading of untrusted JSON text (configs, results files, tensor file headers) and bounded
// echoing of its values in messages. Every reader of such text goes through here, so no input can
// make the tool recurse without bound (deep nesting), accept a value twice (duplicate keys) or
// print megabytes back at the user.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace bnb {

/// Deeper nesting is refused: no file this project reads needs more than 6 levels, and every
/// recursive operation on a parsed value (copy, ==, dump) stays far from the stack limit.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// Why a JSON text was refused. `byte` is the 0-based offset of the offending byte for syntax
/// errors (and numbers that do not fit a double); `path` is the JSON path ("optimizers[0].lr")
/// for duplicate keys and too deep nesting, where the path says more than an offset.
struct JsonTextError : std::runtime_error {
  JsonTextError(const std::string& message, std::size_t byte_offset, std::string json_path)
      : std::runtime_error(message), byte(byte_offset), path(std::move(json_path)) {}
  std::size_t byte;
  std::string path;
};

/// Parses `text` as one JSON value, refusing syntax errors, numbers outside the double range,
/// duplicate keys in an object and nesting deeper than kMaxJsonDepth. Throws JsonTextError.
nlohmann::json parse_json_strict(std::string_view text);

/// A value rendered for a message, at most about `max_chars` characters: long strings and
/// containers are cut ("..."), nesting beyond a few levels is shown as [...] / {...}.
std::string json_excerpt(const nlohmann::json& value, std::size_t max_chars = 60);

}  // namespace bnb
