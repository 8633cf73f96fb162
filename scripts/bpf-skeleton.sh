#!/usr/bin/env bash
# The committed eBPF skeleton (crates/outpost-sensors/bpf/conn.skel.rs, which embeds the BPF
# object) is what a machine without clang builds with. This regenerates it with clang:
#
#   scripts/bpf-skeleton.sh           rewrite the committed skeleton from bpf/conn.bpf.c
#   scripts/bpf-skeleton.sh --check   fail when a fresh clang build differs by one byte
#
# (The same comparison runs as the unit test `net::ebpf::skeleton::committed_is_reproducible`
# whenever outpost-sensors is built with clang.)
set -euo pipefail
cd "$(dirname "$0")/.."
COMMITTED=crates/outpost-sensors/bpf/conn.skel.rs
command -v clang >/dev/null || { echo "clang is needed to regenerate $COMMITTED" >&2; exit 1; }
OUT=$(cargo build --locked -p outpost-sensors --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and m["package_id"].split("#")[0].endswith("outpost-sensors"):
        print(m["out_dir"])
')
[ -n "$OUT" ] || { echo "could not find outpost-sensors' OUT_DIR" >&2; exit 1; }
BUILT=$OUT/conn.skel.rs
if [ "${1:-}" = --check ]; then
    if cmp "$BUILT" "$COMMITTED"; then
        echo "[bpf] the committed skeleton is byte for byte the clang build ($(clang --version | head -1))" >&2
    else
        echo "FAIL: $COMMITTED differs from a fresh clang build ($BUILT): run scripts/bpf-skeleton.sh" >&2
        exit 1
    fi
else
    cp "$BUILT" "$COMMITTED"
    echo "[bpf] wrote $COMMITTED ($(wc -c < "$COMMITTED") bytes)" >&2
fi
