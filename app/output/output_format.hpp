#pragma once
// The output formats of `run` and `compare`: one registry of names and file extensions, so both
// commands accept the same names and pick a file's format by the same extension rules.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bnb::app {

enum class OutputFormat { table, json, csv, markdown };

/// The formats `compare` renders (a verdict has no CSV form); `run` renders all four.
inline constexpr OutputFormat kCompareFormats[] = {OutputFormat::table, OutputFormat::json, OutputFormat::markdown};
inline constexpr OutputFormat kRunFormats[] = {OutputFormat::table, OutputFormat::json, OutputFormat::csv,
                                               OutputFormat::markdown};

std::string_view output_format_name(OutputFormat f);

/// The format called `name` ("md" is markdown) among `supported`; nullopt otherwise.
std::optional<OutputFormat> parse_output_format(std::string_view name, std::span<const OutputFormat> supported);

/// "table, json, markdown": the names of `supported`, for help texts and messages.
std::string output_format_names(std::span<const OutputFormat> supported);
/// The same names as a list, for the command line's choice checks.
std::vector<std::string> output_format_choices(std::span<const OutputFormat> supported);

/// The format of a file written to `path`: the supported format its extension names (.txt
/// table, .json, .csv, .md or .markdown), else `fallback`.
OutputFormat output_format_for_file(std::string_view path, std::span<const OutputFormat> supported,
                                    OutputFormat fallback);

}  // namespace bnb::app
