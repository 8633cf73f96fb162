#!/usr/bin/env bash
# Throughput of every output against its real server (release build).
#
#   scripts/services.sh start          # once
#   bench/outputs/run.sh [N] [outputs…] # default N=100000, all outputs
#
# Prints a Markdown table (see docs/benchmarks/outputs.md). stdout of the benchmark binary is
# the table; the `stdout` output is not in the default list because it would mix with it.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/services.sh env)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-outputs}"
cargo build --release -q -p outpost-outputs --example throughput
"$CARGO_TARGET_DIR/release/examples/throughput" "$@"
