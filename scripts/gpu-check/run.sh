# shellcheck shell=bash
# `scripts/gpu-check.sh run [BUNDLE] [--results DIR]` (sourced): the check on a GPU machine, from
# the bundle alone (bash, coreutils, tar and gzip; nothing built or installed). The parts, in order, each
# under its own time budget (`timeout`); the first that fails stops the run:
#   device        tools/gpu_probe: a CUDA device, its memory free, driver and runtime versions
#   device-tests  every GoogleTest binary of the GPU suite (tests/device), run directly; a test
#                 skipped on a machine with a GPU counts as a failure
#   identity      configs/gpu-identity-{replay,dtypes}.json on --device cpu and --device cuda with
#                 --dump, then every tensor of every dump compared byte for byte (compare-dumps.sh)
#   suite         bnb-bench run --device cuda: the built-in suite
#   256m          configs/gpu-256m.json with --device cuda, after checking the device's free memory
#   algorithms    configs/gpu-algorithms.json with --device cuda: every algorithm, 32- and 8-bit, on
#                 64M fp32 elements (the device speed of each, recorded; nothing enforced)
#   peers         torch's and bitsandbytes' optimizers on CUDA tensors beside ours (peers.sh);
#                 skipped, and saying why, without a torch that sees the device
# The summary (every part's result and time, ns/param and roofline fraction of every entry, the
# goals of issue 17) goes to stdout and, once a device was found, to DIR/<date>-<device>.md with
# the parts' logs and CSV results in DIR/<date>-<device>/.

parts=(device device-tests identity suite 256m algorithms peers)
# Seconds per part. They add up to 515 s, so a run ends within 9 minutes even when every part
# uses all of its budget (a device runner's command may last 10). On an H200 (2026-12-04) the
# parts took 1, 2, 4, 4, 33, 46 and 97 s (peers: two runs, Python and torch started per peer).
declare -A budget=([device]=20 [device-tests]=45 [identity]=60 [suite]=45 [256m]=90 [algorithms]=75 [peers]=180)
# Free device memory the 256m and algorithms parts need: 256m's 4 entries of 2^28 fp32 parameters
# keep parameters and gradients (2 GiB per entry) and states (32-bit Adam 2 GiB, 8-bit 0.5 GiB
# plus absmax) alive until timing, 13 GiB (algorithms' 18 entries of 2^26, ~14 GiB), plus room
# for the bandwidth measurement and the CUDA context.
need_large_bytes=$((16 << 30))
roofline_goal=0.8     # issue 17: 32- and 8-bit Adam at >= 0.8 of the memory-traffic floor
roofline_suspect=1.05 # docs/cli.md: above this the floor measurement, not the step, is wrong

run_check() {
  bundle="" results=$root/results/gpu
  while (($#)); do
    case $1 in
      --results) results=${2:?--results needs a directory}; shift 2 ;;
      --results=*) results=${1#--results=}; shift ;;
      -*) usage ;;
      *) [[ -z $bundle ]] || usage; bundle=$1; shift ;;
    esac
  done
  work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  open_bundle "$bundle"
  check_bundle
  declare -gA status=() seconds=() notes=() device=()
  entries=() record="" started=$(date -u '+%Y-%m-%d %H:%M UTC') load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  local p rc t0=$SECONDS
  for p in "${parts[@]}"; do
    echo "== $p (budget ${budget[$p]} s)"
    deadline=$((SECONDS + budget[$p])) note="" rc=0 skipped=0
    local t=$SECONDS
    "part_${p//-/_}" || rc=$?
    seconds[$p]=$((SECONDS - t)) notes[$p]=$note
    if ((rc)); then
      status[$p]=FAILED
      echo "gpu-check: FAILED at part '$p': $note" >&2
      finish "$rc" "FAILED at part $p: $note" "$((SECONDS - t0))"
    fi
    if ((skipped)); then
      status[$p]=skipped
      echo "   skipped: $note"
      continue
    fi
    status[$p]=pass
    echo "   pass: $note"
  done
  local skipped_parts=()
  for p in "${parts[@]}"; do [[ ${status[$p]} == skipped ]] && skipped_parts+=("$p"); done
  if ((${#skipped_parts[@]})); then
    finish 0 "PASS, $((${#parts[@]} - ${#skipped_parts[@]})) of ${#parts[@]} parts (skipped: ${skipped_parts[*]})" "$((SECONDS - t0))"
  fi
  finish 0 "PASS, all ${#parts[@]} parts" "$((SECONDS - t0))"
}

refuse() {
  echo "gpu-check run: $1" >&2
  exit 64
}

# open_bundle [PATH]: bundle=the bundle's directory. PATH is a bundle directory or prepare's
# packed gpu-bundle.tar.gz (unpacked into $work); by default gpu-bundle/, else gpu-bundle.tar.gz,
# at the repository root.
open_bundle() {
  local path=$1
  if [[ -z $path ]]; then
    path=$root/gpu-bundle
    [[ -d $path || ! -f $root/gpu-bundle.tar.gz ]] || path=$root/gpu-bundle.tar.gz
  fi
  if [[ -f $path ]]; then
    mkdir -p "$work/unpacked"
    tar -xzf "$path" -C "$work/unpacked" 2>"$work/unpack.log" ||
      refuse "$path is not a packed gpu-check bundle: $(head -n 1 "$work/unpack.log")"
    local dirs=("$work"/unpacked/*/)
    [[ ${#dirs[@]} == 1 && -d ${dirs[0]} ]] || refuse "$path holds more than one folder: not a packed gpu-check bundle"
    bundle=${dirs[0]%/}
  else
    bundle=$(cd "$path" 2>/dev/null && pwd) ||
      refuse "$path: no such bundle (run 'scripts/gpu-check.sh prepare' on a CPU machine and carry gpu-bundle.tar.gz)"
  fi
}

# The bundle arrived whole (MANIFEST) and this machine's glibc is new enough for its binaries.
check_bundle() {
  [[ -f $bundle/MANIFEST && -f $bundle/INFO ]] ||
    refuse "$bundle is not a gpu-check bundle (no MANIFEST or INFO): run 'scripts/gpu-check.sh prepare' and carry gpu-bundle/"
  (cd "$bundle" && sha256sum --check --quiet --strict MANIFEST) >"$work/manifest.log" 2>&1 ||
    refuse "$bundle is damaged or incomplete: $(head -n 3 "$work/manifest.log" | tr '\n' ' ')"
  local key value need have
  declare -gA info=()
  while IFS='=' read -r key value; do info[$key]=$value; done <"$bundle/INFO"
  need=${info[glibc_required]-}
  have=$(getconf GNU_LIBC_VERSION 2>/dev/null) || true
  have=${have#glibc }
  if [[ -n $need && -n $have && $(printf '%s\n' "$need" "$have" | sort -V | head -n 1) != "$need" ]]; then
    refuse "the bundle's binaries need glibc >= $need; this machine has $have (prepare the bundle on an older system)"
  fi
  host_glibc=${have:-unknown}
}

# Seconds left in the current part's budget (at least 1).
remaining() { echo $((deadline - SECONDS > 0 ? deadline - SECONDS : 1)); }

# tool NAME ARGS...: bnb-bench ARGS within the part's budget, stdout and stderr in $work/NAME.*.
# On failure sets note to the tool's exit status and last message.
tool() {
  local name=$1 rc=0
  shift
  timeout -k 10 "$(remaining)" "$bundle/bin/bnb-bench" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  ((rc == 0)) && return 0
  if ((rc == 124 || rc == 137)); then
    note="bnb-bench $1 ($name) did not finish within the part's budget"
  else
    note="bnb-bench exit $rc ($name): $(last_lines 2 "$work/$name.err")"
  fi
  return 1
}

# last_lines N FILE: the last N non-blank lines of FILE on one line.
last_lines() {
  local line kept=()
  while IFS= read -r line; do [[ $line =~ [^[:space:]] ]] && kept+=("$line"); done <"$2"
  local from=$((${#kept[@]} > $1 ? ${#kept[@]} - $1 : 0))
  echo "${kept[*]:from}"
}

# probe: tools/gpu_probe's key=value lines into device[...]; 2 when there is no CUDA device.
probe() {
  local rc=0 key value
  timeout -k 5 "$(remaining)" "$bundle/bin/gpu_probe" >"$work/probe.out" 2>"$work/probe.err" || rc=$?
  if ((rc == 1)); then
    note=$(head -n 1 "$work/probe.err")
    [[ $note == "no CUDA device"* ]] || note="no CUDA device: $note"
    return 2
  elif ((rc == 124 || rc == 137)); then
    note="gpu_probe did not answer within the part's budget (a hung driver?)"
    return 1
  elif ((rc)); then
    note="gpu_probe exit $rc: $(last_lines 2 "$work/probe.err")"
    return 1
  fi
  while IFS='=' read -r key value; do device[$key]=$value; done <"$work/probe.out"
}

# note = the arguments joined by "; ".
join_notes() {
  note=$(printf '%s; ' "$@")
  note=${note%; }
}

gib() { echo "$(($1 >> 30)).$(((($1 & ((1 << 30) - 1)) * 10) >> 30))"; }

part_device() {
  probe || return
  note="${device[name]}, compute capability ${device[compute_capability]}, ${device[multiprocessors]} SMs,"
  note+=" $(gib "${device[free_bytes]}") GiB free of $(gib "${device[total_bytes]}") GiB, driver ${device[driver]}, runtime ${device[runtime]}"
  local slug=${device[name],,}
  slug=${slug//[^a-z0-9]/-}
  record=$results/$(date -u +%Y-%m-%d-%H%M%S)-${slug}
}

# Every binary runs (a failure in one does not hide the others'); the part fails if any did.
part_device_tests() {
  local t name rc done_list=() failures=()
  for t in "$bundle"/device-tests/*; do
    [[ -x $t ]] || continue
    name=$(basename "$t") rc=0
    timeout -k 10 "$(remaining)" "$t" --gtest_brief=1 >"$work/$name.log" 2>&1 || rc=$?
    gtest_counts "$work/$name.log"
    if ((rc == 124 || rc == 137)); then
      failures+=("$name did not finish within the part's budget")
    elif ((rc)); then
      failures+=("$name exit $rc: failed ${failed_tests[*]:0:3}")
    elif ((skipped > 0)); then
      failures+=("$name: $skipped tests skipped on a machine with a CUDA device")
    elif ((passed == 0)); then
      failures+=("$name ran no test")
    else
      done_list+=("$name: $passed passed")
    fi
  done
  if ((${#failures[@]})); then
    join_notes "${failures[@]}" "${done_list[@]}"
    return 1
  fi
  ((${#done_list[@]})) || { note="the bundle has no device tests"; return 1; }
  join_notes "${done_list[@]}"
}

# gtest_counts LOG: passed and skipped (the counts of GoogleTest's summary) and failed_tests (the
# names it lists as failed) of a GoogleTest log.
gtest_counts() {
  local line
  passed=0 skipped=0 failed_tests=()
  while IFS= read -r line; do
    if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test ]]; then
      passed=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\[\ \ SKIPPED\ \]\ ([0-9]+)\ test ]]; then
      skipped=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([A-Za-z][^ ]*) ]]; then
      failed_tests+=("${BASH_REMATCH[1]}")
    fi
  done <"$1"
}

part_identity() {
  local cfg dev result list=()
  for cfg in replay dtypes; do
    for dev in cpu cuda; do
      tool "identity-$cfg-$dev" run "$bundle/configs/gpu-identity-$cfg.json" --device "$dev" --no-timing \
        --quiet --dump "$work/dump-$cfg-$dev" || return 1
    done
    result=$(compare_dump_dirs "$work/dump-$cfg-cpu" "$work/dump-$cfg-cuda") ||
      { note="gpu-identity-$cfg: CPU and GPU differ: $result"; return 1; }
    list+=("$cfg: $result")
    rm -rf "$work/dump-$cfg-cpu" "$work/dump-$cfg-cuda"
  done
  join_notes "${list[@]}"
}

part_suite() {
  tool suite run --device cuda --quiet --output "$work/suite.csv" || return 1
  csv_entries suite "$work/suite.csv"
}

# room_on_device: the device, probed again now, has need_large_bytes free (else note says so).
room_on_device() {
  probe || return 1
  if ((device[free_bytes] < need_large_bytes)); then
    note="needs $(gib "$need_large_bytes") GiB of free device memory, the device has $(gib "${device[free_bytes]}") GiB free"
    return 1
  fi
}

part_256m() {
  room_on_device || return 1
  tool 256m run "$bundle/configs/gpu-256m.json" --device cuda --quiet --output "$work/256m.csv" || return 1
  csv_entries 256m "$work/256m.csv"
}

part_algorithms() {
  room_on_device || return 1
  tool algorithms run "$bundle/configs/gpu-algorithms.json" --device cuda --quiet --output "$work/algorithms.csv" || return 1
  csv_entries algorithms "$work/algorithms.csv"
}

# csv_entries RUN FILE: "RUN|label|ns/param median|roofline fraction" of every row into entries.
csv_entries() {
  local run=$1 header line i il=-1 in=-1 ir=-1 count=0
  local -a cols vals
  {
    IFS= read -r header
    IFS=, read -ra cols <<<"$header"
    for i in "${!cols[@]}"; do
      case ${cols[i]} in
        label) il=$i ;; ns_per_param_step_median) in=$i ;; roofline_fraction) ir=$i ;;
      esac
    done
    if ((il < 0 || in < 0 || ir < 0)); then
      note="$2: no label, ns_per_param_step_median or roofline_fraction column"
      return 1
    fi
    while IFS= read -r line; do
      IFS=, read -ra vals <<<"$line"
      entries+=("$run|${vals[il]}|${vals[in]-}|${vals[ir]-}")
      count=$((count + 1))
    done
  } <"$2"
  note="$count entries"
}

# twin_ratios RUN: "- X-8: R x the 32-bit step" for every X-8 entry of RUN with an X-32 twin.
twin_ratios() {
  local e run label ns roof
  local -A ns_of=()
  for e in "${entries[@]}"; do
    IFS='|' read -r run label ns roof <<<"$e"
    [[ $run == "$1" ]] && ns_of[$label]=$ns
  done
  for e in "${entries[@]}"; do
    IFS='|' read -r run label ns roof <<<"$e"
    [[ $run == "$1" && $label == *-8 && -n ${ns_of[${label%-8}-32]-} && -n $ns ]] || continue
    local r
    r=$(hundredths_of_ratio "$ns" "${ns_of[${label%-8}-32]}") || continue
    echo "- $label: $((r / 100)).$(printf '%02d' $((r % 100)))x the 32-bit step"
  done
}

# hundredths_of_ratio A B: round(100 A / B) for positive numbers in any printf notation, in bash
# integer arithmetic (no awk or bc on a bare machine): each as 7 digits and a power of ten.
hundredths_of_ratio() {
  local x y ma mb ea eb
  x=$(printf '%.6e' "$1") y=$(printf '%.6e' "$2") || return 1
  ma=${x%e*} mb=${y%e*} ea=${x#*e} eb=${y#*e}
  ma=$((10#${ma/./})) mb=$((10#${mb/./}))
  ea=$((${ea:0:1}10#${ea:1})) eb=$((${eb:0:1}10#${eb:1}))
  ((mb > 0)) || return 1
  ma=$((ma * 100))
  for ((; ea > eb; ea--)); do ma=$((ma * 10)); done
  for ((; eb > ea; eb--)); do mb=$((mb * 10)); done
  echo $(((ma + mb / 2) / mb))
}

# num_less A B: whether number A < number B (decimal or exponent notation; coreutils' sort -g).
num_less() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$2" "$1" | sort -g -s | head -n 1) == "$1" ]]; }

num() { [[ -n $1 ]] && printf '%.4g' "$1" || echo "-"; }

# The goals of issue 17 on the 256m run: every entry at >= roofline_goal of its floor, and each
# 8-bit entry faster than its 32-bit twin (labels X-8 and X-32). Reported, not enforced: a goal
# missed is a finding about the kernels, not a broken part.
goals() {
  local e run label ns roof twin
  local -A ns_of=()
  for e in "${entries[@]}"; do
    IFS='|' read -r run label ns roof <<<"$e"
    [[ $run == 256m ]] || continue
    ns_of[$label]=$ns
    if [[ -z $roof ]]; then
      echo "- $label: no roofline fraction"
    elif num_less "$roof" "$roofline_goal"; then
      echo "- $label at $(num "$roof") of the memory-traffic floor (goal >= $roofline_goal): not met"
    else
      echo "- $label at $(num "$roof") of the memory-traffic floor (goal >= $roofline_goal): met$(num_less "$roofline_suspect" "$roof" && echo ", but above $roofline_suspect: the floor measurement is suspect")"
    fi
  done
  for label in "${!ns_of[@]}"; do
    [[ $label == *-8 ]] || continue
    twin=${label%-8}-32
    [[ -n ${ns_of[$twin]-} && -n ${ns_of[$label]} ]] || continue
    echo "- $label faster than $twin ($(num "${ns_of[$label]}") vs $(num "${ns_of[$twin]}") ns/param): $(num_less "${ns_of[$label]}" "${ns_of[$twin]}" && echo met || echo "not met")"
  done | LC_ALL=C sort
}

cpu_model() {
  local key value
  while IFS=: read -r key value; do
    [[ $key == "model name"* ]] && { echo "${value# }"; return; }
  done </proc/cpuinfo
  echo "unknown CPU"
}

summary() {
  local result=$1 elapsed=$2 p e run label ns roof
  echo "# GPU check: ${device[name]:-no CUDA device}, $started"
  echo
  echo "- result: $result (${elapsed} s)"
  if [[ -n ${device[name]-} ]]; then
    echo "- device: ${notes[device]}, concurrent managed access ${device[concurrent_managed_access]}"
  fi
  echo "- host: $(cpu_model), $(nproc) logical CPUs, glibc $host_glibc, load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo "- bundle: ${info[revision]-?}, built ${info[built]-?}, CUDA architectures ${info[cuda_architectures]-?}, nvcc ${info[nvcc]-?}"
  echo
  echo "| part | result | seconds | budget | details |"
  echo "|---|---|---|---|---|"
  for p in "${parts[@]}"; do
    echo "| $p | ${status[$p]:-not run} | ${seconds[$p]:-} | ${budget[$p]} | ${notes[$p]:-} |"
  done
  if ((${#entries[@]})); then
    echo
    echo "## Entries (bnb-bench run --device cuda)"
    echo
    echo "| run | label | ns/param (median) | roofline fraction |"
    echo "|---|---|---|---|"
    for e in "${entries[@]}"; do
      IFS='|' read -r run label ns roof <<<"$e"
      echo "| $run | $label | $(num "$ns") | $(num "$roof") |"
    done
  fi
  if [[ ${status[256m]-} == pass ]]; then
    echo
    echo "## Goals of issue 17 (256m run; reported, not enforced)"
    echo
    goals
  fi
  if [[ ${status[algorithms]-} == pass ]]; then
    echo
    echo "## 8-bit against 32-bit (algorithms run: step time of X-8 over X-32)"
    echo
    twin_ratios algorithms
  fi
}

# finish RC RESULT ELAPSED: the summary on stdout, and with the parts' outputs under results/gpu/
# once a device was found; then exit RC.
finish() {
  local text
  text=$(summary "$2" "$3")
  echo
  echo "$text"
  if [[ -n $record ]]; then
    mkdir -p "$record"
    echo "$text" >"$record.md"
    local f
    for f in "$work"/*.out "$work"/*.err "$work"/*.log "$work"/*.csv; do
      [[ -f $f ]] && cp "$f" "$record/"
    done
    echo
    echo "summary written to ${record#"$root"/}.md (the parts' outputs in ${record#"$root"/}/)"
  fi
  exit "$1"
}
