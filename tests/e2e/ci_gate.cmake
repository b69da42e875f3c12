# The CI regression gate (docs/compare.md), run by CTest (label ci-gate):
#   1. `bnb-bench run CONFIG` with the config's own gates (in-run speed/accuracy/memory limits);
#   2. `bnb-bench compare BASELINE <results>` on accuracy, memory and non-finite values only (time
#      is not compared across machines), requiring every baseline entry to match.
# Fails when either step exits non-zero, printing both verdicts.
#   BIN, CONFIG, BASELINE, WORKDIR
file(MAKE_DIRECTORY "${WORKDIR}")
set(results "${WORKDIR}/ci-results.json")
set(verdict "${WORKDIR}/ci-compare.md")
file(REMOVE "${results}" "${verdict}")
execute_process(COMMAND "${BIN}" run "${CONFIG}" --quiet --output "${results}"
                RESULT_VARIABLE run_rc OUTPUT_VARIABLE run_out ERROR_VARIABLE run_err TIMEOUT 300)
message("--- bnb-bench run ${CONFIG} (exit ${run_rc}) ---\n${run_out}${run_err}")
if(NOT run_rc MATCHES "^[0-9]+$" OR run_rc GREATER 15 OR NOT EXISTS "${results}")
  message(FATAL_ERROR "the run itself failed (exit ${run_rc}): no results to compare")
endif()
execute_process(COMMAND "${BIN}" compare "${BASELINE}" "${results}" --metrics accuracy,memory,nonfinite --require-match
                        --output "${verdict}"
                RESULT_VARIABLE cmp_rc OUTPUT_VARIABLE cmp_out ERROR_VARIABLE cmp_err TIMEOUT 60)
message("--- bnb-bench compare (exit ${cmp_rc}; Markdown verdict in ${verdict}) ---\n${cmp_out}${cmp_err}")
if(NOT run_rc EQUAL 0 OR NOT cmp_rc EQUAL 0)
  message(FATAL_ERROR "CI gate failed: in-run gates exit ${run_rc}, comparison with ${BASELINE} exit ${cmp_rc} "
                      "(bits: 1 speed, 2 accuracy, 4 memory, 8 non-finite; 65 entries do not match the baseline). "
                      "If the change is intended, run scripts/update-baseline.sh and give the reason in the commit.")
endif()
