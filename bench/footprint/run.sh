#!/usr/bin/env bash
# Footprint benchmark of outpost-sensors: runs the footprint_runner example (all sensors + a
# 120k-entry IPsum hotlist lookup per connection) under a workload of 50 exec/s and 500 TCP
# connections/s, samples the runner's CPU time and RSS from /proc every second, and prints a
# summary. Needs root (proc connector, eBPF, fanotify) and python3.
#
#   bench/footprint/run.sh [--duration SECS] [--exec-rate N] [--conn-rate N] [--dns-rate N] [--consumer daemon|previous|batch]
#   bench/footprint/run.sh --agent [--duration SECS] [--dns-rate N] [--iocs N] ...
#
# --agent measures the real agent instead of the runner: `outpost server` on 127.0.0.1 (not
# measured), a device enrolled with the hotlist, and `outpost agent run` (the daemon: sensors,
# buffer, correlation passes, check-ins, job polls) as the measured process; it is stopped with
# SIGTERM after the workload and the events are counted from its buffer files and
# daemon-status.json. OUTPOST=path/to/outpost skips its build; AGENT_BIN=path runs that binary
# as the agent (e.g. the slim agent, target/release-small/outpost) with OUTPOST as the server.
#
# The runner's consumer writes every event to a JSONL buffer like the agent daemon (see
# footprint_runner.rs); the buffer files are deleted at the end (their size is reported).
#
# Default duration: 300 s (the target workload); use e.g. --duration 30 for a quick run.
# BIN=path/to/footprint_runner skips the build (e.g. to compare two builds side by side).
set -euo pipefail
DUR=300; EXEC_RATE=50; CONN_RATE=500; DNS_RATE=0; WARM=5; IDLE=10; CONSUMER=daemon; AGENT=0; IOCS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DUR=$2; shift 2;;
    --exec-rate) EXEC_RATE=$2; shift 2;;
    --conn-rate) CONN_RATE=$2; shift 2;;
    --dns-rate) DNS_RATE=$2; shift 2;;
    --consumer) CONSUMER=$2; shift 2;;
    --agent) AGENT=1; shift;;
    --iocs) IOCS=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
HOTLIST=${HOTLIST:-$ROOT/../shared/data/feeds/ipsum.txt}
[ -f "$HOTLIST" ] || HOTLIST=/work/shared/data/feeds/ipsum.txt
OUT=$(mktemp -d /tmp/outpost-footprint.XXXXXX)
PORT=$((20000 + RANDOM % 20000))
HZ=$(getconf CLK_TCK)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT

if [ "$AGENT" = 1 ]; then
  if [ -z "${OUTPOST:-}" ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build -q --release --locked -p outpost)
    OUTPOST=$TARGET/release/outpost
  fi
  export OUTPOST_LOG=warn
  "$OUTPOST" tenant create --data-dir "$OUT/server" --name bench >/dev/null
  KEY=$("$OUTPOST" key create --data-dir "$OUT/server" --kind enrollment --tenant bench 2>/dev/null)
  SPORT=$((20000 + RANDOM % 20000))
  # --iocs N (issue 21.6): the agent matches the server's signed bundle (the IPsum list plus
  # N SHA-256 and N domain indicators of a report feed) instead of a local hotlist, so it
  # hashes executables as they start and matches DNS queries.
  : > "$OUT/server.toml"
  if [ "$IOCS" -gt 0 ]; then
    python3 "$HERE/iocs.py" "$IOCS" > "$OUT/iocs.txt"
    printf '[intel]\nhotlists = ["%s"]\n\n[[intel.feeds]]\nname = "report-iocs"\nlocation = { file = "%s" }\nformat = "plain"\ninterval = 3600\noptions = { strict = false, guess_kinds = true }\n' \
      "$HOTLIST" "$OUT/iocs.txt" > "$OUT/server.toml"
  fi
  "$OUTPOST" server --config "$OUT/server.toml" --data-dir "$OUT/server" --listen 127.0.0.1:$SPORT > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$SPORT/healthz >/dev/null && break; sleep 0.1; done
  AGENT_BIN=${AGENT_BIN:-$OUTPOST}
  if [ "$IOCS" -gt 0 ]; then
    "$AGENT_BIN" agent enroll --data-dir "$OUT/agent" --server http://127.0.0.1:$SPORT --key "$KEY" 2>/dev/null
  else
    "$AGENT_BIN" agent enroll --data-dir "$OUT/agent" --server http://127.0.0.1:$SPORT --key "$KEY" \
      --hotlist "$HOTLIST" 2>/dev/null
  fi
  OUTPOST_LOG=info "$AGENT_BIN" agent run --data-dir "$OUT/agent" > "$OUT/agent.json" 2> "$OUT/runner.err" &
  RPID=$!
  BIN=$AGENT_BIN
  for _ in $(seq 300); do grep -q "collector running.*connections\|connections.*collector running" "$OUT/runner.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "collector running" "$OUT/runner.err" || { cat "$OUT/runner.err" >&2; exit 1; }
  echo "agent ready: pid $RPID" >&2
else
  if [ -z "${BIN:-}" ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build -q --release --locked -p outpost-sensors --example footprint_runner)
    BIN=$TARGET/release/examples/footprint_runner
  fi
  "$BIN" --hotlist "$HOTLIST" --duration $((DUR + WARM + IDLE + 8)) --watch-port "$PORT" \
    --state-dir "$OUT/state" --consumer "$CONSUMER" > "$OUT/runner.json" 2> "$OUT/runner.err" &
  RPID=$!
  for _ in $(seq 100); do grep -q "runner ready" "$OUT/runner.err" 2>/dev/null && break; sleep 0.1; done
  grep "runner ready" "$OUT/runner.err" >&2 || { cat "$OUT/runner.err" >&2; exit 1; }
fi
sleep "$WARM"

sample() { # prints: cpu_ticks rss_kb hwm_kb
  local stat rest ticks rss hwm
  read -r stat < "/proc/$RPID/stat" || return 1
  rest=${stat##*) }
  set -- $rest
  ticks=$(( ${12} + ${13} ))
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$RPID/status")
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$RPID/status")
  echo "$ticks $rss $hwm"
}

threads() { # prints one line per thread: name ticks (utime+stime) context switches
  local f stat name rest sw
  for f in /proc/"$RPID"/task/*/stat; do
    read -r stat < "$f" 2>/dev/null || continue
    name=${stat#*(}; name=${name%%)*}; rest=${stat##*) }
    sw=$(awk '/ctxt_switches/{s+=$2}END{print s+0}' "${f%/stat}/status" 2>/dev/null || echo 0)
    set -- $rest
    echo "${name// /_} $(( ${12} + ${13} )) ${sw:-0}"
  done
}

# idle baseline: what the runner costs on this machine with no workload (other processes on a
# shared machine still cause events)
read -r ITICK0 _ _ < <(sample); IT0=$(date +%s.%N)
sleep "$IDLE"
read -r ITICK1 _ _ < <(sample); IT1=$(date +%s.%N)

python3 "$HERE/workload.py" --duration "$DUR" --exec-rate "$EXEC_RATE" --conn-rate "$CONN_RATE" \
  --dns-rate "$DNS_RATE" --port "$PORT" > "$OUT/workload.json" &
WPID=$!
sleep 1 # the workload's own start-up pause
T0=$(date +%s.%N); read -r TICK0 _ _ < <(sample); threads > "$OUT/threads0.txt"
: > "$OUT/samples.txt"
while kill -0 "$WPID" 2>/dev/null; do
  echo "$(date +%s.%N) $(sample)" >> "$OUT/samples.txt"
  sleep 1
done
T1=$(date +%s.%N); read -r TICK1 _ HWM < <(sample); threads > "$OUT/threads1.txt"
wait "$WPID"
if [ "$AGENT" = 1 ]; then
  kill -TERM "$RPID"
  wait "$RPID" || true
  # The runner's summary, from what the agent buffered and its last status.
  python3 "$HERE/agent_summary.py" "$OUT/agent" "$PORT" > "$OUT/runner.json"
else
  wait "$RPID" || true
fi

python3 - "$OUT" "$T0" "$T1" "$TICK0" "$TICK1" "$HWM" "$HZ" "$BIN" "$IT0" "$IT1" "$ITICK0" "$ITICK1" <<'PY'
import json, sys, os, statistics
out, t0, t1, k0, k1, hwm, hz, binp, it0, it1, ik0, ik1 = sys.argv[1:]
idle_cpu = (int(ik1) - int(ik0)) / int(hz) / (float(it1) - float(it0)) * 100
t0, t1, k0, k1, hwm, hz = float(t0), float(t1), int(k0), int(k1), int(hwm), int(hz)
w = [json.loads(l) for l in open(os.path.join(out, "workload.json")) if l.strip()][-1]
r = json.loads(open(os.path.join(out, "runner.json")).read())
samples = [l.split() for l in open(os.path.join(out, "samples.txt")) if len(l.split()) == 4]
rss = [int(s[2]) for s in samples]
steady = rss[len(rss) // 5:] or rss
cpu = (k1 - k0) / hz / (t1 - t0) * 100
c = r["counters"]
def thread_ticks(name, col=1):
    d = {}
    for l in open(os.path.join(out, name)):
        f = l.split()
        d[f[0]] = d.get(f[0], 0) + int(f[col])
    return d
th0, th1 = thread_ticks("threads0.txt"), thread_ticks("threads1.txt")
per_thread = {n: round((th1[n] - th0.get(n, 0)) / hz / (t1 - t0) * 100, 3) for n in th1}
# context switches (voluntary + involuntary) per second and thread: each is a wakeup
sw0, sw1 = thread_ticks("threads0.txt", 2), thread_ticks("threads1.txt", 2)
switches = {n: round((sw1[n] - sw0.get(n, 0)) / (t1 - t0), 1) for n in sw1}
res = {
    "workload": w,
    "agent_cpu_percent_of_one_core": round(cpu, 2),
    "agent_cpu_percent_idle_baseline": round(idle_cpu, 2),
    "cpu_percent_by_thread": per_thread,
    "context_switches_per_sec_by_thread": switches,
    "rss_steady_mib_median": round(statistics.median(steady) / 1024, 2),
    "rss_steady_mib_max": round(max(steady) / 1024, 2),
    "rss_peak_mib_vmhwm": round(hwm / 1024, 2),
    "events_lost_total": c["dropped_total"],
    "lost_kernel_events": c["lost_kernel_events"],
    "drops": {k: v for k, v in c["drops"].items() if v},
    "connections_made": w["connections"],
    "outbound_seen": r["watched_outbound"],
    "outbound_seen_with_exe": r["watched_outbound_attributed"],
    "inbound_seen": r["watched_inbound"],
    "inbound_seen_with_exe": r["watched_inbound_attributed"],
    "execs_made": w["execs"],
    "execs_seen": r["watched_exec"],
    "dns_queries_made": w.get("dns_queries", 0),
    "dns_counters": c.get("dns"),
    "hotlist_entries": r["hotlist_entries"],
    "hotlist_lookups": r["lookups"],
    "events_by_kind": r["events_by_kind"],
    "consumer": r.get("consumer"),
    "buffer_bytes_written": r.get("buffer_bytes"),
    "binary_bytes_stripped": os.path.getsize(binp),
    "raw": out,
}
print(json.dumps(res, indent=2))
PY
# keep a sample of what the agent would have buffered, for inspection
cat "$OUT"/state/buffer/events_*.jsonl "$OUT"/agent/buffer/events_*.jsonl 2>/dev/null \
  | head -n 5000 > "$OUT/buffer_sample.jsonl" || true
rm -rf "$OUT/state/buffer" "$OUT/agent/buffer"
