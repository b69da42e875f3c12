# Sharded runs under mpirun (docs/distributed.md) give the single-process results bit for bit:
#  1. CONFIG with 1, 2 and 3 ranks: every entry's error (parameters and dequantized states against
#     the reference, every step's curve), non-finite counts and 8-bit underflow counts (summed over
#     the ranks) equal the single-process run's, and each rank holds about 1/N of the entry's state.
#  2. A dump written by 2 ranks halfway resumes with 3 ranks (and with one process) exactly as the
#     single-process dump resumes with one process.
#  3. The 2-rank run of 1. is timed (the timing decisions are collective) and reports per-rank figures.
#  4. device cuda under mpirun is refused (exit 64) before any work, whatever the build.
# BIN, MPIRUN, CONFIG, WORKDIR (scratch), STEPS.
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
math(EXPR half "${STEPS} / 2")

function(bench ranks steps out)
  set(cmd "${BIN}" run "${CONFIG}" --quiet --steps ${steps} --output "${WORKDIR}/${out}.json" ${ARGN})
  if(NOT ranks EQUAL 0)
    set(cmd "${MPIRUN}" --oversubscribe --allow-run-as-root -n ${ranks} ${cmd})
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cmd} failed (${rc}):\n${o}\n${e}")
  endif()
endfunction()

# The fields that must be bit-identical, per entry, as one text.
function(identity_fields file out_var)
  file(READ "${file}" json)
  string(JSON count LENGTH "${json}" entries)
  math(EXPR last "${count} - 1")
  set(text "")
  foreach(k RANGE ${last})
    string(JSON label GET "${json}" entries ${k} label)
    string(JSON error GET "${json}" entries ${k} error)
    string(JSON nonfinite GET "${json}" entries ${k} nonfinite)
    string(JSON quantization ERROR_VARIABLE no_quantization GET "${json}" entries ${k} quantization)
    string(APPEND text "${label}: ${error} ${nonfinite} ${quantization}\n")
  endforeach()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(expect_same a b what)
  identity_fields("${WORKDIR}/${a}.json" left)
  identity_fields("${WORKDIR}/${b}.json" right)
  if(NOT left STREQUAL right)
    file(WRITE "${WORKDIR}/${a}.fields" "${left}")
    file(WRITE "${WORKDIR}/${b}.fields" "${right}")
    message(FATAL_ERROR "${what}: ${b} differs from ${a} (see ${WORKDIR}/${a}.fields and ${b}.fields)")
  endif()
endfunction()

# Each rank's state is about 1/N of the entry's: at most a quarter over the even share, plus the
# scales and small tensors a rank holds whole (4 KiB).
function(expect_even_shares out ranks)
  file(READ "${WORKDIR}/${out}.json" json)
  string(JSON count LENGTH "${json}" entries)
  math(EXPR last "${count} - 1")
  foreach(k RANGE ${last})
    string(JSON label GET "${json}" entries ${k} label)
    string(JSON total GET "${json}" entries ${k} memory state_bytes)
    string(JSON n LENGTH "${json}" entries ${k} distributed state_bytes)
    if(NOT n EQUAL ranks)
      message(FATAL_ERROR "${out}: ${label} reports ${n} ranks' state, expected ${ranks}")
    endif()
    math(EXPR limit "${total} * 5 / (4 * ${ranks}) + 4096")
    math(EXPR r_last "${ranks} - 1")
    foreach(r RANGE ${r_last})
      string(JSON bytes GET "${json}" entries ${k} distributed state_bytes ${r})
      if(bytes GREATER limit)
        message(FATAL_ERROR "${out}: ${label}: rank ${r} holds ${bytes} of ${total} state bytes (limit ${limit})")
      endif()
    endforeach()
  endforeach()
endfunction()

bench(0 ${STEPS} single --no-timing)
foreach(n 1 2 3)
  set(timing --no-timing)
  if(n EQUAL 2)
    set(timing "")  # the timed run of 3. (timing does not touch the accuracy fields)
  endif()
  bench(${n} ${STEPS} ranks${n} ${timing})
  expect_same(single ranks${n} "${n} ranks")
  expect_even_shares(ranks${n} ${n})
endforeach()

# Resume across rank counts.
bench(0 ${half} half1 --no-timing --dump "${WORKDIR}/dump1")
bench(2 ${half} half2 --no-timing --dump "${WORKDIR}/dump2")
bench(0 ${STEPS} resumed1 --no-timing --resume "${WORKDIR}/dump1")
bench(3 ${STEPS} resumed3 --no-timing --resume "${WORKDIR}/dump2")
bench(0 ${STEPS} resumed2to1 --no-timing --resume "${WORKDIR}/dump2")
expect_same(resumed1 resumed3 "a 2-rank dump resumed with 3 ranks")
expect_same(resumed1 resumed2to1 "a 2-rank dump resumed by one process")

# Timed (ranks2): the slowest rank's time, per-rank step and communication times.
file(READ "${WORKDIR}/ranks2.json" json)
string(JSON median GET "${json}" entries 0 time ns_per_param_step median)
string(JSON steps LENGTH "${json}" entries 0 distributed step_seconds)
string(JSON comm LENGTH "${json}" entries 0 distributed communication_seconds_per_step)
if(NOT median GREATER 0 OR NOT steps EQUAL 2 OR NOT comm EQUAL 2)
  message(FATAL_ERROR "ranks2: expected a step time and 2 ranks' step and communication times:\n${json}")
endif()

# A sharded CUDA run is refused by name (docs/distributed.md), in builds with and without CUDA.
execute_process(COMMAND "${MPIRUN}" --oversubscribe --allow-run-as-root -n 2 "${BIN}" run "${CONFIG}" --quiet
                        --device cuda --output "${WORKDIR}/cuda2.json"
                RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e TIMEOUT 60)
if(NOT rc EQUAL 64 OR NOT e MATCHES "device: a sharded run \\(2 ranks under mpirun\\) steps CPU tensors")
  message(FATAL_ERROR "device cuda with 2 ranks: expected exit 64 and the refusal, got ${rc}:\n${o}\n${e}")
endif()
message(STATUS "sharded runs with 1, 2, 3 ranks identical to one process; dumps resume across rank counts")
