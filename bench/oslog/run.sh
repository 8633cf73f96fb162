#!/usr/bin/env bash
# EVTX benchmark: records parsed and normalized per second by outpost-oslog on the attack
# samples, side by side with python-evtx (and the evtx crate alone, rendering JSON) on the same
# files. Usage: bench/oslog/run.sh [DIR]   (default: $OUTPOST_SHARED_DIR/data/evtx/attack-samples)
#
# Environment: OUTPOST_SHARED_DIR (default <repo>/../shared), CARGO_TARGET_DIR (default
# /work/target-oslog), PY_EVTX_VENV (default /tmp/outpost-bench-pyevtx), RUNS (default 3 runs of
# the Rust readers), REPEAT (passes over the directory per Rust run, default 10). python-evtx is
# run once (it needs about 90 CPU seconds for the 277 files).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${OUTPOST_SHARED_DIR:-$ROOT/../shared}
DIR=${1:-$SHARED/data/evtx/attack-samples}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-oslog}
VENV=${PY_EVTX_VENV:-/tmp/outpost-bench-pyevtx}
RUNS=${RUNS:-3}

if [ ! -d "$DIR" ]; then
  echo "no EVTX directory at $DIR (set OUTPOST_SHARED_DIR)" >&2
  exit 1
fi

echo "== build (release)"
(cd "$ROOT" && cargo build --release -q -p outpost-oslog --example oslog_bench)
BIN=$CARGO_TARGET_DIR/release/examples/oslog_bench

if [ ! -x "$VENV/bin/python" ]; then
  echo "== python-evtx venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q python-evtx
fi
echo "python-evtx $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("python-evtx"))')"

# Warm the page cache so every reader sees the same (cached) input.
find "$DIR" -name '*.evtx' -exec cat {} + > /dev/null

REPEAT=${REPEAT:-10}
for i in $(seq 1 "$RUNS"); do
  echo "== run $i"
  /usr/bin/time -f "  cpu: user=%U s sys=%S s wall=%e s maxrss=%M KiB" "$BIN" "$DIR" normalize "$REPEAT"
  /usr/bin/time -f "  cpu: user=%U s sys=%S s wall=%e s maxrss=%M KiB" "$BIN" "$DIR" render "$REPEAT"
done
echo "== python-evtx (once)"
/usr/bin/time -f "  cpu: user=%U s sys=%S s wall=%e s maxrss=%M KiB" \
  "$VENV/bin/python" "$ROOT/bench/oslog/pyevtx_bench.py" "$DIR"
