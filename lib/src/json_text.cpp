#include "bnb/json_text.hpp"

#include <set>
#include <vector>

namespace bnb {
namespace {

using Json = nlohmann::json;

/// Builds the document from nlohmann's SAX events, tracking the JSON path so that a refusal can
/// name where it happened. Returning false stops the parser at once.
class StrictBuilder {
 public:
  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return put(Json(v)); }
  bool string(Json::string_t& v) { return put(Json(std::move(v))); }
  bool binary(Json::binary_t&) { return refuse("binary values are not JSON", 0); }

  bool start_object(std::size_t) { return open(Json::object(), false); }
  bool start_array(std::size_t) { return open(Json::array(), true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(Json::string_t& k) {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) {
      f.key = k;
      return refuse("duplicate key " + json_excerpt(Json(k)) + " (a key may appear only once in an object)", 0);
    }
    f.key = std::move(k);
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception& e) {
    // Keep nlohmann's explanation, drop its "[json.exception.x.n] " and "parse error at ...: "
    // prefixes: the caller says where, in its own terms.
    std::string what = e.what();
    if (const auto bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
    if (what.rfind("parse error", 0) == 0) {
      if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    }
    error_ = what;
    byte_ = position == 0 ? 0 : position - 1;
    return false;
  }

  Json take() { return std::move(root_); }
  [[noreturn]] void raise() const { throw JsonTextError(error_, byte_, path_); }

 private:
  struct Frame {
    Json* value;
    bool array;
    std::size_t count = 0;
    std::string key;
    std::set<std::string> keys;
  };

  /// The path of the value being read: "optimizers[0].lr".
  std::string current_path() const {
    std::string p;
    for (const auto& f : frames_) {
      if (f.array) {
        p += "[" + std::to_string(f.count == 0 ? 0 : f.count - 1) + "]";
      } else {
        p += (p.empty() ? "" : ".") + f.key;
      }
    }
    return p;
  }

  bool refuse(std::string message, std::size_t byte) {
    error_ = std::move(message);
    byte_ = byte;
    // A path through 64 levels of long keys is itself untrusted text: keep it short.
    constexpr std::size_t kMaxPathChars = 200;
    path_ = current_path();
    if (path_.size() > kMaxPathChars) path_ = path_.substr(0, kMaxPathChars) + "...";
    return false;
  }

  /// Places `v` where the parser stands and returns it.
  Json* place(Json&& v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.array) {
      ++f.count;
      f.value->push_back(std::move(v));
      return &f.value->back();
    }
    Json& slot = (*f.value)[f.key];
    slot = std::move(v);
    return &slot;
  }

  bool put(Json&& v) {
    place(std::move(v));
    return true;
  }

  bool open(Json&& container, bool array) {
    Json* v = place(std::move(container));
    if (frames_.size() >= kMaxJsonDepth) {
      return refuse("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", 0);
    }
    frames_.push_back(Frame{v, array, 0, {}, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Frame> frames_;
  std::string error_;
  std::size_t byte_ = 0;
  std::string path_;
};

void append_excerpt(const Json& v, std::size_t depth, std::size_t budget, std::string& out) {
  constexpr std::size_t kMaxExcerptDepth = 4;
  if (out.size() > budget) return;
  switch (v.type()) {
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      const std::size_t room = budget - out.size() + 1;
      if (s.size() <= room) {
        out += Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
      } else {
        std::string cut = Json(s.substr(0, room)).dump(-1, ' ', false, Json::error_handler_t::replace);
        cut.pop_back();  // the closing quote: the string goes on
        out += cut + "...\"";
      }
      return;
    }
    case Json::value_t::array:
    case Json::value_t::object: {
      const bool array = v.is_array();
      if (depth >= kMaxExcerptDepth && !v.empty()) {
        out += array ? "[...]" : "{...}";
        return;
      }
      out += array ? '[' : '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (out.size() > budget) {
          out += ", ...";
          break;
        }
        if (!first) out += ", ";
        first = false;
        if (!array) {
          append_excerpt(Json(it.key()), depth + 1, budget, out);
          out += ": ";
        }
        append_excerpt(*it, depth + 1, budget, out);
      }
      out += array ? ']' : '}';
      return;
    }
    default: out += v.dump(); return;
  }
}

}  // namespace

Json parse_json_strict(std::string_view text) {
  StrictBuilder builder;
  const bool ok = Json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok) builder.raise();
  return builder.take();
}

std::string json_excerpt(const Json& value, std::size_t max_chars) {
  std::string out;
  append_excerpt(value, 0, max_chars, out);
  return out;
}

}  // namespace bnb
