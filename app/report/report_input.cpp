#include "report_input.hpp"

#include <algorithm>

namespace bnb::app::report {

std::vector<std::string> ReportInput::labels() const {
  std::vector<std::string> out;
  for (const auto& run : runs) {
    for (const auto& e : run.result.entries) {
      if (std::find(out.begin(), out.end(), e.label) == out.end()) out.push_back(e.label);
    }
  }
  return out;
}

std::size_t ReportInput::label_index(const std::string& label) const {
  const auto all = labels();
  return static_cast<std::size_t>(std::find(all.begin(), all.end(), label) - all.begin());
}

}  // namespace bnb::app::report
