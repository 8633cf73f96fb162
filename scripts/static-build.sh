#!/usr/bin/env bash
# Static binaries (issue 25): the full `outpost` and the slim agent for
# x86_64-unknown-linux-musl, fully static (musl libc, vendored libbpf/libelf/zlib, SQLite,
# rustls with compiled-in roots: no shared library, no loader), so they run on any Linux of the
# last ten years and in a `FROM scratch` image. Checked: no program interpreter, no shared
# library, and they run in an empty root (a chroot holding nothing but the binary; plus a CA
# bundle for the server, which answers /healthz there).
#
#   scripts/static-build.sh              x86_64 musl and static glibc: full + slim, checks
#   GLIBC=0 scripts/static-build.sh      musl only
#   AARCH64=1 scripts/static-build.sh    also the slim agent for aarch64 (cross-compiled,
#                                        glibc static), run under qemu-aarch64 user emulation
#
# Output (copied out, as the two feature sets build the same file name):
# $CARGO_TARGET_DIR/static/outpost (full), $CARGO_TARGET_DIR/static/outpost-agent (slim agent),
# $CARGO_TARGET_DIR/static/outpost-agent-aarch64. Build times are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[static] $*" >&2; }
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
MUSL=x86_64-unknown-linux-musl

need_pkgs=()
command -v musl-gcc >/dev/null || need_pkgs+=(musl-tools)
command -v readelf >/dev/null || need_pkgs+=(binutils)
[ -f /etc/ssl/certs/ca-certificates.crt ] || need_pkgs+=(ca-certificates)
if [ "${AARCH64:-0}" = 1 ]; then
    command -v aarch64-linux-gnu-gcc >/dev/null || need_pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
    command -v qemu-aarch64-static >/dev/null || need_pkgs+=(qemu-user-static)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null; }
fi
add_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1" >/dev/null
}
add_target "$MUSL"

# Fully static: no program interpreter, no dynamic section at all (so no shared library and no
# self-relocation: `-C relocation-model=static`, set for musl in .cargo/config.toml and below
# for glibc), and a program that runs with nothing else on the filesystem.
check_static() {
    local bin=$1
    if ! readelf -d "$bin" 2>&1 | grep -q 'There is no dynamic section'; then
        echo "FAIL: $bin has a dynamic section:" >&2; readelf -d "$bin" | head -5 >&2; exit 1
    fi
    if readelf -l "$bin" | grep -q 'INTERP'; then
        echo "FAIL: $bin asks for a program interpreter" >&2; exit 1
    fi
    if readelf -d "$bin" 2>&1 | grep -q '(NEEDED)'; then
        echo "FAIL: $bin needs shared libraries:" >&2; readelf -d "$bin" | grep NEEDED >&2; exit 1
    fi
}
empty_root_run() {   # empty_root_run BIN ARGS… — runs BIN as /outpost in a root holding only it
    local bin=$1; shift
    local r; r=$(mktemp -d)
    cp "$bin" "$r/outpost"
    chroot "$r" /outpost "$@"
    local rc=$?
    rm -rf "$r"
    return $rc
}

t0=$(date +%s)
log "full binary for $MUSL (release)"
OUT=$TARGET/static
mkdir -p "$OUT"
cargo build --locked --release --target "$MUSL" -p outpost
FULL=$OUT/outpost
cp "$TARGET/$MUSL/release/outpost" "$FULL"
t1=$(date +%s)
log "slim agent for $MUSL (release, --no-default-features --features rustls)"
cargo build --locked --release --target "$MUSL" -p outpost --no-default-features --features rustls
SLIM=$OUT/outpost-agent
cp "$TARGET/$MUSL/release/outpost" "$SLIM"
t2=$(date +%s)

GNU=x86_64-unknown-linux-gnu
# getrandom: the getrandom(2) system call itself; its default glibc backend looks the libc
# function up at run time, which a static program cannot, and falls back to /dev/urandom
# (absent in an empty root or a bare container).
GNU_FLAGS='-C target-feature=+crt-static -C relocation-model=static --cfg getrandom_backend="linux_getrandom"'

if [ "${GLIBC:-1}" = 1 ]; then
    # The glibc build, static too (`+crt-static`). Name lookups in a static glibc program need
    # the NSS modules of the same glibc at run time (absent in an empty root): addresses work,
    # so the test below uses 127.0.0.1; for host names prefer the musl build.
    log "full binary and slim agent for $GNU (release, static glibc)"
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$GNU_FLAGS" \
        cargo build --locked --release --target "$GNU" -p outpost
    cp "$TARGET/$GNU/release/outpost" "$OUT/outpost-glibc"
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$GNU_FLAGS" \
        cargo build --locked --release --target "$GNU" -p outpost --no-default-features --features rustls
    cp "$TARGET/$GNU/release/outpost" "$OUT/outpost-agent-glibc"
    t2g=$(date +%s)
    log "glibc: full $(stat -c %s "$OUT/outpost-glibc") bytes, slim $(stat -c %s "$OUT/outpost-agent-glibc") bytes ($((t2g - t2)) s)"
    for b in "$OUT/outpost-glibc" "$OUT/outpost-agent-glibc"; do
        check_static "$b"
        empty_root_run "$b" --version >/dev/null
    done
fi

for b in "$FULL" "$SLIM"; do check_static "$b"; done
empty_root_run "$FULL" --version >/dev/null
empty_root_run "$SLIM" --version >/dev/null
if empty_root_run "$SLIM" --help | grep -qE '^\s+(server|up)\s'; then
    echo "FAIL: the static slim agent offers server commands" >&2; exit 1
fi

# The full binaries serve in an empty root: tenant created, /healthz answers. The root holds a
# CA bundle besides the binary: the server's outbound HTTP client (job subsystem; rustls with
# the platform verifier) refuses to start without one (so the server image carries one too).
SERVER_PID=
R=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; [ -n "$R" ] && rm -rf "$R"' EXIT
serves_in_empty_root() {
    R=$(mktemp -d)
    cp "$1" "$R/outpost"
    mkdir -p "$R/data" "$R/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
    chroot "$R" /outpost tenant create --data-dir /data --name static >/dev/null
    local port=$((20000 + RANDOM % 20000))
    OUTPOST_LOG=warn chroot "$R" /outpost server --data-dir /data --listen "127.0.0.1:$port" > "$R/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$R/server.log" >&2; echo "FAIL: no /healthz from $1 in an empty root" >&2; exit 1; }
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    rm -rf "$R"; R=
}
serves_in_empty_root "$FULL"
[ "${GLIBC:-1}" = 1 ] && serves_in_empty_root "$OUT/outpost-glibc"

log "full: $(stat -c %s "$FULL") bytes ($((t1 - t0)) s), slim: $(stat -c %s "$SLIM") bytes ($((t2 - t1)) s); both static, run in an empty root; the server answers /healthz there"

if [ "${AARCH64:-0}" = 1 ]; then
    A=aarch64-unknown-linux-gnu
    add_target "$A"
    t3=$(date +%s)
    log "slim agent for $A (cross, static glibc)"
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$GNU_FLAGS" \
        cargo build --locked --release --target "$A" -p outpost --no-default-features --features rustls
    ARM=$OUT/outpost-agent-aarch64
    cp "$TARGET/$A/release/outpost" "$ARM"
    check_static "$ARM"
    file "$ARM" 2>/dev/null | grep -q aarch64 || readelf -h "$ARM" | grep -q AArch64
    R2=$(mktemp -d); cp "$ARM" "$R2/outpost"; cp "$(command -v qemu-aarch64-static)" "$R2/qemu"
    chroot "$R2" /qemu /outpost --version
    rm -rf "$R2"
    # And it works as an agent: enrolls with the x86_64 static server on 127.0.0.1 and runs once.
    R2=$(mktemp -d)
    "$FULL" tenant create --data-dir "$R2/server" --name arm >/dev/null
    KEY=$("$FULL" key create --data-dir "$R2/server" --kind enrollment --tenant arm 2>/dev/null)
    port=$((20000 + RANDOM % 20000))
    OUTPOST_LOG=warn "$FULL" server --data-dir "$R2/server" --listen "127.0.0.1:$port" > "$R2/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    echo 203.0.113.7 > "$R2/hot.txt"
    qemu-aarch64-static "$ARM" agent enroll --data-dir "$R2/agent" --server "http://127.0.0.1:$port" \
        --key "$KEY" --hostname arm-static --hotlist "$R2/hot.txt" >/dev/null 2>&1 \
        || { cat "$R2/server.log" >&2; echo "FAIL: the aarch64 agent could not enroll" >&2; exit 1; }
    qemu-aarch64-static "$ARM" agent run-once --data-dir "$R2/agent" --now --json > "$R2/run.json"
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['last_error'] is None, r" "$R2/run.json"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    rm -rf "$R2"
    log "aarch64 slim agent: $(stat -c %s "$ARM") bytes ($(( $(date +%s) - t3 )) s), static, runs under qemu-aarch64 in an empty root, enrolls and runs once against the x86_64 server"
fi
log "PASS"
