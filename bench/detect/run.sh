#!/usr/bin/env bash
# Detection throughput benchmark: Outpost's engines vs. a peer Sigma evaluator (azuma, PyPI).
# usage: bench/detect/run.sh [RULES=1200] [MIN_SECS=3] [PEER_MAX_SECS=60]
# Needs the shared data (OUTPOST_SHARED_DIR, default <repo>/../shared). Writes to target dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="${OUTPOST_SHARED_DIR:-$repo/../shared}"
rules="${1:-1200}"; min_secs="${2:-3}"; peer_secs="${3:-60}"
target="${CARGO_TARGET_DIR:-$repo/target}"
work="$target/bench-detect"
if [ ! -d "$shared/data/evtx/attack-samples" ]; then
  echo "SKIPPED: shared data not found at $shared (set OUTPOST_SHARED_DIR)"; exit 0
fi
cd "$repo"
CARGO_TARGET_DIR="$target" cargo build --release -p outpost-detect --example bench_detect
echo "== outpost (1 thread)"
taskset -c 0 "$target/release/examples/bench_detect" "$shared" "$work" "$rules" "$min_secs" | tee "$work.outpost.json"
echo "== peer: azuma (pure Python Sigma evaluator) on the same rules and events"
venv="$target/bench-detect-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "azuma==0.7.3"
fi
taskset -c 0 "$venv/bin/python" "$here/azuma_peer.py" "$work" "$peer_secs" | tee "$work.azuma.json"
