# shellcheck shell=bash
# Tensor-by-tensor comparison of two `bnb-bench run --dump` directories (sourced by
# scripts/gpu-check.sh; pure bash and coreutils, so it runs on a bare GPU machine).
#
# Two dumps agree when they hold the same tensors (names, dtypes, shapes, offsets) with the same
# bytes. The `__metadata__` object is left out: it records the run (name, steps, configuration),
# not the numbers, and a run on another device may describe itself differently.

# Prints "NAME DTYPE [SHAPE] START END" for every tensor of safetensors file $1, in file order.
# Metadata values are JSON strings, in which every quote is escaped, so they never match.
dump_tensor_table() {
  local header
  header=$(dump_header "$1") || return 1
  local re='"([^"]+)":\{"dtype":"([A-Z0-9]+)","shape":\[([0-9,]*)\],"data_offsets":\[([0-9]+),([0-9]+)\]\}'
  while [[ $header =~ $re ]]; do
    printf '%s %s [%s] %s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" \
      "${BASH_REMATCH[4]}" "${BASH_REMATCH[5]}"
    header=${header#*"${BASH_REMATCH[0]}"}
  done
}

# The JSON header of safetensors file $1 (its length is the first 8 bytes, little-endian).
dump_header() {
  local n
  n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
  if [[ ! $n =~ ^[0-9]+$ ]] || ((n > $(stat -c %s "$1") - 8)); then
    echo "$1: not a safetensors file" >&2
    return 1
  fi
  head -c $((8 + n)) "$1" | tail -c "$n"
}

# Bytes $2 .. $3 (end excluded) of the data section of safetensors file $1, as a SHA-256 sum.
dump_range_sum() {
  local n
  n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
  tail -c +$((8 + n + $2 + 1)) "$1" | head -c $(($3 - $2)) | sha256sum | cut -d' ' -f1
}

# compare_dump_files A B: 0 when every tensor of A equals B's (and dump_tensors = their number);
# otherwise 1 and one line on stdout naming the first difference.
compare_dump_files() {
  local a=$1 b=$2 ta tb
  ta=$(dump_tensor_table "$a") || return 1
  tb=$(dump_tensor_table "$b") || return 1
  if [[ -z $ta ]]; then
    echo "$a: no tensors"
    return 1
  fi
  if [[ $ta != "$tb" ]]; then
    local -a la lb
    local i=0
    mapfile -t la <<<"$ta"
    mapfile -t lb <<<"$tb"
    while [[ ${la[i]-} == "${lb[i]-}" ]]; do i=$((i + 1)); done
    echo "$(basename "$a"): the tensor lists differ at entry $((i + 1)): ${la[i]-(none)} / ${lb[i]-(none)}"
    return 1
  fi
  local total=${ta##* }
  dump_tensors=$(wc -l <<<"$ta")
  [[ $(dump_range_sum "$a" 0 "$total") == "$(dump_range_sum "$b" 0 "$total")" ]] && return 0
  local name dtype shape start end
  while read -r name dtype shape start end; do
    if [[ $(dump_range_sum "$a" "$start" "$end") != "$(dump_range_sum "$b" "$start" "$end")" ]]; then
      echo "$(basename "$a"): $name ($dtype $shape) differs"
      return 1
    fi
  done <<<"$ta"
  echo "$(basename "$a"): the data sections differ outside every tensor"
  return 1
}

# compare_dump_dirs A B: every *.safetensors of A against the file of the same name in B (and B
# has no other). Prints "N dumps, M tensors bit-identical" or the first difference; 0 or 1.
compare_dump_dirs() {
  local a=$1 b=$2 files=0 tensors=0 f
  local -a in_a in_b
  for f in "$a" "$b"; do
    [[ -d $f ]] || { echo "$f: no such dump directory"; return 1; }
  done
  in_a=() in_b=()
  for f in "$a"/*.safetensors; do [[ -f $f ]] && in_a+=("${f##*/}"); done
  for f in "$b"/*.safetensors; do [[ -f $f ]] && in_b+=("${f##*/}"); done
  if ((${#in_a[@]} == 0)); then
    echo "$a: no dumps"
    return 1
  fi
  if [[ ${in_a[*]} != "${in_b[*]}" ]]; then
    local -A seen=()
    for f in "${in_b[@]}"; do seen[$f]=1; done
    for f in "${in_a[@]}"; do [[ -n ${seen[$f]-} ]] || { echo "$f is missing from $b"; return 1; }; done
    echo "$b holds dumps that $a does not"
    return 1
  fi
  for f in "${in_a[@]}"; do
    compare_dump_files "$a/$f" "$b/$f" || return 1
    files=$((files + 1))
    tensors=$((tensors + dump_tensors))
  done
  echo "$files dumps, $tensors tensors bit-identical"
}
