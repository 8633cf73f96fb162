#!/usr/bin/env python3
"""Peer side of the detection benchmark: the same generated Sigma rules, evaluated by azuma
(a pure-Python Sigma evaluator from PyPI) on the same Windows events, flattened to EventData
dicts (plus EventID and Channel) by bench_detect.

usage: azuma_peer.py WORK_DIR [MAX_SECONDS]

Prints events/s and cross-checks the number of matching rules per event against
WORK_DIR/outpost_hits.txt (written by bench_detect) on the events it evaluated.
"""
import json
import sys
import time
from pathlib import Path

import azuma


def main() -> int:
    work = Path(sys.argv[1])
    max_secs = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    t = time.perf_counter()
    rules = azuma.RuleSet.from_dir(work / "rules_generated")
    load = time.perf_counter() - t
    events = [json.loads(l) for l in (work / "events_flat.jsonl").read_text().splitlines() if l]
    outpost = {}
    for line in (work / "outpost_hits.txt").read_text().splitlines():
        i, n = line.split()
        outpost[int(i)] = int(n)
    done = 0
    mismatches = []
    t = time.perf_counter()
    c0 = time.process_time()
    for i, e in enumerate(events):
        n = len(rules.match_all(e))
        if n != outpost.get(i, 0):
            mismatches.append((i, n, outpost.get(i, 0)))
        done += 1
        if time.process_time() - c0 > max_secs:
            break
    secs = time.perf_counter() - t
    cpu = time.process_time() - c0
    print(json.dumps({
        "peer": f"azuma {azuma.__version__}",
        "rules": len(list(rules)),
        "rule_load_secs": round(load, 2),
        "events_evaluated": done,
        "events_per_sec": round(done / cpu, 1),
        "events_per_wall_sec": round(done / secs, 1),
        "note": "events_per_sec = events per CPU-second (one core)",
        "per_event_match_count_mismatches": len(mismatches),
        "first_mismatches": mismatches[:10],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
