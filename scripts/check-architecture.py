#!/usr/bin/env python3
"""ARCHITECTURE.md checked against the tree (run by scripts/test.sh):

- the code map has a row for every crate under crates/ and no row for a crate that is gone;
  each crate's "owns" cell stays short (the detail lives in the crate's module docs);
- every file or directory the document names in backticks (`something.rs`, `dir/`) exists;
- every invariant names at least one test that exists (a test function's name, or a test file),
  so breaking the invariant on purpose has a test to fail.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MAX_OWNS_WORDS = 70
SOURCE_DIRS = ("crates/", "scripts/", "dist/", "docs/", "vendor/", "bench/", "fuzz/", "src/", "tests/")


def tracked_files():
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in (".git", "target", "node_modules")
                       and not d.startswith("target")]
        for f in filenames:
            out.append(os.path.relpath(os.path.join(dirpath, f), ROOT))
    return out


def main():
    text = open(os.path.join(ROOT, "ARCHITECTURE.md"), encoding="utf-8").read()
    files = tracked_files()
    problems = []

    # 1. The code map.
    crates = sorted(d for d in os.listdir(os.path.join(ROOT, "crates"))
                    if os.path.isfile(os.path.join(ROOT, "crates", d, "Cargo.toml")))
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `([a-z0-9-]+)` \| (.*?) \| (.*?) \|$", line)
        if m and m.group(1).startswith("outpost"):
            rows[m.group(1)] = m.group(2)
    for c in crates:
        if c not in rows:
            problems.append(f"code map: no row for crates/{c}")
    for c, owns in rows.items():
        if c not in crates:
            problems.append(f"code map: row for `{c}`, which is not a crate under crates/")
        words = len(owns.split())
        if words > MAX_OWNS_WORDS:
            problems.append(f"code map: `{c}` has {words} words (at most {MAX_OWNS_WORDS}: "
                            "one or two sentences; the detail goes into the crate's module docs)")

    # 2. Named files and directories exist.
    for name in sorted(set(re.findall(r"`([A-Za-z0-9_./-]+(?:\.rs|\.sh|\.py|/))`", text))):
        # Source paths only: the data directory's files (`spool/rejected/`) are not the tree's.
        if name.endswith("/") and not name.startswith(SOURCE_DIRS):
            continue
        if name.startswith(("http", "/")) or "*" in name:
            continue
        probe = name.rstrip("/")
        hit = any(f == probe or f.endswith("/" + probe) or ("/" + probe + "/") in ("/" + f)
                  or f.startswith(probe + "/") for f in files)
        if not hit:
            problems.append(f"names `{name}`, which is not in the tree")

    # 3. Every invariant names a test that exists.
    inv = text.split("\n## Invariants", 1)
    if len(inv) < 2:
        problems.append("no `## Invariants` section")
    else:
        body = inv[1].split("\n## ", 1)[0]
        bullets = re.split(r"\n- ", "\n" + body.strip())[1:]
        sources = {}
        for f in files:
            if f.endswith(".rs"):
                sources[f] = open(os.path.join(ROOT, f), encoding="utf-8", errors="replace").read()
        test_fns = set()
        for f, s in sources.items():
            for m in re.finditer(r"#\[(?:tokio::)?test[^\]]*\]\s*(?:#\[[^\]]*\]\s*)*(?:async\s+)?fn\s+(\w+)", s):
                test_fns.add(m.group(1))
            for m in re.finditer(r"proptest!\s*\{.*?\}\s*\n\}", s, flags=re.S):
                test_fns.update(re.findall(r"fn\s+(\w+)", m.group(0)))
        for b in bullets:
            title = re.match(r"\*\*(.*?)\*\*", b)
            title = title.group(1) if title else b[:60]
            named = re.findall(r"`([A-Za-z0-9_:./-]+)`", b)
            ok = False
            for n in named:
                last = n.split("::")[-1]
                if last in test_fns:
                    ok = True
                elif (n.endswith(".rs") or n.endswith(".sh")) and any(
                        f.endswith(n) and ("/tests/" in "/" + f or f.startswith("scripts/")) for f in files):
                    ok = True
            if not ok:
                problems.append(f"invariant \"{title}\" names no existing test")

    for p in problems:
        print(p)
    if problems:
        print(f"check-architecture: {len(problems)} problem(s) in ARCHITECTURE.md")
        return 1
    print("check-architecture: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
