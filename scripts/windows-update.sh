#!/usr/bin/env bash
# Self-update of the Windows service (issue 22 point 3) under Wine, called by
# scripts/windows-service.sh while the OutpostAgent service runs build A (installed as
# C:\Program Files\Outpost\outpost.exe, enrolled with the release key pinned, checking in every
# 5 s, update_health_secs 30), with build B (the same sources, another version string) and a
# running Linux `outpost server` that has the release key:
#
#   EXE=A.exe EXE_B=B.exe URL=… ADMIN=… TENANT=… FULL=…/outpost RELEASE_KEY=… DB=…/outpost.db \
#       WINEPREFIX=… scripts/windows-update.sh
#
#   - a release whose stored file was tampered with (a flipped byte) is refused, never written
#     beside outpost.exe, and the service runs on;
#   - a release that exits at start (a real Windows program) is rolled back after its trial:
#     outpost.exe was never replaced, the same service process carries on and checks in;
#   - the rollout of B: the service downloads and verifies it, runs it on trial (`agent run`,
#     OUTPOST_UPDATE_TRIAL=1), renames the running outpost.exe to outpost.exe.prev and B into
#     its place, stops, and its detached `agent service-restart` has the SCM start it again:
#     the server sees version B from the same device, the data directory (device id, buffer,
#     spool) is kept, and nothing is left under the staged name;
#   - an `agent.restart` job restarts the service the same way (a new service process);
#   - a console `outpost.exe agent run` (not the service) enrolled afterwards gets the release
#     too: it installs it beside itself, starts the new build with its own arguments and exits.
set -euo pipefail
: "${EXE:?}" "${EXE_B:?}" "${URL:?}" "${KEY:?}" "${ADMIN:?}" "${TENANT:?}" "${FULL:?}" "${RELEASE_KEY:?}" "${DB:?}" "${WINEPREFIX:?}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "[windows-update] $(date -u +%H:%M:%S) $*" >&2; }
T0=$(date +%s)
W=$(mktemp -d)
# The console agent (last step) runs from $W: stopped before $W goes.
console_pids() { pgrep -f 'console-data' || true; }
cleanup() {
    local p
    p=$(console_pids)
    [ -z "$p" ] || kill $p 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(console_pids)" ] && break; sleep 0.2; done
    rm -rf "$W"
}
trap cleanup EXIT
C=$WINEPREFIX/drive_c
DATA=$C/ProgramData/Outpost
BIN="$C/Program Files/Outpost/outpost.exe"
STAGED="$C/Program Files/Outpost/.outpost.new.exe"
SVCLOG=$DATA/logs/agent-service.log
RESTARTLOG=$DATA/logs/agent-service-restart.log
TRIALLOG=$DATA/logs/agent-trial.log
fail() {
    echo "FAIL: $*" >&2
    for f in "$SVCLOG" "$RESTARTLOG" "$TRIALLOG" "$W/console.log"; do
        [ -f "$f" ] && { echo "--- $f" >&2; grep -v 'collector running' "$f" | tail -n 30 >&2; }
    done
    pgrep -af 'outpost.exe' >&2 || true
    exit 1
}
export OUTPOST_SERVER=$URL OUTPOST_API_KEY=$ADMIN
api() { curl -sf -H "Authorization: Bearer $ADMIN" "$URL/api/v1$1"; }
DEV=$(sed -n 's/^device_id = "\(.*\)"/\1/p' "$DATA/agent.toml")
[ -n "$DEV" ] || fail "the service's data directory is not enrolled"
ver() { wine "$1" --version | tr -d '\r' | awk '{print $2}'; }
VA=$(ver "$EXE")
VB=$(ver "$EXE_B")
[ -n "$VA" ] && [ -n "$VB" ] && [ "$VA" != "$VB" ] || fail "builds A ($VA) and B ($VB) must differ in version"

svc_pid() { pgrep -n -f 'outpost.exe agent service --data-dir' || true; }
version_of() { api "/devices/$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("agent_version",""))'; }
last_outcome() { api "/devices/$DEV/updates" | python3 -c '
import json,sys
h=json.load(sys.stdin)
print(h[0]["release_id"], h[0]["outcome"], h[0].get("reason") or "-") if h else print("- - -")'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local until=$(( $(date +%s) + $1 )) what=$2
    shift 2
    while ! "$@"; do
        [ "$(date +%s)" -lt "$until" ] || fail "timed out waiting for $what"
        sleep 1
    done
}
is_version() { [ "$(version_of)" = "$1" ]; }
outcome_is() { # outcome_is RELEASE OUTCOME REASON-PATTERN
    local o
    o=$(last_outcome)
    [ "${o%% *}" = "$1" ] && echo "$o" | grep -q " $2 " && echo "$o" | grep -qi -- "$3"
}
upload() { # upload VERSION FILE -> release id
    "$FULL" release upload --key "$RELEASE_KEY" --os windows --arch x86_64 --version "$1" "$2" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
rollout() { "$FULL" release rollout --release "$1" --tenant "$TENANT" --healthy-secs 0 >/dev/null; }
unchanged() { # the installed binary is still A and nothing is staged beside it
    cmp -s "$BIN" "$EXE" || fail "$1: outpost.exe was replaced"
    [ ! -e "$STAGED" ] || fail "$1: a staged release was left beside outpost.exe"
}

wait_for 60 "the service's check-in as $VA" is_version "$VA"
grep -q '^release_public_key = ' "$DATA/agent.toml" || fail "no release key pinned at enrollment"
PID_A=$(svc_pid)
[ -n "$PID_A" ] || fail "the service is not running"
ls "$DATA/buffer" > "$W/buffer-before"
SPOOL=$([ -d "$DATA/spool" ] && echo yes || echo no)

log "a tampered release (one byte flipped in the server's database): refused, never written"
cp "$EXE_B" "$W/flip.exe"
echo flip >> "$W/flip.exe" # a distinct file: releases are stored once per content
RT=$(upload "$VB.3" "$W/flip.exe")
python3 "$ROOT/scripts/release-tamper.py" "$DB" "$RT" flip
rollout "$RT"
wait_for 90 "the tampered release refused" outcome_is "$RT" refused "SHA-256"
unchanged "the tampered release"
log "tampered release refused: $(last_outcome | cut -d' ' -f3-)"

log "a release that exits at start: run on trial, rolled back, the service carries on"
x86_64-w64-mingw32-gcc -O2 -s -DVERSION="\"$VB.9\"" -o "$W/crash.exe" "$ROOT/scripts/wine/exit-at-start.c"
RC=$(upload "$VB.9" "$W/crash.exe")
rollout "$RC"
wait_for 120 "the crashing release rolled back" outcome_is "$RC" rolled_back "exited"
unchanged "the crashing release"
[ "$(svc_pid)" = "$PID_A" ] || fail "the service process changed after a rollback ($PID_A -> $(svc_pid))"
grep -q 'crashing at start' "$TRIALLOG" || fail "the trial's output is not in $TRIALLOG"
# A check-in after the rollback: the reported outcome reaches the server through one.
wait_for 30 "a check-in of $VA after the rollback" is_version "$VA"
log "crashing release rolled back: $(last_outcome | cut -d' ' -f3-)"

log "the rollout of $VB: trial, install beside the running outpost.exe, service restarted by the SCM"
RB=$(upload "$VB" "$EXE_B")
T1=$(date +%s)
rollout "$RB"
wait_for 180 "version $VB reported" is_version "$VB"
wait_for 30 "the installed report" outcome_is "$RB" installed .
log "$VB reported $(( $(date +%s) - T1 )) s after the rollout"
cmp -s "$BIN" "$EXE_B" || fail "the installed outpost.exe is not build B"
cmp -s "$BIN.prev" "$EXE" || fail "build A was not kept as outpost.exe.prev"
[ ! -e "$STAGED" ] || fail "the staged release is still beside outpost.exe"
# The helper logs the restart once the SCM's start returned, which may be after the new
# service process is up: wait for each, never read them once.
new_service() { local p; p=$(svc_pid); [ -n "$p" ] && [ "$p" != "$PID_A" ]; }
wait_for 60 "a new service process (before $PID_A)" new_service
PID_B=$(svc_pid)
restarts() { grep -c 'service started again (agent service-restart)' "$RESTARTLOG" 2>/dev/null || true; }
restarted_by_helper() { [ "$(restarts)" -ge "$1" ]; }
wait_for 60 "the restart by agent service-restart in the log" restarted_by_helper 1
wine net start 2>/dev/null | tr -d '\r' | grep -q '^ *Outpost Agent$' || fail "the SCM does not list the service as running"
[ "$(sed -n 's/^device_id = "\(.*\)"/\1/p' "$DATA/agent.toml")" = "$DEV" ] || fail "the device id changed"
missing=$(ls "$DATA/buffer" | comm -23 "$W/buffer-before" - || true)
[ -z "$missing" ] || fail "buffer files lost in the update: $missing"
[ "$SPOOL" = no ] || [ -d "$DATA/spool" ] || fail "the spool is gone"
log "upgraded $VA -> $VB through the service (pid $PID_A -> $PID_B, device $DEV, buffer and spool kept, A kept as outpost.exe.prev)"

log "an agent.restart job: the service is started again through the same helper"
TENANT_ID=$(sed -n 's/^tenant_id = "\(.*\)"/\1/p' "$DATA/agent.toml")
J=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "$URL/api/v1/jobs" \
    -d "{\"tenant_id\":\"$TENANT_ID\",\"device_id\":\"$DEV\",\"kind\":\"agent.restart\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job_done() { api "/jobs/$J" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["status"] == "completed" else 1)'; }
restarted() { local p; p=$(svc_pid); [ -n "$p" ] && [ "$p" != "$PID_B" ]; }
wait_for 60 "the agent.restart job completed" job_done
wait_for 60 "a new service process after agent.restart" restarted
wait_for 30 "agent.restart's restart by agent service-restart in the log" restarted_by_helper 2
log "agent.restart: service process $PID_B -> $(svc_pid)"

log "a console agent run (not the service) gets $VB too: installs it beside itself and re-spawns"
mkdir -p "$W/console"
cp "$EXE" "$W/console/outpost.exe"
CD="Z:$W/console-data"
wine "$W/console/outpost.exe" agent enroll --data-dir "$CD" --server "$URL" --key "$KEY" --hostname win-console \
    > "$W/console-enroll.log" 2>&1 || fail "console enroll failed: $(cat "$W/console-enroll.log")"
sed -i -e 's/^checkin_interval_secs = .*/checkin_interval_secs = 5/' -e 's/^update_health_secs = .*/update_health_secs = 30/' \
    "$W/console-data/agent.toml"
DEV2=$(sed -n 's/^device_id = "\(.*\)"/\1/p' "$W/console-data/agent.toml")
wine "$W/console/outpost.exe" agent run --data-dir "$CD" > "$W/console.log" 2>&1 &
# The trial of B checks in as B before anything is installed, so the reported version alone
# does not say the install is done: wait for the device's "installed" report, then for the
# re-spawned B to say so in the console log.
console_version() { [ "$(DEV=$DEV2 version_of)" = "$VB" ]; }
console_installed() { DEV=$DEV2 outcome_is "$RB" installed .; }
console_restarted() { grep -q 'agent restarted: .* runs as pid' "$W/console.log"; }
wait_for 120 "the console agent reporting $VB" console_version
wait_for 60 "the console agent's installed report" console_installed
wait_for 30 "the console agent saying it restarted" console_restarted
cmp -s "$W/console/outpost.exe" "$EXE_B" || fail "the console agent's outpost.exe is not build B"
cmp -s "$W/console/outpost.exe.prev" "$EXE" || fail "the console agent did not keep A as outpost.exe.prev"
[ -n "$(console_pids)" ] || fail "no console agent process after the update"
log "PASS in $(( $(date +%s) - T0 )) s: tampered release refused, crashing release rolled back, $VA -> $VB through the service and in a console, agent.restart through the SCM"
