#include "bnb/glob.hpp"

namespace bnb {
namespace {

/// Matches the class starting at pattern[p] == '['; sets `end` past the closing ']'. A '[' with
/// no closing bracket is an ordinary character.
bool match_class(std::string_view pattern, std::size_t p, char c, std::size_t& end, bool& is_class) {
  std::size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  for (; i < pattern.size() && (first || pattern[i] != ']'); ++i, first = false) {
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      if (pattern[i] <= c && c <= pattern[i + 2]) matched = true;
      i += 2;
    } else if (pattern[i] == c) {
      matched = true;
    }
  }
  if (i >= pattern.size()) {
    is_class = false;
    return false;
  }
  is_class = true;
  end = i + 1;
  return matched != negate;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
  if (pattern == name) return true;  // an exact name matches even when it contains [ * ?
  // Iterative matcher with one backtrack point for the last '*' (linear in practice).
  std::size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_n = n;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pattern[p] == '[') {
        std::size_t end = 0;
        bool is_class = false;
        const bool ok = match_class(pattern, p, name[n], end, is_class);
        if (is_class && ok) {
          p = end;
          ++n;
          continue;
        }
        if (!is_class && name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (pattern[p] == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace bnb
