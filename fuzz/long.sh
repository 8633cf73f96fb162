#!/usr/bin/env bash
# The long runs recorded in docs/fuzzing.md: two lanes of targets, one afl-fuzz per lane,
# each target for SECONDS (default 900) or 10 million executions, under nice -n 19.
# Summary lines go to OUT/summary.txt (default fuzz/out).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-900}"
out="${OUT:-$here/out}"
mkdir -p "$out"
lane() {
  for t in "$@"; do
    nice -n 19 "$here/run.sh" "$t" "$secs" 10000000 >> "$out/summary.txt" 2>&1
  done
}
lane sensoroni config_overlay agent_bodies intel_bundle pcap &
lane audit stix_pattern stix_bundle rules evtx &
wait
