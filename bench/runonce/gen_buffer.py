#!/usr/bin/env python3
"""Writes an agent buffer: N network events spread over the last 60 minutes, in Outpost's event
JSON (one compact line per event, as the agent writes them), into hourly files named by the
current hour. About HIT_RATE of the events go to addresses taken from the hotlist.

usage: gen_buffer.py HOTLIST BUFFER_DIR [N] [HIT_RATE]
"""
import datetime as dt
import json
import os
import random
import sys

hotlist, out_dir = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
hit_rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01
rng = random.Random(42)

bad = []
with open(hotlist) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            bad.append(line.split()[0])
bad_set = set(bad)
bad = rng.sample(bad, 200)
procs = [("chrome", "/opt/google/chrome/chrome"), ("curl", "/usr/bin/curl"), ("python3", "/usr/bin/python3"),
         ("sshd", "/usr/sbin/sshd"), ("nginx", "/usr/sbin/nginx"), ("systemd-resolved", "/usr/lib/systemd/systemd-resolved")]

now = dt.datetime.now(dt.timezone.utc)
start = now - dt.timedelta(minutes=60)
os.makedirs(out_dir, exist_ok=True)
name = now.strftime("events_%Y%m%d_%H.jsonl")
with open(os.path.join(out_dir, name), "w") as f:
    for i in range(n):
        ts = start + dt.timedelta(microseconds=int(i * 3_600_000_000 / n))
        if rng.random() < hit_rate:
            ip = rng.choice(bad)
        else:
            while True:
                ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                if ip not in bad_set:
                    break
        name_, exe = rng.choice(procs)
        ev = {
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "kind": "network",
            "source": "bench",
            "process": {"pid": 1000 + rng.randint(0, 5000), "name": name_, "exe": exe},
            "network": {"direction": "outbound", "protocol": "tcp", "local_ip": "10.0.0.5",
                        "local_port": rng.randint(32768, 60999), "remote_ip": ip,
                        "remote_port": rng.choice([80, 443, 22, 53, 8080]), "action": "allowed"},
        }
        f.write(json.dumps(ev, separators=(",", ":")))
        f.write("\n")
print(f"wrote {n} events to {out_dir}/{name}", file=sys.stderr)
