#!/usr/bin/env bash
# One SQLite run of bench/load/run.sh with given binaries, for side-by-side comparisons of two
# builds (run it alternately for each): bench/load/ab.sh BIN LOADGEN AGENTS HITS_PER_S DURATION_S
set -euo pipefail
BIN=$1; GEN=$2; AGENTS=$3; HPS=$4; DUR=$5
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/sqlite
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" tenant create --data-dir "$data" --name load >/dev/null
key=$("$BIN" key create --data-dir "$data" --kind enrollment --tenant load)
OUTPOST_LOG=warn "$BIN" server --data-dir "$data" --listen "127.0.0.1:$port" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
"$GEN" --url "http://127.0.0.1:$port" --enrollment-key "$key" --agents "$AGENTS" \
    --interval-s 60 --hits-per-s "$HPS" --batch 10 --duration-s "$DUR"
kill "$pid"; wait "$pid" 2>/dev/null || true
