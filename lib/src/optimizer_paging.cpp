// The optimizer's paging controls and counters (SPEC.md §7). They speak of budgets and bytes, not
// of files: the CPU arena backs them today, and a managed-memory path on a GPU can back the same
// calls (budget = what is prefetched to the device, evictions = bytes advised back to the host).
#include "bnb/optimizer.hpp"
#include "bnb/paged_arena.hpp"

namespace bnb {

std::size_t Optimizer::paged_state_bytes(std::size_t i) const {
  const StateLayout l = layout(i);
  return l.paged ? static_cast<std::size_t>(l.rows) * PagedArena::mapped_bytes(l.row_bytes) : 0;
}

PagingCounters Optimizer::paging_counters() const { return arena_ ? arena_->counters() : PagingCounters{}; }

void Optimizer::reset_paging_counters() {
  if (arena_) arena_->reset_counters();
}

void Optimizer::set_paged_budget(std::size_t bytes) {
  options_.paged_budget_bytes = bytes;
  if (arena_) arena_->set_budget(bytes);
}

void Optimizer::enforce_paged_budget() {
  if (arena_) arena_->enforce_budget();
}

}  // namespace bnb
