"""Parses every record of every .evtx file under DIR to JSON with the `evtx` PyPI package (the
Python binding of the Rust evtx parser) and prints records per wall and per CPU second.
Usage: pyevtx_rs.py DIR THREADS [REPEAT]   (THREADS: the binding's number_of_threads; 0 = its
own choice, all cores)."""

import os
import sys
import time

import evtx


def files(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.join(d, n) for n in names if n.lower().endswith(".evtx")]
    return sorted(out)


def main():
    root, threads = sys.argv[1], int(sys.argv[2])
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    paths = files(root)
    records = failed = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for p in paths:
            try:
                for rec in evtx.PyEvtxParser(p, number_of_threads=threads).records_json():
                    records += 1
            except Exception:
                failed += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"reader=evtx-pypi-{evtx.__version__ if hasattr(evtx, '__version__') else ''} threads={threads} "
        f"files={len(paths)} repeat={repeat} records={records} failed_files={failed} "
        f"wall_s={wall:.2f} cpu_s={cpu:.2f} records_per_s={records / wall:.0f} "
        f"records_per_cpu_s={records / cpu:.0f}"
    )


if __name__ == "__main__":
    main()
