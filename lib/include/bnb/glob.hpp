#pragma once
// Name patterns (SPEC.md §8): an exact name or a glob with `*` (any run), `?` (one character)
// and `[...]` (a character class, `!` or `^` negates; a `[` without `]` is itself). The one
// matcher of the project: per-parameter overrides in the library and in the CLI's checks, and
// the CLI's gate label patterns.
#include <string_view>

namespace bnb {

bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace bnb
