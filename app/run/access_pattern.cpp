// AccessPattern's bookkeeping, kept out of roofline.cpp, which is built at -O3 for its loops
// (GCC 12 reports false string-overflow warnings there).
#include <string>

#include "roofline.hpp"

namespace bnb::app {

double AccessPattern::bytes_per_element() const {
  double b = static_cast<double>(grad_width);
  for (auto w : rmw_widths) b += 2.0 * static_cast<double>(w);
  if (block) b += 2.0 * static_cast<double>(per_block_bytes) / static_cast<double>(block);
  return b;
}

std::string AccessPattern::key() const {
  std::string k = "g" + std::to_string(grad_width) + ":rmw";
  for (auto w : rmw_widths) k += std::to_string(w) + ",";
  return k + ":blk" + std::to_string(per_block_bytes);
}

}  // namespace bnb::app
