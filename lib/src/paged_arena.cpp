#include "bnb/paged_arena.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bnb/errors.hpp"

namespace bnb {
namespace {

std::size_t page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

}  // namespace

std::size_t PagedArena::mapped_bytes(std::size_t bytes) {
  const std::size_t p = page_size();
  return (std::max<std::size_t>(bytes, 1) + p - 1) / p * p;
}

PageFaults process_page_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return {u.ru_minflt, u.ru_majflt};
}

PagedArena::PagedArena(std::string directory, std::size_t budget_bytes)
    : directory_(std::move(directory)), budget_(budget_bytes) {
  if (directory_.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    directory_ = tmp && *tmp ? tmp : "/tmp";
  }
}

PagedArena::~PagedArena() {
  for (Mapping& m : mappings_) {
    munmap(m.data, m.mapped);
    close(m.fd);
  }
}

std::byte* PagedArena::allocate(std::size_t bytes) {
  std::string path = directory_ + "/bnb-paged-XXXXXX";
  std::vector<char> buf(path.begin(), path.end());
  buf.push_back('\0');
  const int fd = mkstemp(buf.data());
  if (fd < 0) throw IoError("paged state: cannot create a file in '" + directory_ + "': " + std::strerror(errno));
  unlink(buf.data());  // the mapping keeps it alive; nothing is left behind on exit
  const std::size_t mapped = mapped_bytes(bytes);
  if (ftruncate(fd, static_cast<off_t>(mapped)) != 0) {
    const int err = errno;
    close(fd);
    throw IoError("paged state: cannot size a " + std::to_string(mapped) + "-byte file in '" + directory_ +
                  "': " + std::strerror(err));
  }
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    close(fd);
    throw IoError(std::string("paged state: mmap failed: ") + std::strerror(err));
  }
  mappings_.push_back({static_cast<std::byte*>(p), bytes, mapped, fd});
  return static_cast<std::byte*>(p);
}

void PagedArena::release(std::byte* data) noexcept {
  for (auto it = mappings_.begin(); it != mappings_.end(); ++it) {
    if (it->data == data) {
      munmap(it->data, it->mapped);
      close(it->fd);
      mappings_.erase(it);
      return;
    }
  }
}

void PagedArena::prefetch(const std::byte* data) {
  for (auto it = mappings_.begin(); it != mappings_.end(); ++it) {
    if (it->data != data) continue;
    const std::size_t resident = resident_bytes(*it);
    if (resident < it->mapped) {
      counters_.restored_bytes += it->mapped - resident;
      counters_.restores += 1;
    }
    madvise(it->data, it->mapped, MADV_WILLNEED);
    mappings_.splice(mappings_.end(), mappings_, it);  // most recently used
    return;
  }
}

void PagedArena::drop(Mapping& m) {
  // Write dirty pages back to the file, unmap them from this process, then drop them from the
  // page cache so the next access really faults them in from the file.
  msync(m.data, m.mapped, MS_SYNC);
  madvise(m.data, m.mapped, MADV_DONTNEED);
  posix_fadvise(m.fd, 0, static_cast<off_t>(m.mapped), POSIX_FADV_DONTNEED);
}

void PagedArena::enforce_budget() {
  std::vector<std::size_t> resident;
  resident.reserve(mappings_.size());
  std::size_t total = 0;
  for (const Mapping& m : mappings_) total += resident.emplace_back(resident_bytes(m));
  counters_.peak_resident_bytes = std::max(counters_.peak_resident_bytes, total);
  if (budget_ == 0) return;
  std::size_t k = mappings_.size();
  for (auto it = mappings_.rbegin(); it != mappings_.rend() && total > budget_; ++it) {  // most recently used first
    --k;
    if (resident[k] == 0) continue;
    drop(*it);
    counters_.evicted_bytes += resident[k];
    counters_.evictions += 1;
    total -= resident[k];
  }
}

std::size_t PagedArena::resident_bytes(const Mapping& m) {
  const std::size_t p = page_size();
  std::vector<unsigned char> pages(m.mapped / p, 0);
  if (mincore(m.data, m.mapped, pages.data()) != 0) return m.mapped;  // unknown: assume resident
  std::size_t resident = 0;
  for (unsigned char v : pages) resident += (v & 1u) ? p : 0;
  return resident;
}

std::size_t PagedArena::resident_bytes() const {
  std::size_t resident = 0;
  for (const Mapping& m : mappings_) resident += resident_bytes(m);
  return resident;
}

}  // namespace bnb
