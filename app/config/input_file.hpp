#pragma once
// Reading the text files the tool is given (configs, results files). Only regular files are
// read: a directory is an I/O error and a FIFO or device is refused at once instead of blocking
// the tool; a file too large to hold is refused instead of failing inside an allocation.
#include <filesystem>
#include <string>
#include <string_view>

namespace bnb::app {

/// The whole file. IoError naming the file and `what` ("config file", "results file") when it
/// cannot be opened, is not a regular file, is larger than the text files this tool reads
/// (256 MiB) or cannot be read.
std::string read_input_file(const std::filesystem::path& file, std::string_view what);

}  // namespace bnb::app
