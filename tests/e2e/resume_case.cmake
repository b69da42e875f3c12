# Dump + resume reproduces a straight run bit for bit: run N steps with --dump STRAIGHT; run N/2
# steps with --dump HALF; resume HALF up to N steps with --dump RESUMED; every entry's dump file
# must be byte-identical in STRAIGHT and RESUMED.  BIN, CONFIG, WORKDIR (scratch), STEPS.
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
math(EXPR half "${STEPS} / 2")
function(run_bench)
  execute_process(COMMAND "${BIN}" run "${CONFIG}" --quiet --no-timing ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bnb-bench run ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()
run_bench(--steps ${STEPS} --dump "${WORKDIR}/straight")
run_bench(--steps ${half} --dump "${WORKDIR}/half")
run_bench(--steps ${STEPS} --resume "${WORKDIR}/half" --dump "${WORKDIR}/resumed")
file(GLOB dumps RELATIVE "${WORKDIR}/straight" "${WORKDIR}/straight/*.safetensors")
list(LENGTH dumps count)
if(count EQUAL 0)
  message(FATAL_ERROR "no dump files written")
endif()
foreach(f IN LISTS dumps)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORKDIR}/straight/${f}" "${WORKDIR}/resumed/${f}"
                  RESULT_VARIABLE different)
  if(different)
    message(FATAL_ERROR "${f}: the resumed run differs from the straight run")
  endif()
endforeach()
message(STATUS "${count} dumps identical")
