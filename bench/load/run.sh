#!/usr/bin/env bash
# Server load benchmark (issue 6): simulated agents checking in on their interval plus hit
# uploads, against a real `outpost server` (release build) on SQLite and on PostgreSQL.
#
#   bench/load/run.sh [AGENTS] [HITS_PER_S] [DURATION_S]      defaults: 50000 2000 60
#
# PostgreSQL: OUTPOST_TEST_PG_URL (from `scripts/services.sh env`); without it only SQLite
# runs. Prints one JSON line per backend (rates, p50/p99/max latency per request kind).
set -euo pipefail
cd "$(dirname "$0")/../.."
AGENTS=${1:-50000}
HPS=${2:-2000}
DUR=${3:-60}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -p outpost >&2
cargo build --release --locked -p outpost-server --example loadgen >&2
BIN=$TARGET/release/outpost
GEN=$TARGET/release/examples/loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() {
    # PostgreSQL when OUTPOST_DATABASE_URL is set (read by every command below).
    local name=$1
    local data=$work/$name port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$BIN" tenant create --data-dir "$data" --name load >/dev/null
    local key
    key=$("$BIN" key create --data-dir "$data" --kind enrollment --tenant load)
    OUTPOST_LOG=warn "$BIN" server --data-dir "$data" --listen "127.0.0.1:$port" &
    local pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    echo "[$name] $AGENTS agents every 60 s + $HPS hits/s for $DUR s" >&2
    local res
    res=$("$GEN" --url "http://127.0.0.1:$port" --enrollment-key "$key" --agents "$AGENTS" \
        --interval-s 60 --hits-per-s "$HPS" --batch 10 --duration-s "$DUR")
    echo "{\"backend\":\"$name\",${res#\{}"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

run sqlite
if [ -n "${OUTPOST_TEST_PG_URL:-}" ]; then
    schema="load_$$"
    psql "$OUTPOST_TEST_PG_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema"
    sep='?'; [[ $OUTPOST_TEST_PG_URL == *\?* ]] && sep='&'
    url="$OUTPOST_TEST_PG_URL${sep}options=-c%20search_path%3D$schema"
    OUTPOST_DATABASE_URL="$url" run postgres
    psql "$OUTPOST_TEST_PG_URL" -qc "DROP SCHEMA $schema CASCADE"
fi
