#!/usr/bin/env bash
# One command that proves `bnb-bench --device cuda` on a GPU machine (issue 17, docs/gpu-check.md).
# The GPU machines are bare and offline (glibc, the NVIDIA driver, nvcc, CMake, a C++ compiler;
# none of our Debian packages), so the check has two halves:
#
#   scripts/gpu-check.sh prepare
#       On one of our CPU machines: builds the gpu-check preset (the cuda preset as portable
#       binaries) and bundles bnb-bench, the GPU test suite, tools/gpu_probe, the shared libraries
#       they need beyond glibc and the driver, and the configs of the check into gpu-bundle/,
#       packed as gpu-bundle.tar.gz (both ignored by git; carry the packed one to the GPU
#       machine). Its last line is the packed bundle's path.
#   scripts/gpu-check.sh run [BUNDLE] [--results DIR]
#       On the GPU machine, nothing built or installed (bash, coreutils, tar and gzip): BUNDLE is
#       gpu-bundle.tar.gz or an unpacked bundle (default: gpu-bundle/, else gpu-bundle.tar.gz,
#       at the repository root). The parts device, device-tests, identity, suite, 256m,
#       algorithms, peers in order, stopping at the first that fails
#       (peers is skipped without a torch that sees the device); one summary on stdout and in
#       DIR/<date>-<device>.md (default results/gpu/).
#   scripts/gpu-check.sh compare-dumps DIR_A DIR_B
#       The identity part's comparison on its own: two `bnb-bench run --dump` directories,
#       tensor by tensor, metadata aside.
#
# Exit status: 0 every part passed; 1 a part failed; 2 no CUDA device (the first part);
# 64 usage, or a bundle that is missing, damaged or needs a newer glibc than this machine's.
set -euo pipefail
export LC_ALL=C  # numbers printed and compared with a decimal point
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

# The comment above, as help text (bash alone: `run` must not need more than bash, coreutils, tar and gzip).
usage() {
  local line
  ((${1:-64} == 0)) || exec >&2
  while IFS= read -r line && [[ $line == "#"* ]]; do
    [[ $line == "#!"* ]] || { line=${line#\#}; echo "${line# }"; }
  done <"$0"
  exit "${1:-64}"
}

case "${1:-}" in
  prepare)
    shift
    (($# == 0)) || usage
    # shellcheck source=gpu-check/prepare.sh
    source "$here/gpu-check/prepare.sh"
    prepare_bundle
    ;;
  run)
    shift
    # shellcheck source=gpu-check/compare-dumps.sh
    source "$here/gpu-check/compare-dumps.sh"
    # shellcheck source=gpu-check/run.sh
    source "$here/gpu-check/run.sh"
    # shellcheck source=gpu-check/peers.sh
    source "$here/gpu-check/peers.sh"
    run_check "$@"
    ;;
  compare-dumps)
    shift
    (($# == 2)) || usage
    # shellcheck source=gpu-check/compare-dumps.sh
    source "$here/gpu-check/compare-dumps.sh"
    compare_dump_dirs "$1" "$2"
    ;;
  -h | --help) usage 0 ;;
  *) usage ;;
esac
