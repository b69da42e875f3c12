#include "output_paths.hpp"

#include <filesystem>
#include <fmt/format.h>

#include "bnb/errors.hpp"

namespace bnb::app {
namespace {

std::filesystem::path resolved(const std::string& p) {
  std::error_code ec;
  std::filesystem::path r = std::filesystem::weakly_canonical(p, ec);
  if (ec) r = std::filesystem::absolute(p, ec).lexically_normal();
  return r;
}

}  // namespace

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::equivalent(a, b, ec)) return true;  // both exist (hard links too)
  return resolved(a) == resolved(b);
}

void check_no_collisions(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (const auto& in : inputs) {
      if (same_path(outputs[i].path, in.path)) {
        throw ConfigError(fmt::format("{}: {} is {}; refusing to overwrite it", outputs[i].role, outputs[i].path, in.role));
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (same_path(outputs[i].path, outputs[j].path)) {
        throw ConfigError(fmt::format("{}: {} is also {}; give them different paths", outputs[i].role, outputs[i].path,
                                      outputs[j].role));
      }
    }
  }
}

}  // namespace bnb::app
