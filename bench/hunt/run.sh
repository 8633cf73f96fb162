#!/usr/bin/env bash
# outpost hunt benchmark (issue 20, point 4): records per second per core of the hunt path on
# the 277 EVTX attack samples, side by side with the `evtx` PyPI package (the Python binding of
# the Rust evtx parser) parsing the same files to JSON, single-threaded each:
#
#   1. outpost, parse + normalize only (no rules)       vs  2. evtx PyPI records_json()
#   3. outpost hunt with every rule of ../shared/data/sigma (what `outpost hunt` evaluates)
#   4. the same on all cores (wall time)
#   5. one large file (the 15-chunk PanacheSysmon sample) hunted on 1 thread, then on all cores
#      (read in parts of its chunks, wall time)
#
# With BEFORE=/path/to/an/older/hunt_bench (or several paths separated by spaces), runs 1 and 3
# are also run with those binaries, in the same loop, for a side-by-side of versions under the
# same load.
#
# Usage: bench/hunt/run.sh [DIR]  (default: $OUTPOST_SHARED_DIR/data/evtx/attack-samples)
# Environment: OUTPOST_SHARED_DIR (default <repo>/../shared), CARGO_TARGET_DIR (default
# /work/target-hunt), EVTX_VENV (default /tmp/hunt-venv, created with `pip install evtx` when
# absent), REPEAT (passes over the directory per hunt measurement, default 5), PARSE_REPEAT
# (passes per parse-only and binding measurement, default REPEAT; parsing is ~4x faster than
# hunting, so 4x REPEAT gives measurements of similar CPU time), RUNS (default 3), BEFORE (see
# above), ALL_CORES (default 1; 0 skips steps 4 and 5), BIN (a hunt_bench already built: no
# build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${OUTPOST_SHARED_DIR:-$ROOT/../shared}
DIR=${1:-$SHARED/data/evtx/attack-samples}
RULES=$SHARED/data/sigma
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-hunt}
VENV=${EVTX_VENV:-/tmp/hunt-venv}
REPEAT=${REPEAT:-5}
PARSE_REPEAT=${PARSE_REPEAT:-$REPEAT}
RUNS=${RUNS:-3}
ALL_CORES=${ALL_CORES:-1}

[ -d "$DIR" ] || { echo "no EVTX directory at $DIR (set OUTPOST_SHARED_DIR)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  echo "== build (release)"
  (cd "$ROOT" && cargo build --locked --release -q -p outpost-hunt --example hunt_bench)
  BIN=$CARGO_TARGET_DIR/release/examples/hunt_bench
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q evtx
fi
echo "evtx (PyPI) $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("evtx"))'), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
find "$DIR" -name '*.evtx' -exec cat {} + > /dev/null   # warm the page cache

BIG=$DIR/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx
for i in $(seq 1 "$RUNS"); do
  echo "== run $i ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
  for b in ${BEFORE:-}; do
    echo -n "before $b: "; "$b" - "$DIR" 1 "$PARSE_REPEAT"
  done
  "$BIN" - "$DIR" 1 "$PARSE_REPEAT"
  "$VENV/bin/python" "$ROOT/bench/hunt/pyevtx_rs.py" "$DIR" 1 "$PARSE_REPEAT"
  for b in ${BEFORE:-}; do
    echo -n "before $b: "; "$b" "$RULES" "$DIR" 1 "$REPEAT"
  done
  "$BIN" "$RULES" "$DIR" 1 "$REPEAT"
  [ "$ALL_CORES" = 0 ] && continue
  "$BIN" "$RULES" "$DIR" 0 "$REPEAT"
  if [ -f "$BIG" ]; then
    echo -n "one large file: "; "$BIN" "$RULES" "$BIG" 1 "$((REPEAT * 4))"
    echo -n "one large file: "; "$BIN" "$RULES" "$BIG" 0 "$((REPEAT * 4))"
  fi
done
