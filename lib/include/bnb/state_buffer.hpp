#pragma once
// Owning storage for one state buffer: ordinary heap memory, or paged memory (SPEC.md §7) from
// a PagedArena that can evict it and bring it back. Move-only.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace bnb {

class PagedArena;

class StateBuffer {
 public:
  StateBuffer() = default;
  /// Zero-initialized heap buffer of `bytes`.
  static StateBuffer heap(std::size_t bytes);
  /// Zero-initialized paged buffer of `bytes` from `arena`.
  static StateBuffer paged(PagedArena& arena, std::size_t bytes);

  StateBuffer(StateBuffer&&) noexcept;
  StateBuffer& operator=(StateBuffer&&) noexcept;
  StateBuffer(const StateBuffer&) = delete;
  StateBuffer& operator=(const StateBuffer&) = delete;
  ~StateBuffer();

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool is_paged() const { return arena_ != nullptr; }

  template <class T>
  T* as() { return reinterpret_cast<T*>(data_); }
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }

  /// Paged buffers: make resident before use (eviction is the arena's budget decision). No-op
  /// on heap buffers.
  void prefetch() const;

 private:
  void release() noexcept;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  PagedArena* arena_ = nullptr;
};

}  // namespace bnb
