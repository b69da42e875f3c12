#include "suggest.hpp"

#include "bnb/arguments.hpp"

namespace bnb::app {

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = nearest_name(word, candidates);
  // Beyond half the word's length plus one the guess is noise, not a likely typo.
  return !best.empty() && edit_distance(word, best) <= word.size() / 2 + 1 ? best : std::string{};
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string guess = nearest(word, candidates);
  return guess.empty() ? std::string{} : " (did you mean \"" + guess + "\"?)";
}

}  // namespace bnb::app
