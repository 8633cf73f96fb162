#!/usr/bin/env python3
"""The straightforward way to do what `outpost agent run-once` does, in Python: load the
hotlist into a set, read every buffered line with json.loads, keep events whose remote address
is listed, group by (remote_ip, process_name) with first/last seen and count.

usage: baseline.py HOTLIST BUFFER_DIR
"""
import json
import os
import sys
import time

t0 = time.perf_counter()
hot = set()
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            hot.add(line.split()[0])
t1 = time.perf_counter()
groups = {}
lines = 0
for name in sorted(os.listdir(sys.argv[2])):
    with open(os.path.join(sys.argv[2], name)) as f:
        for line in f:
            lines += 1
            ev = json.loads(line)
            ip = ev.get("network", {}).get("remote_ip")
            if ip not in hot:
                continue
            proc = ev.get("process", {})
            key = (ip, proc.get("name") or os.path.basename(proc.get("exe") or "unknown"))
            g = groups.get(key)
            if g is None:
                groups[key] = [ev["ts"], ev["ts"], 1]
            else:
                g[0] = min(g[0], ev["ts"]); g[1] = max(g[1], ev["ts"]); g[2] += 1
t2 = time.perf_counter()
print(json.dumps({"lines": lines, "groups": len(groups), "matched": sum(g[2] for g in groups.values()),
                  "load_s": round(t1 - t0, 3), "scan_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3)}))
