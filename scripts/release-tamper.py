#!/usr/bin/env python3
"""Tampers with a stored agent release in a server's SQLite database, as an attacker with the
database would (scripts/update-test.sh, scripts/windows-update.sh): the agent must refuse it.

    release-tamper.py DB RELEASE_ID flip|truncate
"""
import sqlite3
import sys

db, rid, how = sys.argv[1:]
c = sqlite3.connect(db, timeout=30)
sha, _sig = c.execute("SELECT sha256, signature FROM releases WHERE id = ?", (rid,)).fetchone()
blob = bytearray(c.execute("SELECT content FROM release_blobs WHERE sha256 = ?", (sha,)).fetchone()[0])
if how == "flip":
    blob[len(blob) // 2] ^= 0x01
elif how == "truncate":
    blob = blob[: len(blob) - 4096]
else:
    sys.exit(f"unknown tampering {how!r}")
c.execute("UPDATE release_blobs SET content = ? WHERE sha256 = ?", (bytes(blob), sha))
c.commit()
