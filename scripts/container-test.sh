#!/usr/bin/env bash
# Container images (issue 25): builds the server and agent images FROM scratch with podman from
# the static binaries (scripts/static-build.sh builds them when missing) and tests them under
# podman: the server answers /healthz on a published port, runs as a non-root user, and its
# data on a named volume survives a container restart; the agent image runs. Then validates the
# Kubernetes manifests (dist/kubernetes/) against the Kubernetes schemas (kubernetes-validate,
# offline) and the compose file's structure.
#
#   scripts/container-test.sh
#
# Podman on this kind of machine (hybrid cgroups, no systemd as PID 1): the runc runtime,
# cgroupfs, no default ulimits — set through a containers.conf of this script's own
# (CONTAINERS_CONF), nothing global is changed. Installs podman and runc when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[container] $*" >&2; }
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
STATIC=$TARGET/static
TAG=test-$$

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || need+=(runc)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

W=$(mktemp -d /tmp/outpost-container.XXXXXX)
cat > "$W/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$W/containers.conf
VOL=outpost-test-data-$$
SERVER=outpost-test-server-$$
cleanup() {
    podman rm -f "$SERVER" >/dev/null 2>&1 || true
    podman volume rm -f "$VOL" >/dev/null 2>&1 || true
    podman rmi -f "localhost/outpost-server:$TAG" "localhost/outpost-agent:$TAG" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT

if [ ! -x "$STATIC/outpost" ] || [ ! -x "$STATIC/outpost-agent" ]; then
    log "static binaries missing: scripts/static-build.sh"
    bash scripts/static-build.sh
fi

t0=$(date +%s)
mkdir -p "$W/server/data" "$W/agent/data"
cp "$STATIC/outpost" "$W/server/outpost"
cp "$STATIC/outpost-agent" "$W/agent/outpost-agent"
cp /etc/ssl/certs/ca-certificates.crt "$W/server/"
cp /etc/ssl/certs/ca-certificates.crt "$W/agent/"
podman build -q --pull=never -f dist/container/Containerfile.server -t "localhost/outpost-server:$TAG" "$W/server" >/dev/null
podman build -q --pull=never -f dist/container/Containerfile.agent -t "localhost/outpost-agent:$TAG" "$W/agent" >/dev/null
log "images built in $(( $(date +%s) - t0 )) s: server $(podman image inspect --format '{{.Size}}' "localhost/outpost-server:$TAG") bytes, agent $(podman image inspect --format '{{.Size}}' "localhost/outpost-agent:$TAG") bytes"

# A tenant created in the volume before the server starts.
podman run --rm -v "$VOL:/data" "localhost/outpost-server:$TAG" tenant create --data-dir /data --name acme >/dev/null
PORT=$((20000 + RANDOM % 20000))
start_server() {
    podman run -d --name "$SERVER" -p "127.0.0.1:$PORT:8470" -v "$VOL:/data" "localhost/outpost-server:$TAG" >/dev/null
    for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0; sleep 0.2; done
    podman logs "$SERVER" >&2 || true
    echo "FAIL: /healthz does not answer on 127.0.0.1:$PORT" >&2
    exit 1
}
start_server
log "/healthz: $(curl -sf "http://127.0.0.1:$PORT/healthz")"
PID=$(podman inspect --format '{{.State.Pid}}' "$SERVER")
UID_IN=$(awk '/^Uid:/ {print $2}' "/proc/$PID/status")
if [ "$UID_IN" = 0 ]; then echo "FAIL: the server container runs as root" >&2; exit 1; fi
log "the server runs as uid $UID_IN"
# An admin key made through the running server's volume, then the API lists the tenant.
ADMIN=$(podman exec "$SERVER" /outpost key create --data-dir /data --kind admin 2>/dev/null)
curl -sf -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/tenants" | grep -q '"acme"' \
    || { echo "FAIL: the tenant is not listed" >&2; exit 1; }
# Restart: a new container on the same volume keeps the tenant and the key.
podman rm -f "$SERVER" >/dev/null
start_server
curl -sf -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/tenants" | grep -q '"acme"' \
    || { echo "FAIL: the data did not survive the restart" >&2; exit 1; }
log "a new container on the same volume still has the tenant and the admin key"
podman rm -f "$SERVER" >/dev/null

# The agent image: the slim agent runs; no server in it.
podman run --rm "localhost/outpost-agent:$TAG" --version >/dev/null
if podman run --rm "localhost/outpost-agent:$TAG" --help | grep -qE '^\s+(server|up)\s'; then
    echo "FAIL: the agent image offers server commands" >&2; exit 1
fi
log "the agent image runs ($(podman run --rm "localhost/outpost-agent:$TAG" --version))"

# Kubernetes manifests against the Kubernetes JSON schemas (bundled in kubernetes-validate:
# no cluster, no network once installed); the compose file parsed and checked.
VENV=${OUTPOST_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/outpost-tools-venv}
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'kubernetes-validate==1.37.0' >/dev/null
fi
"$VENV/bin/kubernetes-validate" --strict --kubernetes-version 1.33 dist/kubernetes/*.yaml
"$VENV/bin/python" - dist/container/compose.yaml <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert set(c["services"]) == {"postgres", "server"}, c["services"].keys()
s = c["services"]["server"]
assert "OUTPOST_DATABASE_URL" in s["environment"] and "outpost-data:/data" in s["volumes"], s
assert set(c["volumes"]) == {"pg-data", "outpost-data"}
PY
log "PASS in $(( $(date +%s) - t0 )) s"
