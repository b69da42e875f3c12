#include "gates_json.hpp"

namespace bnb::app {
namespace {

void put(nlohmann::json& j, const char* key, const std::optional<double>& v) {
  if (v) j[key] = *v;
}

}  // namespace

nlohmann::json gates_json(const GatesConfig& g) {
  nlohmann::json j = nlohmann::json::object();
  put(j, "max_ns_per_param_step", g.max_ns_per_param_step);
  put(j, "max_rel_travel", g.max_rel_travel);
  put(j, "max_rel_l2", g.max_rel_l2);
  put(j, "max_step_lr", g.max_step_lr);
  put(j, "max_state_bytes_per_param", g.max_state_bytes_per_param);
  j["allow_nonfinite"] = g.allow_nonfinite;
  if (!g.extra.per_label.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& l : g.extra.per_label) {
      nlohmann::json o = {{"labels", l.labels}};
      put(o, "max_ns_per_param_step", l.max_ns_per_param_step);
      put(o, "max_rel_travel", l.max_rel_travel);
      put(o, "max_rel_l2", l.max_rel_l2);
      put(o, "max_step_lr", l.max_step_lr);
      put(o, "max_state_bytes_per_param", l.max_state_bytes_per_param);
      if (l.allow_nonfinite) o["allow_nonfinite"] = *l.allow_nonfinite;
      list.push_back(o);
    }
    j["per_label"] = list;
  }
  if (!g.extra.relative_speed.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : g.extra.relative_speed) {
      list.push_back({{"entry", s.entry}, {"baseline", s.baseline}, {"max_ratio", s.max_ratio}, {"noise", s.noise}});
    }
    j["relative_speed"] = list;
  }
  return j;
}

}  // namespace bnb::app
