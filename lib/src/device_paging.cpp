#include "device_paging.hpp"

#include <algorithm>
#include <stdexcept>

namespace bnb {

std::list<DevicePaging::Buffer>::iterator DevicePaging::find(const void* data) {
  const auto it = std::find_if(buffers_.begin(), buffers_.end(), [&](const Buffer& b) { return b.data == data; });
  if (it == buffers_.end()) throw std::logic_error("DevicePaging: not a paged buffer");
  return it;
}

void DevicePaging::add(void* data, std::size_t bytes) {
  if (budget_ > 0) backend_.evict_to_host(data, bytes);
  buffers_.push_front({data, bytes, false});  // least recently used: evicted last
}

void DevicePaging::prefetch(void* data) {
  const auto it = find(data);
  if (!it->on_device) {
    counters_.restored_bytes += it->bytes;
    counters_.restores += 1;
    backend_.prefetch_to_device(it->data, it->bytes);
    it->on_device = true;
  }
  buffers_.splice(buffers_.end(), buffers_, it);
}

void DevicePaging::enforce_budget() {
  std::size_t total = resident_bytes();
  counters_.peak_resident_bytes = std::max(counters_.peak_resident_bytes, total);
  if (budget_ == 0) return;
  for (auto it = buffers_.rbegin(); it != buffers_.rend() && total > budget_; ++it) {  // most recently used first
    if (!it->on_device) continue;
    backend_.evict_to_host(it->data, it->bytes);
    it->on_device = false;
    counters_.evicted_bytes += it->bytes;
    counters_.evictions += 1;
    total -= it->bytes;
  }
}

std::size_t DevicePaging::resident_bytes() const {
  std::size_t total = 0;
  for (const Buffer& b : buffers_) total += b.on_device ? b.bytes : 0;
  return total;
}

std::size_t DevicePaging::resident_bytes(const void* data) const {
  for (const Buffer& b : buffers_) {
    if (b.data == data) return b.on_device ? b.bytes : 0;
  }
  return 0;
}

std::size_t DevicePaging::managed_bytes() const {
  std::size_t total = 0;
  for (const Buffer& b : buffers_) total += b.bytes;
  return total;
}

}  // namespace bnb
