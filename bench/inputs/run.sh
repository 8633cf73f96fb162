#!/usr/bin/env bash
# Throughput of [[inputs]] (issue 23): Kafka and NATS JetStream, Tetragon and Falco samples.
# Usage: bench/inputs/run.sh [N] [profile]   (services from scripts/services.sh; shared data)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
PROFILE=${2:-dev}
SENSORS=${OUTPOST_SHARED_DIR:-$(pwd)/../shared}/data/sensors
eval "$(bash scripts/services.sh env)"
cargo build --locked --profile "$PROFILE" -p outpost-server --example input_throughput
DIR=${CARGO_TARGET_DIR:-target}/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/examples
for src in kafka nats; do
  for fmt in tetragon falco; do
    "$DIR/input_throughput" "$src" "$fmt" "$N" "$SENSORS"
  done
done
