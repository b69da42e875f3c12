#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those missing, plus any packages named as
# arguments (scripts/test.sh adds chromium-headless-shell for the report test, scripts/setup-peers.sh
# the Python venv and headers). Idempotent: a second run installs nothing and takes a fraction of a
# second. python3 (standard library only) runs the peer bridge tests (docs/peers.md); nothing
# else of the tool needs Python.
set -euo pipefail
packages=(cmake ninja-build g++ libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev
          libgmock-dev libbenchmark-dev libomp-dev python3 "$@")
# valgrind: the instruction-count speed gate (scripts/step-instructions.sh) and its callgrind.h.
packages+=(valgrind)
# Open MPI: sharded runs under mpirun and their tests (docs/distributed.md); about 20 s of apt on
# a fresh machine. CMake builds the tool without MPI when it is absent.
packages+=(openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
