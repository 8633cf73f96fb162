#!/usr/bin/env bash
# Runs one fuzz target with AFL++ (cargo afl fuzz) for a time and/or a number of executions,
# then prints one summary line from AFL++'s fuzzer_stats and lists any crash.
#
# Usage: fuzz/run.sh TARGET SECONDS [MAX_EXECS]
# Env: CORPUS (default fuzz/corpus: seeds from fuzz/seed.sh), OUT (default fuzz/out),
#      CARGO_TARGET_DIR (where `cargo afl build --release` put the targets; default fuzz/target).
# Exit status: 0 without crashes, 1 when the target crashed (inputs under OUT/TARGET/default/crashes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
t="${1:?target}"
secs="${2:?seconds}"
execs="${3:-}"
corpus="${CORPUS:-$here/corpus}"
out="${OUT:-$here/out}"
bin="${CARGO_TARGET_DIR:-$here/target}/release/$t"
[[ -x "$bin" ]] || { echo "run.sh: $bin missing: build first" >&2; exit 2; }
[[ -d "$corpus/$t" ]] || { echo "run.sh: no seeds in $corpus/$t: run fuzz/seed.sh" >&2; exit 2; }

case "$t" in
  agent_bodies|sensoroni|config_overlay) dict=json.dict; tmo=1000 ;;
  stix_pattern|stix_bundle) dict=stix.dict; tmo=2000 ;;
  rules) dict=yaml.dict; tmo=2000 ;;
  pcap) dict=pcap.dict; tmo=1000 ;;
  audit) dict=audit.dict; tmo=1000 ;;
  evtx) dict=""; tmo=5000 ;;
  intel_bundle) dict=""; tmo=1000 ;;
  dns) dict=""; tmo=1000 ;;
  *) echo "run.sh: unknown target $t" >&2; exit 2 ;;
esac

rm -rf "${out:?}/$t"
mkdir -p "$out"
args=(-i "$corpus/$t" -o "$out/$t" -V "$secs" -t "$tmo" -m none)
[[ -n "$execs" ]] && args+=(-E "$execs")
[[ -n "$dict" ]] && args+=(-x "$here/dict/$dict")
# No UI, no CPU binding (the machine is shared), no CPU-governor or core_pattern demands,
# and stop when -V/-E say so even if new paths keep coming.
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FAST_CAL=1 AFL_NO_WARN_INSTABILITY=1 AFL_QUIET=1
log="$out/$t.log"
start=$(date +%s)
cargo afl fuzz "${args[@]}" -- "$bin" > "$log" 2>&1 || {
  echo "run.sh: afl-fuzz failed for $t (see $log):" >&2
  tail -n 20 "$log" >&2
  exit 2
}
took=$(( $(date +%s) - start ))
# Scratch files of the targets that read a path (evtx, audit, pcap), left by killed children.
rm -f /dev/shm/outpost-fuzz-"$t"-* "${TMPDIR:-/tmp}"/outpost-fuzz-"$t"-*
stats="$out/$t/default/fuzzer_stats"
get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$out/$t/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$out/$t/default/hangs" -type f -name 'id:*' | wc -l)
printf '%-15s execs=%s execs/s=%s edges=%s map=%s corpus=%s crashes=%s hangs=%s time=%ss\n' \
  "$t" "$(get execs_done)" "$(get execs_per_sec)" "$(get edges_found)" "$(get bitmap_cvg)" \
  "$(get corpus_count)" "$crashes" "$hangs" "$took"
if (( crashes > 0 )); then
  find "$out/$t/default/crashes" -type f -name 'id:*' | sed 's/^/  crash: /'
  exit 1
fi
