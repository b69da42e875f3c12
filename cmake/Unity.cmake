# Unity builds of the tool's and library's sources: each batch of 8 files compiles as one, so
# the heavy headers they share (nlohmann-json, fmt, the library's own) are parsed and their
# templates instantiated once per batch rather than once per file: in the ci build app/'s 72
# files took 188 CPU-seconds, as batches 81. Never for the kernels (their translation units are
# split on purpose: kernels/cpu/tensor_step.hpp) nor the tests (one executable per file).
# A source with its own compile options (app/run/roofline.cpp) is compiled on its own by CMake.
option(BNB_UNITY_BUILD "Compile the tool's and library's sources in batches (unity build)" ON)

function(bnb_unity_build target)
  if(BNB_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()
