#!/usr/bin/env bash
# CI smoke run of the fuzz targets (docs/fuzzing.md): installs cargo-afl if missing, builds
# the targets of fuzz/ (AFL++ instrumentation, stable Rust), builds the seed corpora from
# ../shared (fuzz/seed.sh) and runs every target for FUZZ_SMOKE_SECS seconds (default 20)
# under nice. Fails when a target crashes (the crashing inputs are listed) or cannot run.
#
# Env: FUZZ_SMOKE_SECS (per target), FUZZ_TARGETS (space-separated subset), CARGO_TARGET_DIR
# (the targets go to $CARGO_TARGET_DIR/fuzz-afl, apart from the workspace's own builds: other
# RUSTFLAGS would otherwise rebuild the shared dependencies back and forth).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
secs="${FUZZ_SMOKE_SECS:-20}"
targets="${FUZZ_TARGETS:-agent_bodies intel_bundle evtx audit pcap stix_pattern stix_bundle rules config_overlay sensoroni dns}"
AFL_VERSION=0.18.2

if ! cargo afl --version >/dev/null 2>&1; then
  echo "fuzz-smoke: installing cargo-afl $AFL_VERSION from crates.io"
  cargo install cargo-afl --locked --version "$AFL_VERSION"
fi
# The AFL++ runtime is built once per toolchain (cargo-afl's install usually did it already).
if ! out=$(cargo afl config --build 2>&1); then
  grep -q "already built" <<<"$out" || { echo "$out" >&2; echo "fuzz-smoke: cannot build AFL++" >&2; exit 1; }
fi

export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-target}")/fuzz-afl"
(cd fuzz && nice -n 10 cargo afl build --release --locked)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash fuzz/seed.sh "$work/corpus" > "$work/seed.log" 2>&1 || { cat "$work/seed.log" >&2; exit 1; }

failed=()
for t in $targets; do
  if ! CORPUS="$work/corpus" OUT="$work/out" nice -n 19 bash fuzz/run.sh "$t" "$secs"; then
    failed+=("$t")
    mkdir -p fuzz/crashes
    cp -r "$work/out/$t/default/crashes" "fuzz/crashes/$t" 2>/dev/null || true
  fi
done
echo "fuzz-smoke: $(( $(date +%s) - start )) s"
if (( ${#failed[@]} > 0 )); then
  echo "fuzz-smoke: FAILED: ${failed[*]} (inputs copied to fuzz/crashes/)" >&2
  exit 1
fi
echo "fuzz-smoke: all targets ran without a crash"
