#!/usr/bin/env python3
# Disk / page-cache speed the way the paged arena uses it (results/paging/README.md): write a
# 384 MiB shared file mapping, msync it, drop it from memory and from the page cache, then fault
# it back in by touching every page. Usage: disk_probe.py [DIRECTORY] (default /tmp).
import mmap, os, time, sys
size = 384 << 20
path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "/tmp", "bnb-disk-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.unlink(path)
os.ftruncate(fd, size)
m = mmap.mmap(fd, size, mmap.MAP_SHARED)
for rep in range(3):
    block = bytes([rep + 1]) * (1 << 20)
    for off in range(0, size, 1 << 20):
        m[off:off + (1 << 20)] = block
    t = time.time(); m.flush(); m.madvise(mmap.MADV_DONTNEED); os.posix_fadvise(fd, 0, size, os.POSIX_FADV_DONTNEED)
    tw = time.time() - t
    t = time.time(); s = 0
    for off in range(0, size, 4096):
        s += m[off]
    tr = time.time() - t
    print(f"write-back {size/tw/1e9:.2f} GB/s ({tw:.2f} s), fault back {size/tr/1e9:.2f} GB/s ({tr:.2f} s)")
