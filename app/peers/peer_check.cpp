#include "peers/peer_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "bnb/errors.hpp"
#include "bnb/safetensors.hpp"
#include "json_fields.hpp"
#include "peers/peer_process.hpp"
#include "peers/peer_scratch.hpp"

namespace bnb::app {

bool has_peers(const Config& c) {
  return std::any_of(c.optimizers.begin(), c.optimizers.end(), [](const auto& e) { return e.peer.has_value(); });
}

void check_peers(const Config& c, const std::string& python_option) {
  if (!has_peers(c)) return;
  const PeerLauncher launcher = PeerLauncher::resolve(python_option);
  PeerScratch scratch;
  PeerProcess bridge(launcher, scratch.path() / "probe.stderr");
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : c.params) {
    params.push_back({{"name", p.name}, {"shape", p.shape}, {"dtype", tensor_dtype_name(tensor_dtype_of(p.dtype))}});
  }
  for (const auto& e : c.optimizers) {
    if (!e.peer) continue;
    nlohmann::json reply;
    try {
      reply = bridge.request({{"op", "probe"},
                              {"implementation", e.peer->implementation},
                              {"class", e.peer->class_name},
                              {"kwargs", e.peer->kwargs},
                              {"params", params},
                              {"threads", c.threads},
                              {"device", c.device == Device::cuda ? "cuda" : "cpu"}});
    } catch (const PeerCrash& crash) {
      fail(e.path, fmt::format("the peer bridge ({}) failed while checking this entry: {}{}", launcher.python,
                               crash.what(), bridge.stderr_tail()));
    }
    if (reply.value("ok", false)) continue;
    const std::string message = reply.value("error", std::string("(no message)"));
    if (reply.value("kind", std::string()) == "missing") {
      fail(join_path(e.path, "implementation"), fmt::format("{} (interpreter: {})", message, launcher.python));
    }
    fail(e.path, message);
  }
}

}  // namespace bnb::app
