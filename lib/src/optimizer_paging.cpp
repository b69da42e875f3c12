// The optimizer's paging controls and counters (SPEC.md §7). They speak of budgets and bytes, not
// of files: the CPU arena backs them on the CPU, managed memory on a device (device_paging.hpp:
// budget = what is prefetched to the device, evictions = bytes advised back to the host).
#include "bnb/optimizer.hpp"
#include "bnb/paged_arena.hpp"
#include "device_states.hpp"

namespace bnb {

std::size_t Optimizer::paged_state_bytes(std::size_t i) const {
  const StateLayout l = layout(i);
  if (!l.paged) return 0;
  return static_cast<std::size_t>(l.rows) * (device_ ? l.row_bytes : PagedArena::mapped_bytes(l.row_bytes));
}

PagingCounters Optimizer::paging_counters() const {
  if (arena_) return arena_->counters();
  return device_ ? device_->paging().counters() : PagingCounters{};
}

void Optimizer::reset_paging_counters() {
  if (arena_) arena_->reset_counters();
  if (device_) device_->paging().reset_counters();
}

void Optimizer::set_paged_budget(std::size_t bytes) {
  if (device_) device_->set_paged_budget(bytes);
  options_.paged_budget_bytes = bytes;
  if (arena_) arena_->set_budget(bytes);
}

void Optimizer::enforce_paged_budget() {
  if (arena_) arena_->enforce_budget();
  if (device_) device_->paging().enforce_budget();  // reading the state on the host moves nothing here
}

}  // namespace bnb
