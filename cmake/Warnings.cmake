# One warnings target for our own code; third-party headers come in as SYSTEM and stay quiet.
# -Wno-restrict: GCC 12 reports impossible overlaps inside std::string at -O3 (GCC bug 105329);
# -Wnull-dereference is left out for the same reason (false positives on std::vector::data()
# after inlining at -O3), so a Release build with -Werror stays green. Clang (the fuzz preset)
# takes the same set; GCC-only options are given to GCC only.
add_library(bnb_warnings INTERFACE)
target_compile_options(bnb_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                            -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                            -Wdouble-promotion -Wimplicit-fallthrough -Werror>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-restrict>
  $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror>)

# Numerics policy for every kernel translation unit (CPU and host side of CUDA):
#  - no -ffast-math: SPEC.md §3 demands exact IEEE arithmetic;
#  - -fno-math-errno lets GCC vectorize sqrt (4x faster, same results);
#  - -ffp-contract=off keeps a*b+c as two rounded operations, so the scalar, AVX2, AVX-512 and
#    CUDA (--fmad=false) paths give bit-identical results.
add_library(bnb_numerics INTERFACE)
target_compile_options(bnb_numerics INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-fno-math-errno -ffp-contract=off>
  $<$<COMPILE_LANGUAGE:CUDA>:--fmad=false -Xcompiler=-fno-math-errno,-ffp-contract=off>)
