# shellcheck shell=bash
# `scripts/gpu-check.sh prepare` (sourced): build the gpu-check preset and bundle what `run` needs
# into gpu-bundle/, then prove the bundle needs nothing of this machine beyond glibc, and pack it
# as gpu-bundle.tar.gz: that is what travels (the CUDA code compresses about 3:1, and the binaries
# alone are over the 64 MiB a GPU machine receives).
#
# Bundle layout (paths relative to the bundle):
#   bin/            bnb-bench, gpu_probe (stripped; RPATH $ORIGIN/../lib)
#   device-tests/   every GoogleTest binary of tests/device (the GPU suite, label gpu)
#   lib/            the shared libraries they need that a bare machine lacks (libgomp)
#   configs/, tests/data/   the configs of the check and the trace they replay (same relative paths
#                   as in the repository, so a config's trace path still resolves)
#   peers/          the peer bridge (bnb_bench_peer/) and, when a peers environment is here
#                   (scripts/setup-peers.sh), a copy of its bitsandbytes in site/: the Python files,
#                   the CPU library and the newest CUDA libraries that keep the packed bundle under
#                   the limit (the whole package is ~125 MiB: one library per CUDA version)
#   INFO            key=value: revision, build date, CUDA architectures, glibc_required
#   MANIFEST        sha256sum of every other file (`run` checks it: a damaged carry stops there)

bundle_dir=$root/gpu-bundle
bundle_archive=$root/gpu-bundle.tar.gz
build_dir=$root/build/gpu-check
# What every glibc system has (glibc, and libgcc_s, which glibc itself loads for thread
# cancellation); anything else a binary needs must come from the bundle's lib/. libcuda.so.1 is
# not among them on purpose: the static CUDA runtime loads the machine's driver with dlopen, so
# it is never a link-time dependency.
base_libs=(linux-vdso.so.1 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 ld-linux-x86-64.so.2
           libgcc_s.so.1)
bundle_limit_mib=56  # the packed bundle: a GPU machine receives 64 MiB, the working tree (~7 MiB) included
glibc_max=2.34       # Ubuntu 22.04 has 2.35, RHEL 9 2.34: the oldest systems CUDA 13 supports that we aim at

prepare_bundle() {
  cd "$root"
  bash scripts/setup.sh
  cmake --preset gpu-check >/dev/null
  cmake --build --preset gpu-check --target gpu_check_inputs -j "$(nproc)"

  rm -rf "$bundle_dir"
  mkdir -p "$bundle_dir"/{bin,device-tests,lib,configs,tests/data}
  local kind path info=()
  while read -r kind path; do
    case $kind in
      tool | probe) strip --strip-unneeded -o "$bundle_dir/bin/$(basename "$path")" "$path" ;;
      test) strip --strip-unneeded -o "$bundle_dir/device-tests/$(basename "$path")" "$path" ;;
      info) info+=("$path") ;;
    esac
  done <"$build_dir/gpu-check-inputs.txt"
  bundle_shared_libraries
  cp configs/gpu-identity-replay.json configs/gpu-identity-dtypes.json configs/gpu-256m.json configs/gpu-algorithms.json \
    configs/gpu-peers.json configs/gpu-peers-bitsandbytes.json "$bundle_dir/configs/"
  cp tests/data/example_trace.safetensors "$bundle_dir/tests/data/"
  bundle_peers
  write_bundle_info "${info[@]}"
  (cd "$bundle_dir" && find . -type f ! -name MANIFEST | LC_ALL=C sort | xargs sha256sum >MANIFEST)
  tar -C "$root" -czf "$bundle_archive" "$(basename "$bundle_dir")"
  verify_bundle
}

# Bytes that PATHS... take packed (tar | gzip, as bundle_archive is made).
packed_bytes() { tar -C "$root" -cf - "$@" | gzip -c | wc -c; }

# peers/: the bridge, and bitsandbytes from the peers environment ($BNB_BENCH_PEERS_VENV, else
# .venv-peers) when there is one: the GPU machines have torch but not bitsandbytes.
bundle_peers() {
  mkdir -p "$bundle_dir/peers/site"
  cp -r scripts/bnb_bench_peer "$bundle_dir/peers/"
  find "$bundle_dir/peers" -name __pycache__ -prune -exec rm -rf {} +
  local venv=${BNB_BENCH_PEERS_VENV:-$root/.venv-peers} package lib used left
  package=$(find "$venv"/lib/python3*/site-packages -maxdepth 1 -name bitsandbytes -type d 2>/dev/null | head -n 1)
  if [[ -z $package ]]; then
    echo "gpu-check prepare: no bitsandbytes in $venv (scripts/setup-peers.sh): the peers part will run torch only"
    return
  fi
  cp -r "$package" "$(dirname "$package")"/bitsandbytes-*.dist-info "$bundle_dir/peers/site/"
  find "$bundle_dir/peers/site" \( -name __pycache__ -o -name 'libbitsandbytes_*.so' \) -prune -exec rm -rf {} +
  cp "$package/libbitsandbytes_cpu.so" "$bundle_dir/peers/site/bitsandbytes/"
  used=$(packed_bytes "$(basename "$bundle_dir")")
  left=$((bundle_limit_mib * 1048576 - used - 1048576))  # 1 MiB for INFO and MANIFEST
  local kept=() dropped=() size
  while read -r lib; do
    size=$(gzip -c "$lib" | wc -c)
    if ((size <= left)); then
      cp "$lib" "$bundle_dir/peers/site/bitsandbytes/"
      left=$((left - size))
      kept+=("$(basename "$lib")")
    else
      dropped+=("$(basename "$lib")")
    fi
  done < <(ls "$package"/libbitsandbytes_cuda*.so | sort -V -r)
  echo "gpu-check prepare: bitsandbytes from $venv with ${kept[*]:-no CUDA library}; left out (over the ${bundle_limit_mib} MiB limit): ${dropped[*]:-none}"
}

# Every ELF file of the bundle, one per line.
bundle_elf_files() {
  local f
  for f in "$bundle_dir"/bin/* "$bundle_dir"/device-tests/* "$bundle_dir"/lib/*; do
    [[ -f $f && $(head -c 4 "$f" | od -An -c | tr -d ' ') == '177ELF' ]] && echo "$f"
  done
}

is_base_lib() {
  local lib
  for lib in "${base_libs[@]}"; do [[ $1 == "$lib" ]] && return 0; done
  return 1
}

# Copies every shared library the binaries load that is not glibc's into lib/, until nothing new
# appears (the libraries' own dependencies included).
bundle_shared_libraries() {
  local added=1 f name arrow path rest
  while ((added)); do
    added=0
    while read -r f; do
      while read -r name arrow path rest; do
        [[ $arrow == "=>" && -f $path ]] || continue
        is_base_lib "$name" || [[ -e $bundle_dir/lib/$name ]] && continue
        cp -L "$path" "$bundle_dir/lib/$name"
        added=1
      done < <(ldd "$f")
    done < <(bundle_elf_files)
  done
}

# INFO: what the summary says about the bundle, and the newest glibc symbol version any of its
# binaries asks for (`run` refuses an older glibc; above glibc_max, prepare itself fails).
write_bundle_info() {
  local glibc
  glibc=$(bundle_elf_files | xargs objdump -T | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  {
    echo "revision=$(git describe --always --dirty 2>/dev/null || echo unknown)"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    printf '%s\n' "$@"
    echo "glibc_required=$glibc"
  } >"$bundle_dir/INFO"
}

# The proof that the bundle is self-contained, run with an empty environment (no
# LD_LIBRARY_PATH, no PATH additions): every library each ELF file loads resolves either inside
# the bundle or to glibc, nothing is "not found", no C++ runtime is loaded from the system, and the
# binaries start (bnb-bench --version, the device tests list their cases, gpu_probe answers).
verify_bundle() {
  local f name arrow path rest problems=()
  while read -r f; do
    while read -r name arrow path rest; do
      [[ $arrow == "=>" ]] || continue  # linux-vdso and the dynamic loader: the kernel's and glibc's
      if [[ $path == not ]]; then
        problems+=("${f#"$bundle_dir"/}: $name not found")
      elif [[ $path != "$bundle_dir"/* ]] && ! is_base_lib "$name"; then
        problems+=("${f#"$bundle_dir"/}: $name comes from $path, outside the bundle")
      fi
    done < <(env -i /usr/bin/ldd "$f")
  done < <(bundle_elf_files)
  env -i "$bundle_dir/bin/bnb-bench" --version >/dev/null || problems+=("bin/bnb-bench --version failed")
  for f in "$bundle_dir"/device-tests/*; do
    env -i "$f" --gtest_list_tests >/dev/null || problems+=("${f#"$bundle_dir"/} --gtest_list_tests failed")
  done
  local probe_rc=0
  env -i "$bundle_dir/bin/gpu_probe" >/dev/null 2>&1 || probe_rc=$?
  ((probe_rc <= 1)) || problems+=("bin/gpu_probe failed (exit $probe_rc)")
  local bytes glibc
  glibc=$(sed -n 's/^glibc_required=//p' "$bundle_dir/INFO")
  [[ $(printf '%s\n' "$glibc" "$glibc_max" | sort -V | tail -n 1) == "$glibc_max" ]] ||
    problems+=("the binaries need glibc $glibc, newer than the $glibc_max a GPU machine may have: $(bundle_elf_files | xargs objdump -T | grep -F "GLIBC_$glibc" | sed 's/.* //' | sort -u | tr '\n' ' ')")
  local packed
  bytes=$(du -sb "$bundle_dir" | cut -f1)
  packed=$(stat -c %s "$bundle_archive")
  ((packed < bundle_limit_mib * 1024 * 1024)) || problems+=("the packed bundle is $((packed / 1048576)) MiB, over the ${bundle_limit_mib} MiB that may travel to a GPU machine beside the working tree")
  if ((${#problems[@]})); then
    rm -f "$bundle_archive"
    printf 'gpu-check prepare: the bundle is not self-contained:\n' >&2
    printf '  %s\n' "${problems[@]}" >&2
    exit 1
  fi
  echo "gpu-check prepare: bundle self-contained (checked with env -i ldd: only glibc and libgcc_s outside the bundle)"
  (cd "$bundle_dir" && find . -type f -printf '  %-40p %10s bytes\n' | LC_ALL=C sort)
  echo "  total $((bytes / 1024)) KiB ($(mib "$bytes") MiB); packed $(mib "$packed") MiB, limit ${bundle_limit_mib} MiB; needs glibc >= $glibc"
  echo "carry to the GPU machine: ${bundle_archive#"$root"/} (relative to the repository root)"
  echo "$bundle_archive"
}

# Bytes as MiB with one decimal, in bash integer arithmetic.
mib() { echo "$(($1 / 1048576)).$(($1 % 1048576 * 10 / 1048576))"; }
