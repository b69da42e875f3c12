# shellcheck shell=bash
# The peers part of `scripts/gpu-check.sh run` (sourced by run.sh; docs/peers.md, issue 18): other
# libraries step CUDA tensors beside ours, timed and checked against the same fp64 reference.
#   configs/gpu-peers.json               ours vs torch.optim.AdamW (fused, foreach) on the GPU
#   configs/gpu-peers-bitsandbytes.json  ours vs bitsandbytes' AdamW32bit and AdamW8bit CUDA kernels
# The interpreter is $BNB_BENCH_PYTHON, else python3. The part is skipped, and says why, when it
# has no torch that sees a CUDA device (the tool itself needs no Python). The bundle's peers/site/
# (bitsandbytes, copied by prepare.sh when it fits) comes first on the interpreter's path; when no
# bitsandbytes steps CUDA tensors here, only its config is left out, and the note says why.

# peer_python CODE: runs CODE in the check's interpreter within the part's budget, the bundle's
# peers/site/ on its path; stdout and stderr in $work/peers-python.log.
peer_python() {
  PYTHONPATH="$bundle/peers/site${PYTHONPATH:+:$PYTHONPATH}" timeout -k 5 "$(remaining)" "$peer_python" -c "$1" \
    >"$work/peers-python.log" 2>&1
}

part_peers() {
  peer_python=${BNB_BENCH_PYTHON:-python3}
  if ! command -v "$peer_python" >/dev/null; then
    skipped=1 note="no Python interpreter \"$peer_python\" on this machine (set BNB_BENCH_PYTHON)"
    return 0
  fi
  if ! peer_python 'import torch, sys
print(f"{torch.__version__} (CUDA {torch.version.cuda})", "" if torch.cuda.is_available() else "sees no CUDA device")
sys.exit(0 if torch.cuda.is_available() else 3)'; then
    skipped=1 note="$peer_python has no torch that steps CUDA tensors: $(last_lines 1 "$work/peers-python.log")"
    return 0
  fi
  local torch_line configs=(gpu-peers) list=() cfg
  torch_line=$(last_lines 1 "$work/peers-python.log")
  # One 8-bit step on the device: bitsandbytes imports and its CUDA library matches torch's CUDA.
  if peer_python 'import torch, bitsandbytes
p = torch.nn.Parameter(torch.zeros(8192, device="cuda")); p.grad = torch.ones_like(p)
bitsandbytes.optim.AdamW8bit([p]).step(); torch.cuda.synchronize(); print(bitsandbytes.__version__)'; then
    configs+=(gpu-peers-bitsandbytes)
    list+=("torch $torch_line, bitsandbytes $(last_lines 1 "$work/peers-python.log")")
  else
    list+=("torch $torch_line; bitsandbytes not run (cannot step CUDA tensors here: $(last_lines 1 "$work/peers-python.log"))")
  fi
  for cfg in "${configs[@]}"; do
    PYTHONPATH="$bundle/peers/site${PYTHONPATH:+:$PYTHONPATH}" BNB_BENCH_PEER_BRIDGE="$bundle/peers/bnb_bench_peer" \
      tool "$cfg" run "$bundle/configs/$cfg.json" --device cuda --python "$peer_python" --quiet \
      --output "$work/$cfg.csv" || return 1
    csv_entries "$cfg" "$work/$cfg.csv" || return 1
    peer_errors "$work/$cfg.csv" || return 1
    list+=("$cfg: $note")
  done
  join_notes "${list[@]}"
}

# peer_errors FILE: every entry of a peers run has its error against the fp64 reference
# (param_rel_l2); note lists them. A peer whose error was not measured fails the part.
peer_errors() {
  local header line i il=-1 ie=-1 out=()
  local -a cols vals
  {
    IFS= read -r header
    IFS=, read -ra cols <<<"$header"
    for i in "${!cols[@]}"; do
      case ${cols[i]} in label) il=$i ;; param_rel_l2) ie=$i ;; esac
    done
    ((il >= 0 && ie >= 0)) || { note="$1: no label or param_rel_l2 column"; return 1; }
    while IFS= read -r line; do
      IFS=, read -ra vals <<<"$line"
      [[ -n ${vals[ie]-} ]] || { note="${vals[il]}: no error against the reference"; return 1; }
      out+=("${vals[il]} rel_l2 $(num "${vals[ie]}")")
    done
  } <"$1"
  join_notes "${out[@]}"
}
