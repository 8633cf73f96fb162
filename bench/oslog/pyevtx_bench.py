"""Reads every record of every .evtx file under DIR with python-evtx (renders each record to
XML, python-evtx's full parse) and prints records/s. Usage: pyevtx_bench.py DIR"""

import os
import sys
import time

import Evtx.Evtx as evtx


def files(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.join(d, n) for n in names if n.lower().endswith(".evtx")]
    return sorted(out)


def main():
    root = sys.argv[1]
    paths = files(root)
    records = errors = failed = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        try:
            with evtx.Evtx(p) as log:
                for rec in log.records():
                    try:
                        rec.xml()
                        records += 1
                    except Exception:
                        errors += 1
        except Exception:
            failed += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"reader=python-evtx files={len(paths)} records={records} record_errors={errors} "
        f"failed_files={failed} wall_s={wall:.2f} cpu_s={cpu:.2f} "
        f"records_per_cpu_s={records / cpu:.0f}"
    )


if __name__ == "__main__":
    main()
