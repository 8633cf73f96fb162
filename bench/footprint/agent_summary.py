#!/usr/bin/env python3
"""The footprint runner's summary for `run.sh --agent`, made from what the real agent left:
its buffer files (every event it buffered) and daemon-status.json (sensor counters, written by
the daemon at shutdown too).

usage: agent_summary.py AGENT_DATA_DIR WATCH_PORT [WATCH_EXE]
"""
import glob
import json
import os
import sys

data, port = sys.argv[1], int(sys.argv[2])
watch_exe = sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/true"
by_kind, lookups, nbytes = {}, 0, 0
out = out_attr = inb = inb_attr = execs = 0
for path in sorted(glob.glob(os.path.join(data, "buffer", "events_*.jsonl"))):
    nbytes += os.path.getsize(path)
    with open(path, "rb") as f:
        for line in f:
            ev = json.loads(line)
            kind = ev.get("kind")
            by_kind[kind] = by_kind.get(kind, 0) + 1
            proc = ev.get("process") or {}
            net = ev.get("network")
            if net:
                if net.get("remote_ip"):
                    lookups += 1
                if kind == "network" and net.get("direction") == "outbound" and net.get("remote_port") == port:
                    out += 1
                    out_attr += bool(proc.get("exe"))
                elif kind == "network" and net.get("direction") == "inbound" and net.get("local_port") == port:
                    inb += 1
                    inb_attr += bool(proc.get("exe"))
            if kind == "process_exec" and proc.get("exe") == watch_exe:
                execs += 1
status = json.load(open(os.path.join(data, "daemon-status.json")))
print(json.dumps({
    # The agent matches every buffered connection against the hotlist in its correlation
    # passes; its size is what enrollment installed.
    "hotlist_entries": None,
    "lookups": lookups,
    "events_by_kind": by_kind,
    "watched_outbound": out,
    "watched_outbound_attributed": out_attr,
    "watched_inbound": inb,
    "watched_inbound_attributed": inb_attr,
    "watched_exec": execs,
    "counters": status["sensors"],
    "pipeline": status.get("pipeline"),
    "consumer": "outpost agent run",
    "buffer_bytes": nbytes,
}))
