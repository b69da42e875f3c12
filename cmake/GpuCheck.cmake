# What `scripts/gpu-check.sh prepare` bundles (docs/gpu-check.md): bnb-bench, tools/gpu_probe and
# every executable of tests/device (the GPU suite, label gpu), so that a device test added there
# travels without touching the script. Target gpu_check_inputs builds them all;
# gpu-check-inputs.txt in the build directory lists them, one "KIND PATH" line each (KIND: tool,
# probe, test), and what the bundle's INFO says about the CUDA build ("info KEY=VALUE").
set(_inputs "tool $<TARGET_FILE:bnb-bench>\nprobe $<TARGET_FILE:gpu_probe>\n")
if(BNB_WITH_CUDA)
  string(APPEND _inputs "info cuda_architectures=${CMAKE_CUDA_ARCHITECTURES}\ninfo nvcc=${CMAKE_CUDA_COMPILER_VERSION}\n")
endif()
set(_targets bnb-bench gpu_probe)
if(BNB_BUILD_TESTS AND EXISTS ${PROJECT_SOURCE_DIR}/tests/device/CMakeLists.txt)
  get_property(_device_targets DIRECTORY ${PROJECT_SOURCE_DIR}/tests/device PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS _device_targets)
    get_target_property(_type ${t} TYPE)
    if(_type STREQUAL "EXECUTABLE")
      string(APPEND _inputs "test $<TARGET_FILE:${t}>\n")
      list(APPEND _targets ${t})
    endif()
  endforeach()
endif()
# Portable binaries resolve libstdc++'s reference to arc4random themselves (glibc 2.34 suffices).
if(BNB_PORTABLE)
  foreach(t IN LISTS _targets)
    target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tools/arc4random_compat.cpp)
  endforeach()
endif()
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/gpu-check-inputs.txt CONTENT "${_inputs}")
add_custom_target(gpu_check_inputs)
add_dependencies(gpu_check_inputs ${_targets})
