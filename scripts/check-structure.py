#!/usr/bin/env python3
"""Structure limits of the source tree (ARCHITECTURE.md, "Structure limits"), checked in CI.

- no library source file (a crate's `src/`, generated eBPF skeletons excepted) over MAX_FILE lines;
- no function outside tests (`tests/`, `benches/`, `examples/` and `#[cfg(test)]` modules are
  skipped) over MAX_FN lines, counted from its `fn` line to its closing brace.

The function scan is a brace matcher over the text with string, char and comment contents
blanked, which is exact for rustfmt-formatted code. Prints the offenders and exits 1 if any;
`--report N` lists every function over N lines without failing.
"""
import os
import re
import sys

MAX_FILE = 1200
MAX_FN = 200

FN_RE = re.compile(
    r'^\s*(pub(\([^)]*\))?\s+)?(default\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+"[^"]*"\s+)?fn\s+(\w+)'
)


def blank(line):
    """The line with string/char literal contents and // comments removed."""
    line = re.sub(r'r#*"[^"]*"#*', '""', line)
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return line.split("//")[0]


def block_end(lines, start):
    """Index of the line closing the block opened at or after `start`, or None for a
    declaration without a body."""
    depth = 0
    opened = False
    for j in range(start, len(lines)):
        s = blank(lines[j])
        for c in s:
            if c == "{":
                depth += 1
                opened = True
            elif c == "}":
                depth -= 1
        if not opened and s.rstrip().endswith(";"):
            return None
        if opened and depth <= 0:
            return j
    return len(lines) - 1


def functions(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    i = 0
    pending_cfg_test = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("#[cfg(test)]") or stripped.startswith("#[cfg(all(test"):
            pending_cfg_test = True
            i += 1
            continue
        if pending_cfg_test:
            if stripped.startswith("#[") or stripped == "":
                i += 1
                continue
            pending_cfg_test = False
            end = block_end(lines, i)
            i = (end if end is not None else i) + 1
            continue
        m = FN_RE.match(line)
        if m:
            end = block_end(lines, i)
            if end is not None:
                yield m.group(8), i + 1, end - i + 1
        i += 1


def sources(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("target", "tests", "benches", "examples", "node_modules")]
        for f in filenames:
            if f.endswith(".rs") and not f.endswith(".skel.rs"):
                yield os.path.join(dirpath, f)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates")
    report = None
    if len(sys.argv) > 2 and sys.argv[1] == "--report":
        report = int(sys.argv[2])
    bad = []
    long_fns = []
    for path in sorted(sources(root)):
        rel = os.path.relpath(path, os.path.join(root, ".."))
        n = sum(1 for _ in open(path, encoding="utf-8", errors="replace"))
        if "/src/" in rel and n > MAX_FILE:
            bad.append(f"{rel}: {n} lines (limit {MAX_FILE})")
        for name, line, length in functions(path):
            long_fns.append((length, rel, line, name))
            if length > MAX_FN:
                bad.append(f"{rel}:{line}: fn {name} is {length} lines (limit {MAX_FN})")
    if report is not None:
        for length, rel, line, name in sorted(long_fns, reverse=True):
            if length > report:
                print(f"{length:5} {rel}:{line} {name}")
        return 0
    for b in bad:
        print(b)
    if bad:
        print(f"check-structure: {len(bad)} over the limits (ARCHITECTURE.md, Structure limits)")
        return 1
    print(f"check-structure: OK (files <= {MAX_FILE} lines, functions <= {MAX_FN} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
