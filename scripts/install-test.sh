#!/usr/bin/env bash
# Install/uninstall round trip (issue 25) of `outpost agent install|uninstall` and
# `outpost server install|uninstall`, into a scratch root (--root): the files are in place
# with the right modes, the installed units pass `systemd-analyze verify`, the server runs
# from what its installed unit starts (and answers /healthz), the agent enrolls into the
# installed data directory and its installed daemon command runs, and uninstall --purge leaves
# not one file behind.
#
# Not tested here: `systemctl enable --now` / `disable --now` (what install/uninstall do with
# root=/ when systemd is PID 1) — this machine does not run systemd as PID 1.
#
#   OUTPOST_BIN=path/to/outpost scripts/install-test.sh   (default: $CARGO_TARGET_DIR/debug/outpost)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[install] $*" >&2; }
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BIN=${OUTPOST_BIN:-$TARGET/debug/outpost}
[ -x "$BIN" ] || { echo "FAIL: $BIN is missing (cargo build --locked -p outpost)" >&2; exit 1; }
R=$(mktemp -d /tmp/outpost-install.XXXXXX)
V=
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$R" ${V:+"$V"}; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mode() { stat -c %a "$1"; }
export OUTPOST_LOG=warn

# --- install both roles
"$BIN" server install --root "$R" > "$R.server.out"
"$BIN" agent install --root "$R" > "$R.agent.out"
cat "$R.server.out" "$R.agent.out" >&2; rm -f "$R.server.out" "$R.agent.out"
[ "$(mode "$R/usr/local/bin/outpost")" = 755 ] || fail "binary mode $(mode "$R/usr/local/bin/outpost")"
cmp -s "$BIN" "$R/usr/local/bin/outpost" || fail "the installed binary is not this one"
for u in outpost-agent.service outpost-server.service; do
    [ "$(mode "$R/etc/systemd/system/$u")" = 644 ] || fail "$u mode"
    cmp -s "dist/systemd/$u" "$R/etc/systemd/system/$u" || fail "$u differs from dist/systemd/$u"
done
[ "$(mode "$R/var/lib/outpost-agent")" = 700 ] || fail "agent data dir mode $(mode "$R/var/lib/outpost-agent")"
[ -f "$R/etc/outpost/server.toml" ] || fail "no /etc/outpost/server.toml"

# --- systemd-analyze verify on the installed units (in a copy of the root that also holds the
# system's own units, which they reference: multi-user.target, network-online.target, …)
if command -v systemd-analyze >/dev/null; then
    V=$(mktemp -d /tmp/outpost-verify.XXXXXX)
    cp -a "$R/." "$V/"
    mkdir -p "$V/usr/lib/systemd"
    cp -r /usr/lib/systemd/system "$V/usr/lib/systemd/"
    "$BIN" agent install --root "$V" --timer >/dev/null   # the scheduled mode's units too
    cp "$R/etc/systemd/system/outpost-agent.service" "$V/etc/systemd/system/"
    systemd-analyze verify --root="$V" outpost-agent.service outpost-server.service \
        outpost-agent-run-once.service outpost-agent-run-once.timer 2>&1 | tee "$V.verify" >&2
    [ -s "$V.verify" ] && { rm -f "$V.verify"; fail "systemd-analyze verify reported the above"; }
    rm -f "$V.verify"
    log "systemd-analyze verify: the 4 installed units are clean"
else
    fail "systemd-analyze is missing (package systemd)"
fi

# --- running: what the installed units start, with their paths under the scratch root
exec_start() { sed -n 's/^ExecStart=//p' "$R/etc/systemd/system/$1"; }
[ "$(exec_start outpost-server.service)" = "/usr/local/bin/outpost server --config /etc/outpost/server.toml" ] \
    || fail "unexpected server ExecStart: $(exec_start outpost-server.service)"
PORT=$((20000 + RANDOM % 20000))
"$R/usr/local/bin/outpost" tenant create --data-dir "$R/var/lib/outpost" --name acme >/dev/null
KEY=$("$R/usr/local/bin/outpost" key create --data-dir "$R/var/lib/outpost" --kind enrollment --tenant acme 2>/dev/null)
OUTPOST_DATA_DIR="$R/var/lib/outpost" OUTPOST_LISTEN="127.0.0.1:$PORT" \
    "$R/usr/local/bin/outpost" server --config "$R/etc/outpost/server.toml" > "$R.server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$R.server.log" >&2; fail "the installed server does not answer /healthz"; }
rm -f "$R.server.log"
log "the installed server runs with the installed config: /healthz answers"
[ "$(exec_start outpost-agent.service)" = "/usr/local/bin/outpost agent run --data-dir /var/lib/outpost-agent" ] \
    || fail "unexpected agent ExecStart: $(exec_start outpost-agent.service)"
echo 203.0.113.7 > "$R/hotlist.txt"
"$R/usr/local/bin/outpost" agent enroll --data-dir "$R/var/lib/outpost-agent" --server "http://127.0.0.1:$PORT" \
    --key "$KEY" --hotlist "$R/hotlist.txt" >/dev/null
"$R/usr/local/bin/outpost" agent enroll --data-dir "$R/var/lib/outpost-agent" --server "http://127.0.0.1:$PORT" \
    --key "$KEY" --if-absent | grep -q "already enrolled" || fail "enroll --if-absent enrolled again"
rm "$R/hotlist.txt"
"$R/usr/local/bin/outpost" agent run --data-dir "$R/var/lib/outpost-agent" > /dev/null 2>&1 &
APID=$!; PIDS+=($APID)
sleep 3
kill -0 "$APID" 2>/dev/null || fail "the installed agent daemon exited"
# SIGTERM, as systemd stops it: the daemon drains, runs a last pass and writes its status.
kill -TERM "$APID"; wait "$APID" 2>/dev/null || true
[ -s "$R/var/lib/outpost-agent/daemon-status.json" ] || fail "the installed agent daemon wrote no daemon-status.json"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
PIDS=()
log "the installed agent enrolls into the installed data directory and its daemon runs"

# --- switching the agent to the timer mode replaces the daemon unit
"$BIN" agent install --root "$R" --timer >/dev/null
[ -e "$R/etc/systemd/system/outpost-agent.service" ] && fail "the daemon unit stayed after install --timer"
[ -f "$R/etc/systemd/system/outpost-agent-run-once.timer" ] || fail "no timer unit"
[ -f "$R/var/lib/outpost-agent/agent.toml" ] || fail "reinstalling lost the enrollment"
grep -qx 'OnUnitActiveSec=5min' "$R/etc/systemd/system/outpost-agent-run-once.timer" || fail "--timer is not every 5 min"
# --run-once-every: the timer's interval; whole minutes only
"$BIN" agent install --root "$R" --run-once-every 15m >/dev/null
grep -qx 'OnUnitActiveSec=15min' "$R/etc/systemd/system/outpost-agent-run-once.timer" || fail "--run-once-every 15m did not set the timer"
if "$BIN" agent install --root "$R" --run-once-every 90s 2>"$R.every.err"; then fail "--run-once-every 90s accepted"; fi
grep -q 'whole minutes' "$R.every.err" || fail "--run-once-every 90s: unclear error"

# --- uninstall: the agent first (the binary stays for the server), without --purge data stays
"$BIN" agent uninstall --root "$R" >/dev/null
[ -x "$R/usr/local/bin/outpost" ] || fail "agent uninstall removed the binary the server uses"
[ -f "$R/var/lib/outpost-agent/agent.toml" ] || fail "uninstall without --purge deleted the agent's data"
ls "$R/etc/systemd/system" | grep -q outpost-agent && fail "agent units left after uninstall"
"$BIN" agent uninstall --root "$R" --purge >/dev/null
"$BIN" server uninstall --root "$R" --purge >/dev/null
LEFT=$(find "$R" \( -type f -o -type l \) -print)
[ -z "$LEFT" ] || { echo "$LEFT" >&2; fail "uninstall --purge left files behind"; }
log "PASS: install, verify, run, reinstall (timer mode), uninstall, purge: nothing left behind"
