#include "bnb/state_buffer.hpp"

#include <cstring>
#include <utility>

#include "bnb/array_memory.hpp"
#include "bnb/paged_arena.hpp"

namespace bnb {

StateBuffer StateBuffer::heap(std::size_t bytes) {
  StateBuffer b;
  // Whole cache lines (aligned AVX-512 loads) and huge pages for large states: array_memory.hpp.
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  b.data_ = static_cast<std::byte*>(allocate_array(rounded == 0 ? 64 : rounded));
  std::memset(b.data_, 0, rounded == 0 ? 64 : rounded);
  b.size_ = bytes;
  return b;
}

StateBuffer StateBuffer::paged(PagedArena& arena, std::size_t bytes) {
  StateBuffer b;
  b.data_ = arena.allocate(bytes);
  b.size_ = bytes;
  b.arena_ = &arena;
  return b;
}

StateBuffer::StateBuffer(StateBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), arena_(std::exchange(o.arena_, nullptr)) {}

StateBuffer& StateBuffer::operator=(StateBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    arena_ = std::exchange(o.arena_, nullptr);
  }
  return *this;
}

StateBuffer::~StateBuffer() { release(); }

void StateBuffer::release() noexcept {
  if (!data_) return;
  if (arena_) {
    arena_->release(data_);
  } else {
    const std::size_t rounded = (size_ + 63) / 64 * 64;
    free_array(data_, rounded == 0 ? 64 : rounded);
  }
  data_ = nullptr;
  size_ = 0;
  arena_ = nullptr;
}

void StateBuffer::prefetch() const {
  if (arena_) arena_->prefetch(data_);
}

}  // namespace bnb
