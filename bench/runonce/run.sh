#!/usr/bin/env bash
# Benchmark of `outpost agent run-once` over a 60-minute buffer of N events (default 1,000,000)
# against the 120k-address IPsum hotlist, side by side with bench/runonce/baseline.py.
# A real server runs on 127.0.0.1, so the timing includes hashing, spooling and the upload.
#
#   bench/runonce/run.sh [N] [RUNS]
#
# Each round runs outpost, then the Python script, alternating (the machine is shared and
# noisy). Before the rounds, one "cold" run-once starts without the agent's caches (hotlist
# compiled form, hash cache), as the first run after enrollment or a hotlist update does; the
# rounds then keep `cache/` as the agent does between runs (state and spool are reset each time,
# so every round scans and uploads everything). After the rounds, UNREACHABLE runs (default 3)
# point the agent at a closed port, to separate the upload's cost.
#
# BIN=path/to/outpost skips the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
RUNS=${2:-3}
UNREACHABLE=${UNREACHABLE:-3}
HOTLIST=${HOTLIST:-../shared/data/feeds/ipsum.txt}
[ -f "$HOTLIST" ] || { echo "hotlist $HOTLIST not found (set HOTLIST=...)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked -p outpost >&2
    BIN=${CARGO_TARGET_DIR:-target}/release/outpost
fi
W=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$W"' EXIT
export OUTPOST_LOG=warn
$BIN tenant create --data-dir "$W/server" --name bench >/dev/null
KEY=$($BIN key create --data-dir "$W/server" --kind enrollment --tenant bench 2>/dev/null)
PORT=$((20000 + RANDOM % 20000))
$BIN server --data-dir "$W/server" --listen 127.0.0.1:$PORT & SERVER_PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done
$BIN agent enroll --data-dir "$W/agent" --server http://127.0.0.1:$PORT --key "$KEY" --hotlist "$HOTLIST" 2>/dev/null
python3 bench/runonce/gen_buffer.py "$HOTLIST" "$W/agent/buffer" "$N"
BYTES=$(du -b "$W/agent/buffer" | cut -f1)
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "buffer: $N events, $BYTES bytes; hotlist: $(grep -vc '^#' "$HOTLIST") entries"

# Times one run-once (fresh state and spool); prints the seconds, the report on stderr.
run_agent() {
    rm -rf "$W/agent/state.json" "$W/agent/spool"
    local s e
    s=$(date +%s.%N)
    $BIN agent run-once --data-dir "$W/agent" --now --json > "$W/report.json" || true
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}

rm -rf "$W/agent/cache"
t=$(run_agent)
echo "outpost run-once, cold caches: ${t}s  $(cat "$W/report.json")"
best_rust=999999; best_py=999999
for i in $(seq "$RUNS"); do
    t=$(run_agent)
    echo "outpost run-once #$i: ${t}s  $(cat "$W/report.json")"
    best_rust=$(echo "if ($t < $best_rust) $t else $best_rust" | bc)
    s=$(date +%s.%N)
    py=$(python3 bench/runonce/baseline.py "$HOTLIST" "$W/agent/buffer")
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    echo "python baseline #$i: ${t}s  $py"
    best_py=$(echo "if ($t < $best_py) $t else $best_py" | bc)
done
echo "best: outpost ${best_rust}s, python ${best_py}s, ratio $(echo "scale=1; $best_py / $best_rust" | bc)x"
echo "load average after the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$UNREACHABLE" -gt 0 ]; then
    sed -i "s#^server_url = .*#server_url = \"http://127.0.0.1:9\"#" "$W/agent/agent.toml"
    best_off=999999
    for i in $(seq "$UNREACHABLE"); do
        t=$(run_agent)
        best_off=$(echo "if ($t < $best_off) $t else $best_off" | bc)
        echo "outpost run-once, server unreachable #$i: ${t}s"
    done
    echo "best with the server unreachable (no upload): ${best_off}s"
fi
