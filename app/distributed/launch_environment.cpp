#include "launch_environment.hpp"

#include <cstdlib>
#include <string>

namespace bnb::app {

std::optional<int> launched_process_count() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const char* value = std::getenv(name);
    if (!value || !*value) continue;
    try {
      return std::stoi(value);
    } catch (const std::exception&) {
      return 1;  // set but unreadable: started by a launcher, count unknown
    }
  }
  return std::nullopt;
}

}  // namespace bnb::app
