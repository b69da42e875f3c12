# The CI regression gate (docs/compare.md), run by CTest (label ci-gate):
#   1. `bnb-bench run CONFIG` with the config's own gates (in-run speed/accuracy/memory limits);
#   2. `bnb-bench compare BASELINE <results>` on accuracy, memory and non-finite values only (time
#      is not compared across machines), requiring every baseline entry to match;
#   3. time, deterministically: scripts/step-instructions.sh, the instructions per parameter-step of
#      every entry under callgrind against results/baseline-instructions.json (when
#      INSTRUCTIONS_SCRIPT is given: valgrind found and step_instructions built).
# Fails when any step exits non-zero, printing every verdict.
#   BIN, CONFIG, BASELINE, WORKDIR, [INSTRUCTIONS_SCRIPT, INSTRUCTIONS_BIN]
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
set(instr_rc 0)
if(INSTRUCTIONS_SCRIPT)
  execute_process(COMMAND bash "${INSTRUCTIONS_SCRIPT}" --bin "${INSTRUCTIONS_BIN}"
                  RESULT_VARIABLE instr_rc OUTPUT_VARIABLE instr_out ERROR_VARIABLE instr_err TIMEOUT 120)
  message("--- instruction counts (exit ${instr_rc}) ---\n${instr_out}${instr_err}")
endif()
if(NOT run_rc EQUAL 0 OR NOT cmp_rc EQUAL 0 OR NOT instr_rc EQUAL 0)
  message(FATAL_ERROR "CI gate failed: in-run gates exit ${run_rc}, comparison with ${BASELINE} exit ${cmp_rc}, "
                      "instruction counts exit ${instr_rc} (scripts/update-instruction-baseline.sh when intended) "
                      "(bits: 1 speed, 2 accuracy, 4 memory, 8 non-finite; 65 entries do not match the baseline). "
                      "If the change is intended, run scripts/update-baseline.sh and give the reason in the commit.")
endif()
