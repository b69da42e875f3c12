#pragma once
// "Did you mean ...?" for misspelled keys and names: the candidate at the smallest edit distance.
#include <string>
#include <string_view>
#include <vector>

namespace bnb::app {

/// The candidate nearest to `word` (bnb::nearest_name: case-insensitive edit distance), or "" when none is plausibly meant (distance greater than
/// half the word's length plus one).
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean \"x\"?)" or "" — ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace bnb::app
