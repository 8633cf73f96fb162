#!/usr/bin/env bash
# Footprint of the Windows agent daemon under Wine (issue 17, point 7): `outpost.exe agent run`
# enrolled with a Linux `outpost server` on 127.0.0.1, correlating against the 120k-entry IPsum
# hotlist and reading a real WFP EVTX export as its OS-log source, for DURATION seconds. Samples
# the Windows process's RSS and CPU time from /proc every second (Wine runs it as a Linux
# process), reads the agent's own view (`rss_kib` from GetProcessMemoryInfo in
# daemon-status.json), and measures an idle Wine process (`cmd.exe` waiting on its input) in the
# same prefix as the baseline that Wine itself costs. Wine's numbers are indicative only: its
# DLLs are ELF/PE builds of its own, not Windows'.
#
#   bench/footprint/windows.sh [DURATION]        (default 60)
#   EXE=path/outpost.exe FULL=path/outpost       skip the builds
set -euo pipefail
DUR=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TRIPLE=x86_64-pc-windows-gnu
HOTLIST=$ROOT/../shared/data/feeds/ipsum.txt
EVTX=$ROOT/../shared/data/evtx/attack-samples/Command_and_Control/DE_RDP_Tunnel_5156.evtx
for f in "$HOTLIST" "$EVTX"; do [ -f "$f" ] || { echo "missing $f" >&2; exit 1; }; done
if [ -z "${EXE:-}" ]; then
  (cd "$ROOT" && cargo build -q --locked --profile release-small --target $TRIPLE -p outpost \
     --no-default-features --features native-tls,evtx)
  EXE=$TARGET/$TRIPLE/release-small/outpost.exe
fi
if [ -z "${FULL:-}" ]; then
  (cd "$ROOT" && cargo build -q --locked -p outpost)
  FULL=$TARGET/debug/outpost
fi
W=$(mktemp -d /tmp/outpost-winfoot.XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  WINEPREFIX=$W/wine wineserver -k 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
export WINEPREFIX=$W/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
wineboot -i >/dev/null 2>&1 || true
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  "$ROOT/scripts/wine/bcryptprimitives.c" -ladvapi32
HZ=$(getconf CLK_TCK)

# Samples PID for SECS seconds: prints "max_rss_kib mean_rss_kib cpu_ticks".
sample() {
  local pid=$1 secs=$2 max=0 sum=0 n=0 t0 t1
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  for _ in $(seq "$secs"); do
    sleep 1
    [ -d "/proc/$pid" ] || break
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    sum=$((sum + r)); n=$((n + 1)); [ "$r" -gt "$max" ] && max=$r
  done
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null || echo "$t0")
  echo "$max $((sum / (n > 0 ? n : 1))) $((t1 - t0))"
}
# The Linux pid of the Wine process running IMAGE (its command line names the image).
winpid() {
  for _ in $(seq 100); do
    p=$(pgrep -f "$1" | head -1 || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

echo "baseline: an idle Wine process (cmd.exe waiting on its input), 10 s" >&2
sleep 15 | wine cmd.exe /k > /dev/null 2>&1 &
BPID=$(winpid 'cmd.exe /k')
read -r BMAX BMEAN _ < <(sample "$BPID" 10)
wait || true

export OUTPOST_LOG=warn
PORT=$((20000 + RANDOM % 20000))
"$FULL" tenant create --data-dir "$W/server" --name bench >/dev/null
KEY=$("$FULL" key create --data-dir "$W/server" --kind enrollment --tenant bench 2>/dev/null)
"$FULL" server --data-dir "$W/server" --listen 127.0.0.1:$PORT > "$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done
wine "$EXE" agent enroll --data-dir "Z:$W/agent" --server http://127.0.0.1:$PORT --key "$KEY" \
  --hostname win-footprint --hotlist "Z:$HOTLIST" > /dev/null
python3 - "$W/agent/agent.toml" "Z:$EVTX" <<'PY'
import re, sys
p, evtx = sys.argv[1:3]
s = open(p).read()
s = s.replace("evtx = []", "evtx = ['%s']" % evtx, 1)
s = re.sub(r"(?m)^correlate_interval_secs = .*$", "correlate_interval_secs = 5", s)
open(p, "w").write(s)
PY
echo "outpost.exe agent run under Wine: 120k-entry IPsum hotlist, $(basename "$EVTX"), ${DUR} s" >&2
wine "$EXE" agent run --data-dir "Z:$W/agent" > "$W/agent.log" 2>&1 &
APID=$(winpid 'outpost.exe agent run')
read -r AMAX AMEAN ATICKS < <(sample "$APID" "$DUR")
OWN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('rss_kib'))" "$W/agent/daemon-status.json" 2>/dev/null || echo "?")
kill "$APID" 2>/dev/null || true
CPU=$(python3 -c "print(f'{100*$ATICKS/$HZ/$DUR:.2f}')")
SIZE=$(stat -c %s "$EXE")
printf 'outpost.exe %s bytes; Wine %s\n' "$SIZE" "$(wine --version 2>/dev/null)"
printf 'idle Wine process (cmd.exe):      RSS max %6d KiB, mean %6d KiB\n' "$BMAX" "$BMEAN"
printf 'outpost.exe agent run (%3d s):   RSS max %6d KiB, mean %6d KiB, CPU %s %% of a core\n' "$DUR" "$AMAX" "$AMEAN" "$CPU"
printf 'the agent above the idle baseline: max %d KiB; its own rss_kib (daemon-status.json): %s\n' \
  "$((AMAX - BMAX))" "$OWN"
