#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace bnb::app {
namespace {

// Lock-free atomics are async-signal-safe. The handler may run on any thread (OpenMP workers
// included), so it publishes the signal before it looks at the deferral count, and a deferring
// writer publishes the count before it looks at the signal: one of them always sees the other.
std::atomic<int> g_signal{0};
std::atomic<int> g_deferred{0};
static_assert(std::atomic<int>::is_always_lock_free);

void exit_for(int sig) { ::_exit(128 + sig); }

extern "C" void on_interrupt(int sig) {
  g_signal.store(sig);
  if (g_deferred.load() == 0) exit_for(sig);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

InterruptsDeferred::InterruptsDeferred() {
  g_deferred.fetch_add(1);
  if (const int sig = g_signal.load()) exit_for(sig);  // came before anything was written
}

InterruptsDeferred::~InterruptsDeferred() {
  if (g_deferred.fetch_sub(1) == 1) {
    if (const int sig = g_signal.load()) exit_for(sig);
  }
}

}  // namespace bnb::app
