#pragma once
// Which speed verdict judges one entry (docs/compare.md, "Which speed verdict is used when"): the
// raw step times when the machine contexts match and the loads and spreads allow it, otherwise
// the roofline fraction where both runs record it, otherwise none — with the reason in the note.
#include <string>

#include "compare.hpp"
#include "results_reading.hpp"

namespace bnb::app {

/// What compare_results knows about time before it looks at an entry.
struct TimeSetting {
  bool wanted = true;       // --metrics includes time
  bool raw_allowed = true;  // the machine contexts match, or --force-time
  bool forced = false;      // --force-time: raw times are judged whatever the loads and spreads
  std::string load_why;     // non-empty: the runs' loads make raw times not comparable
};

TimeVerdict judge_entry_speed(const compare_detail::EntryReader& baseline, const compare_detail::EntryReader& candidate,
                              const TimeSetting& setting, const CompareThresholds& t);

}  // namespace bnb::app
