#pragma once
// The files a command writes must not be the files it reads, nor each other: checked before any
// work, so `-o config.json` cannot overwrite the config and `-o out/x --dump out/x` cannot run
// for minutes and then fail.
#include <string>
#include <vector>

namespace bnb::app {

struct NamedPath {
  std::string role;  // "the config", "--output", "--dump file of adam-8", ...
  std::string path;
};

/// True when both name the same file, existing or not (symbolic links and "." resolved).
bool same_path(const std::string& a, const std::string& b);

/// ConfigError naming both roles when an output is an input or two outputs are the same file.
void check_no_collisions(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

}  // namespace bnb::app
