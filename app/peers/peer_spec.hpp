#pragma once
// An optimizer entry run by another library through the peer bridge (docs/peers.md):
// {"implementation": "torch", "name": "AdamW", "fused": true, ...}. Every key besides
// implementation, name and label is a keyword argument of the library's class, checked by the
// library itself when the config is validated.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bnb::app {

struct OptimizerEntry;

/// "bnb-bench" (ours, the default), then the libraries the bridge knows; "python" is the
/// standard-library test peer of the protocol tests.
const std::vector<std::string>& implementation_names();

struct PeerSpec {
  std::string implementation;
  std::string class_name;
  nlohmann::json kwargs = nlohmann::json::object();
};

/// True when the entry names an implementation other than ours.
bool is_peer_entry(const nlohmann::json& entry, const std::string& path);

/// Parses a peer entry: its label defaults to "<implementation>.<name>". ConfigError naming the
/// JSON path for a missing name, a bad implementation or keys a peer cannot take (overrides).
OptimizerEntry parse_peer_entry(const nlohmann::json& entry, const std::string& path);

}  // namespace bnb::app
