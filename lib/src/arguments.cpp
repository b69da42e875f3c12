// Text form of argument values and the nearest-name search behind "did you mean" messages.
#include "bnb/arguments.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <numeric>
#include <type_traits>

namespace bnb {
namespace {

std::string number_text(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);  // shortest round trip
  return std::string(buffer, result.ptr);
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::string to_string(const ArgValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "none";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return number_text(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else {
          std::string text = "[";
          for (std::size_t i = 0; i < x.size(); ++i) {
            if (i > 0) text += ", ";
            text += number_text(x[i]);
          }
          return text + "]";
        }
      },
      v);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the classic dynamic programme: row[j] = distance(a[0..i), b[0..j)).
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates) {
  // A name this long is no typo of a short one, and the distance costs its length times theirs.
  constexpr std::size_t kMaxGuessLength = 64;
  if (name.size() > kMaxGuessLength) return {};
  std::string best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(name, candidate);
    if (best.empty() || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

double number_or(const ArgMap& args, const std::string& key, double fallback) {
  const auto it = args.find(key);
  if (it == args.end()) return fallback;
  const auto* x = std::get_if<double>(&it->second);
  return x ? *x : fallback;
}

bool bool_or(const ArgMap& args, const std::string& key, bool fallback) {
  const auto it = args.find(key);
  if (it == args.end()) return fallback;
  const auto* x = std::get_if<bool>(&it->second);
  return x ? *x : fallback;
}

std::string string_or(const ArgMap& args, const std::string& key, const std::string& fallback) {
  const auto it = args.find(key);
  if (it == args.end()) return fallback;
  const auto* x = std::get_if<std::string>(&it->second);
  return x ? *x : fallback;
}

std::vector<double> betas_or_empty(const ArgMap& args) {
  const auto it = args.find("betas");
  if (it == args.end()) return {};
  const auto* list = std::get_if<std::vector<double>>(&it->second);
  return list ? *list : std::vector<double>{};
}

}  // namespace bnb
