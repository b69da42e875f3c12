// Linked into the portable binaries only (BNB_PORTABLE, cmake/GpuCheck.cmake; docs/gpu-check.md).
// They must start on glibc 2.34 (Ubuntu 22.04, RHEL 9), but the static libstdc++ of GCC 12 built
// on glibc 2.36 refers to arc4random (GLIBC_2.36) for std::random_device, which none of our code
// uses. Defined here, the reference resolves inside the binary and nothing newer than GLIBC_2.34
// is asked of the machine. Same source as glibc's own: getrandom (glibc 2.25, Linux 3.17).
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" std::uint32_t arc4random() noexcept {
  std::uint32_t value = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(&value);
  std::size_t filled = 0;
  while (filled < sizeof value) {
    const ssize_t n = getrandom(bytes + filled, sizeof value - filled, 0);
    if (n > 0) {
      filled += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      std::abort();  // as glibc's arc4random does when the kernel gives no randomness
    }
  }
  return value;
}
