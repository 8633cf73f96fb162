#!/usr/bin/env bash
# Agent self-update end to end (issue 22), with real builds: the slim agent as built by
# scripts/slim-agent.sh (version A) and a second slim agent built here that differs only in
# its version string (version B, OUTPOST_VERSION_OVERRIDE, own target dir), against a real
# `outpost server` with a release key:
#   - A runs as a daemon, a rollout of B: the agent downloads, verifies, runs B on trial,
#     installs it (A kept as .prev) and re-executes: same pid, the server sees version B,
#     device id, buffer and spool kept;
#   - releases served tampered (a flipped byte), truncated, or signed with another key are
#     refused with their reason and never run; an older release without a rollback order is
#     refused;
#   - a release that exits at start, one over the memory cap, and a real build that cannot
#     reach the server (a network namespace with no route) are rolled back: B stays installed
#     and keeps checking in.
#
#   SLIM=path FULL=path scripts/update-test.sh   (defaults: release-small and debug builds)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[update] $*" >&2; }
fail() {
    echo "FAIL: $*" >&2
    if [ -n "${W:-}" ]; then
        grep -v "collector running" "$W/agent.log" | tail -n 40 >&2
        tail -n 20 "$W/server.log" >&2
    fi
    exit 1
}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
T0=$(date +%s)

if [ -z "${SLIM:-}" ]; then
    cargo build --locked --profile release-small -p outpost --no-default-features --features native-tls
    SLIM=$TARGET/release-small/outpost
fi
if [ -z "${FULL:-}" ]; then
    cargo build --locked -p outpost
    FULL=$TARGET/debug/outpost
fi
VA=$("$SLIM" --version | awk '{print $2}')
VB="$VA-update.2"
log "building the slim agent as version $VB (own target dir)"
OUTPOST_VERSION_OVERRIDE=$VB CARGO_TARGET_DIR=$TARGET/update-test \
    cargo build --locked --profile release-small -p outpost --no-default-features --features native-tls
SLIM_B=$TARGET/update-test/release-small/outpost
[ "$("$SLIM_B" --version | awk '{print $2}')" = "$VB" ] || fail "build B reports $("$SLIM_B" --version)"
log "builds ready after $(( $(date +%s) - T0 )) s"

W=$(mktemp -d)
SERVER_PID= AGENT_PID=
cleanup() {
    set +e
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
export OUTPOST_LOG=${OUTPOST_LOG:-info}

"$FULL" release keygen --out "$W/release.key" > "$W/release.pub"
"$FULL" release keygen --out "$W/other.key" > /dev/null
PORT=$((20000 + RANDOM % 20000))
URL=http://127.0.0.1:$PORT
cat > "$W/server.toml" <<TOML
data_dir = "$W/server"
listen = "127.0.0.1:$PORT"
checkin_flush_ms = 0
[releases]
public_key = "$(cat "$W/release.pub")"
TOML
"$FULL" tenant create --data-dir "$W/server" --name upd >/dev/null
KEY=$("$FULL" key create --data-dir "$W/server" --kind enrollment --tenant upd 2>/dev/null)
ADMIN=$("$FULL" key create --data-dir "$W/server" --kind admin 2>/dev/null)
"$FULL" server --config "$W/server.toml" > "$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/healthz" >/dev/null || { cat "$W/server.log" >&2; fail "server did not start"; }
export OUTPOST_SERVER=$URL OUTPOST_API_KEY=$ADMIN
api() { curl -sf -H "Authorization: Bearer $ADMIN" "$URL/api/v1$1"; }

mkdir -p "$W/bin"
cp "$SLIM" "$W/bin/outpost"
BIN=$W/bin/outpost
D=$W/agent
"$BIN" agent enroll --data-dir "$D" --server "$URL" --key "$KEY" >/dev/null 2>&1
grep -q "^release_public_key = \"$(cat "$W/release.pub")\"" "$D/agent.toml" || fail "release key not pinned at enrollment"
DEV=$(sed -n 's/^device_id = "\(.*\)"/\1/p' "$D/agent.toml")
sed -i -e 's/^checkin_interval_secs = .*/checkin_interval_secs = 5/' \
    -e 's/^correlate_interval_secs = .*/correlate_interval_secs = 3600/' \
    -e 's/^update_health_secs = .*/update_health_secs = 30/' "$D/agent.toml"
grep -q '^update_health_secs = 30$' "$D/agent.toml" || fail "cannot set [daemon] update_health_secs"
# Buffered events and a spooled batch the server will not get (another device's): both
# must survive the update untouched.
mkdir -p "$D/buffer" "$D/spool"
# The current hour's file: the daemon appends to it; the line written here must stay its first.
BUF="$D/buffer/events_$(date -u +%Y%m%d_%H).jsonl"
LINE="{\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"kind\":\"network\",\"source\":\"update-test\",\"network\":{\"direction\":\"outbound\",\"protocol\":\"tcp\",\"remote_ip\":\"192.0.2.1\",\"remote_port\":1}}"
echo "$LINE" > "$BUF"
"$BIN" agent run --data-dir "$D" > "$W/agent.log" 2>&1 &
AGENT_PID=$!

version_of() { api "/devices/$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("agent_version",""))'; }
last_outcome() { api "/devices/$DEV/updates" | python3 -c '
import json,sys
h=json.load(sys.stdin)
print(h[0]["release_id"], h[0]["outcome"], h[0].get("reason") or "-") if h else print("- - -")'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local until=$(( $(date +%s) + $1 )) what=$2; shift 2
    while ! "$@"; do
        [ "$(date +%s)" -lt "$until" ] || fail "timed out waiting for $what"
        kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent (pid $AGENT_PID) died"
        sleep 1
    done
}
is_version() { [ "$(version_of)" = "$1" ]; }
wait_for 30 "the first check-in of $VA" is_version "$VA"

upload() { # upload VERSION FILE [KEY] -> release id
    "$FULL" release upload --key "${3:-$W/release.key}" --os linux --arch "$(uname -m)" --version "$1" "$2" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
rollout() { # rollout RELEASE [--rollback]
    "$FULL" release rollout --release "$1" --tenant upd --healthy-secs 0 "${@:2}" >/dev/null
}
outcome_is() { # outcome_is RELEASE OUTCOME REASON-PATTERN
    local o; o=$(last_outcome)
    [ "${o%% *}" = "$1" ] && echo "$o" | grep -q " $2 " && echo "$o" | grep -qi -- "$3"
}

# 1. The upgrade A -> B.
RB=$(upload "$VB" "$SLIM_B")
rollout "$RB"
wait_for 120 "version $VB reported" is_version "$VB"
wait_for 20 "the installed report" outcome_is "$RB" installed .
kill -0 "$AGENT_PID" || fail "the agent process is gone"
[ "$(readlink "/proc/$AGENT_PID/exe")" = "$BIN" ] || fail "pid $AGENT_PID runs $(readlink "/proc/$AGENT_PID/exe")"
cmp -s "$BIN" "$SLIM_B" || fail "the installed binary is not B"
cmp -s "$BIN.prev" "$SLIM" || fail "the previous binary was not kept as .prev"
[ "$(sed -n 's/^device_id = "\(.*\)"/\1/p' "$D/agent.toml")" = "$DEV" ] || fail "device id changed"
[ "$(head -n 1 "$BUF")" = "$LINE" ] || fail "the buffer lost its events"
[ -d "$D/spool" ] || fail "the spool is gone"
log "upgraded $VA -> $VB in place (pid $AGENT_PID, device $DEV, buffer and spool kept)"
SUM_B=$(sha256sum < "$BIN")

# 2. Releases tampered on the server (as an attacker with the database would): refused.
DB=$W/server/outpost.db
tamper() { # tamper RELEASE flip|truncate
    python3 scripts/release-tamper.py "$DB" "$1" "$2"
}
n=3
for case in "flip:SHA-256" "truncate:size" "wrongkey:signature"; do
    how=${case%%:*} why=${case#*:}
    V="$VB.$n"; n=$((n + 1))
    # Each a distinct file (release files are stored once per content).
    cp "$SLIM" "$W/$how"; echo "$how" >> "$W/$how"
    RT=$(upload "$V" "$W/$how")
    if [ "$how" = wrongkey ]; then
        SIG=$("$FULL" release sign --key "$W/other.key" --os linux --arch "$(uname -m)" --version "$V" "$W/$how")
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=30); c.execute("UPDATE releases SET signature=? WHERE id=?", (sys.argv[2], sys.argv[3])); c.commit()' "$DB" "$SIG" "$RT"
    else
        tamper "$RT" "$how"
    fi
    rollout "$RT"
    wait_for 60 "the $how release refused" outcome_is "$RT" refused "$why"
    [ "$(sha256sum < "$BIN")" = "$SUM_B" ] || fail "the $how release replaced the binary"
    [ ! -e "$W/bin/.outpost.new" ] || fail "the $how release was written beside the binary"
    is_version "$VB" || fail "version changed after the $how release"
    log "$how release refused: $(last_outcome | cut -d' ' -f3-)"
done

# 3. Older than the running version, no rollback ordered: refused.
cp "$SLIM" "$W/old"; echo old >> "$W/old"
RO=$(upload "$VA-old" "$W/old")
rollout "$RO"
wait_for 60 "the older release refused" outcome_is "$RO" refused "older"
log "older release refused: $(last_outcome | cut -d' ' -f3-)"

# 4. A release that exits at start (answers --version, dies as a daemon): rolled back.
printf '#!/bin/sh\nif [ "$1" = --version ]; then echo "outpost %s"; exit 0; fi\necho "crashing at start" >&2\nexit 3\n' "$VB.9" > "$W/crash.sh"
RC=$(upload "$VB.9" "$W/crash.sh")
rollout "$RC"
wait_for 90 "the crashing release rolled back" outcome_is "$RC" rolled_back "exited"
[ "$(sha256sum < "$BIN")" = "$SUM_B" ] || fail "the crashing release was installed"
wait_for 30 "a check-in of $VB after the rollback" is_version "$VB"
kill -0 "$AGENT_PID" || fail "the agent died after the rollback"
log "crashing release rolled back: $(last_outcome | cut -d' ' -f3-)"
api /rollouts | python3 -c '
import json,sys
rs = {r["release_id"]: r for r in json.load(sys.stdin)}
bad = [r for r in rs.values() if r["version"] != sys.argv[1] and r["state"] != "paused"]
assert not bad, ("failed rollouts must be paused", bad)' "$VB"
# 4b. A release over the daemon's memory cap on trial (max_rss_mib, 256 MiB by default): stopped
# and rolled back without waiting for the health window.
printf '#!/bin/sh\nif [ "$1" = --version ]; then echo "outpost %s"; exit 0; fi\nexec python3 -c "import time; b = b\\"x\\" * (400 << 20); time.sleep(600)"\n' "$VB.10" > "$W/hog.sh"
RH=$(upload "$VB.10" "$W/hog.sh")
rollout "$RH"
wait_for 60 "the release over the memory cap rolled back" outcome_is "$RH" rolled_back "memory cap"
[ "$(sha256sum < "$BIN")" = "$SUM_B" ] || fail "the release over the memory cap was installed"
wait_for 30 "a check-in of $VB after the memory-cap rollback" is_version "$VB"
log "release over the memory cap rolled back: $(last_outcome | cut -d' ' -f3-)"
# 4c. A real build that cannot reach the server (run in a network namespace of its own, with no
# route anywhere): no healthy check-in within the health window, rolled back.
NONET=outpost-upd-$$
ip netns add "$NONET" || fail "cannot create a network namespace (root needed)"
trap 'ip netns del "$NONET" 2>/dev/null; cleanup' EXIT
printf '#!/bin/sh\nif [ "$1" = --version ]; then echo "outpost %s"; exit 0; fi\nexec ip netns exec %s %s "$@"\n' "$VB.11" "$NONET" "$SLIM_B" > "$W/nonet.sh"
RN=$(upload "$VB.11" "$W/nonet.sh")
rollout "$RN"
wait_for 90 "the release that cannot reach the server rolled back" outcome_is "$RN" rolled_back "no healthy check-in"
grep -i "check-in failed" "$W/agent.log" | grep -qi "unreachable" \
    || fail "the trial build did not report the server unreachable"
[ "$(sha256sum < "$BIN")" = "$SUM_B" ] || fail "the release that cannot reach the server was installed"
wait_for 30 "a check-in of $VB after the unreachable rollback" is_version "$VB"
kill -0 "$AGENT_PID" || fail "the agent died after the rollbacks"
log "release that cannot reach the server rolled back: $(last_outcome | cut -d' ' -f3-)"
# 5. Remote control jobs, through the job API like any other kind.
TENANT=$(sed -n 's/^tenant_id = "\(.*\)"/\1/p' "$D/agent.toml")
TECH=$("$FULL" key create --data-dir "$W/server" --kind technician 2>/dev/null)
job() { # job TOKEN KIND [PARAMS-JSON] -> job id
    curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' "$URL/api/v1/jobs" \
        -d "{\"tenant_id\":\"$TENANT\",\"device_id\":\"$DEV\",\"kind\":\"$2\",\"filter\":{\"parameters\":${3:-{\}}}}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
job_done() { api "/jobs/$1" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["status"] == "completed" else 1)'; }
# What the server sees: the check-in counters' pipeline.collecting_stopped.
status_says() { api "/devices/$DEV" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("counters", {}).get("pipeline", {}).get("collecting_stopped") == (sys.argv[1] == "1") else 1)' "$1"; }
J=$(job "$ADMIN" agent.stop_collecting)
wait_for 60 "agent.stop_collecting done" job_done "$J"
wait_for 30 "collection stopped" status_says 1
[ -e "$D/collecting-stopped" ] || fail "no collecting-stopped marker"
J=$(job "$ADMIN" agent.resume)
wait_for 60 "agent.resume done" job_done "$J"
wait_for 30 "collection resumed" status_says 0
J=$(job "$ADMIN" agent.reload)
wait_for 60 "agent.reload done" job_done "$J"
J=$(job "$ADMIN" agent.restart)
wait_for 60 "agent.restart done" job_done "$J"
wait_for 30 "the restarted agent's check-in" is_version "$VB"
kill -0 "$AGENT_PID" || fail "the agent died on restart"
# agent.uninstall is admin-only: a technician (allowed "*" jobs) is refused.
S=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TECH" -H 'Content-Type: application/json' "$URL/api/v1/jobs" \
    -d "{\"tenant_id\":\"$TENANT\",\"device_id\":\"$DEV\",\"kind\":\"agent.uninstall\"}")
[ "$S" = 403 ] || fail "a technician created agent.uninstall ($S)"
J=$(job "$ADMIN" agent.uninstall '{"purge":true}')
for _ in $(seq 60); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 1; done
kill -0 "$AGENT_PID" 2>/dev/null && fail "the agent did not stop on agent.uninstall"
wait "$AGENT_PID" || fail "the agent exited with an error on agent.uninstall"
AGENT_PID=
job_done "$J" || fail "the agent.uninstall job is not completed"
[ ! -e "$D" ] || fail "agent.uninstall with purge left $D"
log "control jobs: stop_collecting, resume, reload, restart, uninstall (technician refused; data purged)"
COUNTS=$(api "/devices/$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["updates"])')
log "PASS in $(( $(date +%s) - T0 )) s: agent update counters $COUNTS"
