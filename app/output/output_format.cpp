#include "output_format.hpp"

#include <algorithm>
#include <array>
#include <filesystem>

namespace bnb::app {
namespace {

struct FormatSpec {
  OutputFormat format;
  std::string_view name;
  std::string_view alias;                    // "" when none
  std::array<std::string_view, 2> extensions;  // "" entries unused
};

constexpr FormatSpec kFormats[] = {
    {OutputFormat::table, "table", "", {".txt", ""}},
    {OutputFormat::json, "json", "", {".json", ""}},
    {OutputFormat::csv, "csv", "", {".csv", ""}},
    {OutputFormat::markdown, "markdown", "md", {".md", ".markdown"}},
};

bool is_supported(OutputFormat f, std::span<const OutputFormat> supported) {
  return std::find(supported.begin(), supported.end(), f) != supported.end();
}

}  // namespace

std::string_view output_format_name(OutputFormat f) {
  for (const FormatSpec& s : kFormats) {
    if (s.format == f) return s.name;
  }
  return "table";
}

std::optional<OutputFormat> parse_output_format(std::string_view name, std::span<const OutputFormat> supported) {
  for (const FormatSpec& s : kFormats) {
    if ((name == s.name || (!s.alias.empty() && name == s.alias)) && is_supported(s.format, supported)) return s.format;
  }
  return std::nullopt;
}

std::string output_format_names(std::span<const OutputFormat> supported) {
  std::string text;
  for (OutputFormat f : supported) text += (text.empty() ? "" : ", ") + std::string(output_format_name(f));
  return text;
}

std::vector<std::string> output_format_choices(std::span<const OutputFormat> supported) {
  std::vector<std::string> names;
  for (OutputFormat f : supported) names.emplace_back(output_format_name(f));
  return names;
}

OutputFormat output_format_for_file(std::string_view path, std::span<const OutputFormat> supported,
                                    OutputFormat fallback) {
  const std::string ext = std::filesystem::path(path).extension().string();
  for (const FormatSpec& s : kFormats) {
    const bool named = std::find(s.extensions.begin(), s.extensions.end(), ext) != s.extensions.end();
    if (!ext.empty() && named && is_supported(s.format, supported)) return s.format;
  }
  return fallback;
}

}  // namespace bnb::app
