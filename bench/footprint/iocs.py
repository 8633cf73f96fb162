"""Prints N SHA-256 digests and N domains, one a line: a report feed of indicators for the
footprint benchmark's `--iocs N` (guessed kinds of a plain feed)."""
import hashlib
import sys

n = int(sys.argv[1])
for i in range(n):
    print(hashlib.sha256(i.to_bytes(8, "little")).hexdigest())
    print(f"c2-{i:06}.example{i % 97}.test")
