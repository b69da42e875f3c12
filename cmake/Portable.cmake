# BNB_PORTABLE (the gpu-check preset): binaries for a bare GPU machine that has glibc >= 2.34 and
# the NVIDIA driver but none of our Debian packages (scripts/gpu-check.sh, docs/gpu-check.md).
# libstdc++ is linked in (-static-libstdc++) and fmt compiled in (header-only); the CUDA runtime
# (kernels/cuda) and GoogleTest (Debian ships only the .a) are static in every build. libgcc_s
# stays the machine's: it is part of every glibc system (glibc loads it itself), and the static
# unwinder of Debian 12 would ask for glibc 2.35 (_dl_find_object). The one shared library left,
# libgomp, is found next to the binaries: `gpu-check.sh prepare` copies it to the bundle's lib/
# and the binaries to its bin/ (RPATH $ORIGIN/../lib).
option(BNB_PORTABLE "Portable binaries for a bare machine (static libstdc++, header-only fmt, RPATH \$ORIGIN/../lib)" OFF)
set(BNB_FMT_TARGET fmt::fmt)
if(BNB_PORTABLE)
  set(BNB_FMT_TARGET fmt::fmt-header-only)
  add_link_options(-static-libstdc++)
  set(CMAKE_BUILD_RPATH "\$ORIGIN/../lib")
endif()
