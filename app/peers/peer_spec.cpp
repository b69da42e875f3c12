#include "peers/peer_spec.hpp"

#include <fmt/format.h>

#include "config.hpp"
#include "json_fields.hpp"

namespace bnb::app {

const std::vector<std::string>& implementation_names() {
  static const std::vector<std::string> names = {"bnb-bench", "torch", "bitsandbytes", "torchao", "deepspeed",
                                                 "python"};
  return names;
}

bool is_peer_entry(const nlohmann::json& entry, const std::string& path) {
  const auto it = entry.find("implementation");
  if (it == entry.end()) return false;
  return as_choice(*it, join_path(path, "implementation"), implementation_names()) != "bnb-bench";
}

OptimizerEntry parse_peer_entry(const nlohmann::json& entry, const std::string& path) {
  PeerSpec spec;
  spec.implementation = as_string(entry.at("implementation"), join_path(path, "implementation"));
  const auto name = entry.find("name");
  if (name == entry.end()) fail(join_path(path, "name"), fmt::format("required key is missing (the {} class)", spec.implementation));
  spec.class_name = as_string(*name, join_path(path, "name"));
  if (spec.class_name.empty()) fail(join_path(path, "name"), "must not be empty");

  OptimizerEntry e;
  e.name = spec.class_name;
  e.path = path;
  e.label = spec.implementation + "." + spec.class_name;
  for (const auto& [key, value] : entry.items()) {
    if (key == "implementation" || key == "name") continue;
    if (key == "label") {
      e.label = as_string(value, join_path(path, key));
    } else if (key == "overrides") {
      fail(join_path(path, key), fmt::format("per-parameter overrides are bnb-bench's; a {} entry takes the class's "
                                             "keyword arguments only", spec.implementation));
    } else {
      spec.kwargs[key] = value;
    }
  }
  e.peer = std::move(spec);
  return e;
}

}  // namespace bnb::app
