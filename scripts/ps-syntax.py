#!/usr/bin/env python3
"""Syntax check of a Windows PowerShell script without PowerShell: parses it with the
tree-sitter PowerShell grammar and fails on any ERROR or MISSING node, and on non-ASCII bytes
(Windows PowerShell 5.1 reads a file without BOM as ANSI). It does not run the script.

    python3 scripts/ps-syntax.py dist/windows/outpost-rmm.ps1
Needs: pip install tree-sitter==0.26.1 tree-sitter-powershell==0.26.4
"""
import sys

import tree_sitter
import tree_sitter_powershell


def check(path):
    src = open(path, "rb").read()
    errors = []
    for no, line in enumerate(src.splitlines(), 1):
        if any(b > 127 for b in line):
            errors.append(f"{path}:{no}: non-ASCII byte")
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    stack = [parser.parse(src).root_node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            row = n.start_point[0]
            text = src.splitlines()[row].decode("ascii", "replace").strip()
            kind = "missing " + n.type if n.is_missing else "syntax error"
            errors.append(f"{path}:{row + 1}: {kind}: {text}")
        stack.extend(n.children)
    return errors


if __name__ == "__main__":
    errs = [e for p in sys.argv[1:] for e in check(p)]
    for e in errs:
        print(e, file=sys.stderr)
    sys.exit(1 if errs or len(sys.argv) < 2 else 0)
