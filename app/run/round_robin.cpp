#include "round_robin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "timing.hpp"

namespace bnb::app {
namespace {

// A timing sample holds enough steps to last at least this long (timer resolution, overhead).
constexpr double kMinSampleSeconds = 1e-3;

struct Timer {
  std::vector<double> samples;
  std::int64_t steps_per_sample = 1;
  double spent = 0;
  bool done = false, timed_out = false, failed = false;
};

void call(const std::function<void()>& hook) {
  if (hook) hook();
}

}  // namespace

std::vector<std::optional<TimeStats>> round_robin_timing(const TimingConfig& t, const std::vector<TimedEntry>& entries,
                                                         Progress& progress, const std::function<void()>& after_round) {
  std::vector<Timer> timers(entries.size());
  std::size_t remaining = entries.size();
  for (std::size_t k = 0; k < entries.size(); ++k) {
    // Warm-up; its speed sets the steps per sample (one extra step measures it without warm-up).
    Timer& timer = timers[k];
    call(entries[k].before_warmup);
    double per_step = 0;
    std::optional<double> elapsed = 0.0;
    if (t.warmup_steps > 0) {
      elapsed = entries[k].run_steps(t.warmup_steps);
      if (elapsed) per_step = *elapsed / static_cast<double>(t.warmup_steps);
    }
    if (elapsed && per_step <= 0) {
      elapsed = entries[k].run_steps(1);
      if (elapsed) per_step = *elapsed;
    }
    call(entries[k].after_warmup);
    if (!elapsed) {
      timer.done = timer.failed = true;
      --remaining;
      continue;
    }
    timer.spent = *elapsed;
    timer.steps_per_sample =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(kMinSampleSeconds / std::max(per_step, 1e-9))));
  }
  while (remaining > 0) {
    for (std::size_t k = 0; k < entries.size(); ++k) {
      Timer& timer = timers[k];
      if (timer.done) continue;
      const TimedEntry& e = entries[k];
      call(e.before_sample);
      const std::optional<double> elapsed = e.run_steps(timer.steps_per_sample);
      if (e.after_sample) e.after_sample(timer.steps_per_sample);
      if (!elapsed) {
        timer.done = timer.failed = true;
        --remaining;
        continue;
      }
      timer.spent += *elapsed;
      timer.samples.push_back(*elapsed * 1e9 /
                              (static_cast<double>(timer.steps_per_sample) * static_cast<double>(e.numel)));
      const auto n = static_cast<std::int64_t>(timer.samples.size());
      bool enough = n >= t.min_samples && timer.spent >= t.min_time_s;
      if (enough && t.noise_target > 0) {
        const TimeStats s = summarize(timer.samples, timer.steps_per_sample, false);
        enough = s.median > 0 && s.iqr / s.median <= t.noise_target;
      }
      if (enough || timer.spent >= t.timeout_s) {
        timer.done = true;
        timer.timed_out = !enough;
        --remaining;
      }
      progress.update(fmt::format("timing: {} sample {} ({} entries left)", e.label, n, remaining));
    }
    call(after_round);
  }
  std::vector<std::optional<TimeStats>> out(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) {
    if (!timers[k].failed) out[k] = summarize(std::move(timers[k].samples), timers[k].steps_per_sample, timers[k].timed_out);
  }
  return out;
}

}  // namespace bnb::app
