#pragma once
// Escaping of text placed in HTML or SVG (element content and double-quoted attribute values).
#include <string>
#include <string_view>

namespace bnb::app::report {

/// & < > " ' replaced by their character references.
std::string escape_markup(std::string_view text);

}  // namespace bnb::app::report
