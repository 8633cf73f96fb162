#!/usr/bin/env bash
# The slim agent-only build (issue 3): builds it as the README says, checks that it is at most
# 5 MB stripped and carries no server (no server commands; no tokio, axum or sqlx in its
# dependency tree), and that it talks HTTPS through the system's OpenSSL:
# it enrolls with and uploads a hit to a real `outpost server` serving TLS with a test CA
# (trusted through SSL_CERT_FILE, as an operator's CA store would be), and refuses the same
# server when the CA is not trusted.
#
#   scripts/slim-agent.sh            build, check, smoke-test
#   FULL=path/to/outpost scripts/slim-agent.sh   use that server binary (default: build debug)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[slim] $*" >&2; }
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
MAX_BYTES=5000000

SLIM_FEATURES=(--no-default-features --features native-tls)

# The slim agent carries no server runtime: its dependency tree (normal dependencies, as the
# slim build resolves them) holds no tokio, axum or sqlx crate (nor their -core, -util, …).
log "checking the slim agent's dependency tree (no tokio, axum or sqlx)"
TREE=$(cargo tree --locked --offline -p outpost "${SLIM_FEATURES[@]}" -e normal --prefix none --format '{p}')
SERVER_DEPS=$(echo "$TREE" | awk '{print $1}' | grep -E '^(tokio|axum|sqlx)(-|$)' | sort -u || true)
if [ -n "$SERVER_DEPS" ]; then
    echo "FAIL: the slim agent depends on $(echo $SERVER_DEPS | tr ' ' ',') (cargo tree -p outpost ${SLIM_FEATURES[*]} -e normal -i <crate> shows why)" >&2
    exit 1
fi
log "dependency tree: $(echo "$TREE" | sort -u | wc -l) crates, no tokio, axum or sqlx"

log "building the slim agent (release-small, ${SLIM_FEATURES[*]})"
cargo build --locked --profile release-small -p outpost "${SLIM_FEATURES[@]}"
SLIM=$TARGET/release-small/outpost
SIZE=$(stat -c %s "$SLIM")
log "slim agent: $SIZE bytes stripped ($(ldd "$SLIM" | awk '{print $1}' | tr '\n' ' '))"
if [ "$SIZE" -gt "$MAX_BYTES" ]; then
    echo "FAIL: the slim agent is $SIZE bytes, over $MAX_BYTES" >&2
    exit 1
fi
if "$SLIM" --help | grep -qE '^\s+(server|up|tenant|key|user)\s'; then
    echo "FAIL: the slim agent offers server commands" >&2
    exit 1
fi
# `outpost hunt` is in the full binary only (README: the detection engine does not fit).
if "$SLIM" --help | grep -qE '^\s+hunt\s'; then
    echo "FAIL: the slim agent offers hunt, documented as full-binary only" >&2
    exit 1
fi

# No EVTX reader in the slim agent: an EVTX file is refused, clearly, not skipped.
EVTX=$(find ../shared/data/evtx -name '*.evtx' -print -quit 2>/dev/null || true)
if [ -n "$EVTX" ]; then
    D=$(mktemp -d)
    if "$SLIM" agent ingest --data-dir "$D" "$EVTX" > "$D/out" 2>&1; then
        echo "FAIL: the slim agent accepted an EVTX file" >&2
        exit 1
    fi
    grep -q "cannot read EVTX files" "$D/out" || { cat "$D/out" >&2; exit 1; }
    rm -rf "$D"
elif [ "${OUTPOST_REQUIRE_SHARED:-0}" = 1 ]; then
    echo "FAIL: ../shared/data/evtx is missing" >&2
    exit 1
fi

if [ -z "${FULL:-}" ]; then
    cargo build --locked -p outpost
    FULL=$TARGET/debug/outpost
fi
W=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$W"' EXIT
export OUTPOST_LOG=warn

# A test CA and a server certificate for 127.0.0.1 / localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Outpost test CA" \
    -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$W/server.key" -out "$W/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$W/ext.cnf"
openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
    -extfile "$W/ext.cnf" -out "$W/server.pem" 2>/dev/null

PORT=$((20000 + RANDOM % 20000))
cat > "$W/server.toml" <<TOML
data_dir = "$W/server"
listen = "127.0.0.1:$PORT"
[tls]
cert = "$W/server.pem"
key = "$W/server.key"
TOML
"$FULL" tenant create --data-dir "$W/server" --name slim >/dev/null
KEY=$("$FULL" key create --data-dir "$W/server" --kind enrollment --tenant slim 2>/dev/null)
ADMIN=$("$FULL" key create --data-dir "$W/server" --kind admin 2>/dev/null)
"$FULL" server --config "$W/server.toml" > "$W/server.log" 2>&1 &
SERVER_PID=$!
URL=https://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf --cacert "$W/ca.pem" "$URL/healthz" >/dev/null && break; sleep 0.1; done
curl -sf --cacert "$W/ca.pem" "$URL/healthz" >/dev/null || { cat "$W/server.log" >&2; exit 1; }

HOT=203.0.113.7
echo "$HOT" > "$W/hotlist.txt"
# Untrusted CA: the slim agent must refuse the server.
if SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent "$SLIM" agent enroll --data-dir "$W/untrusted" \
    --server "$URL" --key "$KEY" --hotlist "$W/hotlist.txt" > "$W/untrusted.log" 2>&1; then
    echo "FAIL: the slim agent enrolled with a server whose CA it does not trust" >&2
    exit 1
fi
grep -qi "certificate\|tls\|ssl" "$W/untrusted.log" || { cat "$W/untrusted.log" >&2; exit 1; }
log "an untrusted server is refused: $(tail -1 "$W/untrusted.log")"

export SSL_CERT_FILE=$W/ca.pem
"$SLIM" agent enroll --data-dir "$W/agent" --server "$URL" --key "$KEY" --hotlist "$W/hotlist.txt" >/dev/null
mkdir -p "$W/agent/buffer"
TS=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
F="$W/agent/buffer/events_$(date -u +%Y%m%d_%H).jsonl"
for ip in 198.51.100.1 "$HOT" "$HOT" 192.0.2.9; do
    echo "{\"ts\":\"$TS\",\"kind\":\"network\",\"source\":\"test\",\"process\":{\"pid\":42,\"name\":\"curl\",\"exe\":\"/usr/bin/curl\"},\"network\":{\"direction\":\"outbound\",\"protocol\":\"tcp\",\"remote_ip\":\"$ip\",\"remote_port\":443}}" >> "$F"
done
"$SLIM" agent run-once --data-dir "$W/agent" --now --json > "$W/report.json"
python3 - "$W/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["hits"] == 1 and r["hits_stored"] == 1 and r["pending"] == 0, r
PY
STORED=$(curl -sf --cacert "$W/ca.pem" -H "Authorization: Bearer $ADMIN" "$URL/api/v1/hits?remote_ip=$HOT")
python3 -c "import json,sys; h=json.loads(sys.argv[1])['items']; assert len(h)==1 and h[0]['hit_count']==2 and h[0]['process_name']=='curl', h" "$STORED"
log "PASS: $SIZE bytes (max $MAX_BYTES), no server commands, EVTX refused, HTTPS through the system's OpenSSL (enroll, upload; an untrusted CA refused)"
