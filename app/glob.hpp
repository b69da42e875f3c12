#pragma once
// Parameter-name patterns of per-parameter overrides (SPEC.md §8): an exact name or a glob with
// `*` (any run), `?` (one character) and `[...]` (a character class, `!` or `^` negates).
#include <string_view>

namespace bnb::app {

bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace bnb::app
