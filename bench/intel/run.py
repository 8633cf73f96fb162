#!/usr/bin/env python3
"""Hotlist benchmark: Outpost's signed bundle vs a Rust HashSet<IpAddr> vs the seed's approach
(a gzipped JSON array loaded into a Python set), side by side in one run on the IPsum feed.

Usage (from the repository root):
    CARGO_TARGET_DIR=/work/target-intel python3 bench/intel/run.py [--shared DIR] [--no-build]

Builds `intel_bench` (release), prepares a signed bundle and hotlist.json.gz from
<shared>/data/feeds/ipsum.txt, then measures each approach in its own fresh process pinned to
one CPU (taskset -c 0 when available): load time (first load and median of repeated loads),
resident-memory growth caused by the load (VmRSS delta) and single-thread lookups per second
over the same mix of probes (half listed addresses, half uniformly random IPv4).
Prints a Markdown table and the raw JSON lines.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBES = 1_000_000
ROUNDS = 3
LOADS = 7  # timed loads for the medians


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ipsum_addrs(path):
    with open(path) as f:
        return [l.split()[0] for l in f if l.strip() and not l.startswith("#")]


def python_seed(gz_path, ipsum_path):
    """The seed: hotlist.json.gz loaded into a Python set of address strings."""

    def load():
        with open(gz_path, "rb") as f:
            return set(json.loads(gzip.decompress(f.read())))

    def timed(f):
        w, c = time.perf_counter(), time.thread_time()
        r = f()
        return r, time.perf_counter() - w, time.thread_time() - c

    rss0 = rss_kib()
    hot, first_w, first_c = timed(load)
    rss1 = rss_kib()
    walls, cpus = [], []
    for _ in range(LOADS):
        _, w, c = timed(load)
        walls.append(w)
        cpus.append(c)
    walls.sort()
    cpus.sort()
    listed = ipsum_addrs(ipsum_path)
    rnd = random.Random(42)
    probes = [
        listed[rnd.randrange(len(listed))] if i % 2 == 0
        else socket.inet_ntoa(struct.pack("!I", rnd.getrandbits(32)))
        for i in range(PROBES)
    ]
    hits = sum(1 for p in probes if p in hot)

    def rounds():
        n = 0
        for _ in range(ROUNDS):
            for p in probes:
                if p in hot:
                    n += 1
        return n

    _, wall, cpu = timed(rounds)
    ms = lambda s: round(s * 1e3, 3)
    print(json.dumps({
        "approach": "seed: hotlist.json.gz -> Python set",
        "entries": len(hot),
        "file_bytes": os.path.getsize(gz_path),
        "load_first_wall_ms": ms(first_w),
        "load_first_cpu_ms": ms(first_c),
        "load_median_wall_ms": ms(walls[len(walls) // 2]),
        "load_median_cpu_ms": ms(cpus[len(cpus) // 2]),
        "rss_delta_kib": rss1 - rss0,
        "heap_bytes": None,
        "lookups_per_wall_sec": round(PROBES * ROUNDS / wall),
        "lookups_per_cpu_sec": round(PROBES * ROUNDS / cpu),
        "hits_per_round": hits,
        "probes": PROBES,
        "rounds": ROUNDS,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.environ.get("OUTPOST_SHARED_DIR", os.path.join(REPO, "..", "shared")))
    ap.add_argument("--no-build", action="store_true", help="use an already built intel_bench")
    ap.add_argument("--python-seed", nargs=2, metavar=("GZ", "IPSUM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.python_seed:
        python_seed(*args.python_seed)
        return

    ipsum = os.path.join(args.shared, "data", "feeds", "ipsum.txt")
    if not os.path.exists(ipsum):
        sys.exit(f"{ipsum} not found (set OUTPOST_SHARED_DIR or --shared)")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    if not args.no_build:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "outpost-intel", "--example", "intel_bench"],
            cwd=REPO, check=True,
        )
    exe = os.path.join(target, "release", "examples", "intel_bench")
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []

    with tempfile.TemporaryDirectory() as tmp:
        prep = subprocess.run([exe, "prepare", ipsum, tmp], check=True, capture_output=True, text=True)
        prep = json.loads(prep.stdout)
        gz = os.path.join(tmp, "hotlist.json.gz")
        with gzip.open(gz, "wt") as f:
            json.dump(ipsum_addrs(ipsum), f)
        runs = [
            [exe, "bundle", os.path.join(tmp, "ipsum.bundle"), os.path.join(tmp, "ipsum.pub"), ipsum],
            [exe, "hashset", ipsum],
            [exe, "text", ipsum],
            [sys.executable, os.path.abspath(__file__), "--python-seed", gz, ipsum],
        ]
        results = []
        for cmd in runs:
            out = subprocess.run(pin + cmd, check=True, capture_output=True, text=True).stdout
            results.extend(json.loads(l) for l in out.strip().splitlines() if l.startswith("{"))

    print(f"# IPsum hotlist: {prep['indicators']} addresses, bundle {prep['bundle_bytes']} bytes")
    print(f"# host: {os.cpu_count()} CPUs, {' '.join(pin) or 'unpinned'}, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
    print()
    with open("/proc/loadavg") as f:
        print(f"# load average while running: {' '.join(f.read().split()[:3])}")
    print()
    print("| approach | file bytes | load ms, CPU (median) | load ms, wall (median / first) | "
          "RSS growth KiB | lookups/s per CPU-second | lookups/s wall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['approach']} | {r['file_bytes']} | {r['load_median_cpu_ms']:.2f} | "
              f"{r['load_median_wall_ms']:.2f} / {r['load_first_wall_ms']:.2f} | {r['rss_delta_kib']} | "
              f"{r['lookups_per_cpu_sec'] / 1e6:.1f} M | {r['lookups_per_wall_sec'] / 1e6:.1f} M |")
    print()
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
