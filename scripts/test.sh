#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the system packages the tests
# need, starts the real services they run against (PostgreSQL, Redis, NATS, an OpenSearch-API
# server, a Kafka-API broker — see scripts/services.sh), builds with --locked, and runs every
# test with cargo-nextest (or cargo test when nextest is absent).
#
#   scripts/test.sh              everything
#   scripts/test.sh -p CRATE     pass extra arguments to the test runner
#
# Environment: OUTPOST_SKIP_SERVICES=1 runs without starting services (those tests then skip
# with a message); OUTPOST_SKIP_KAFKA=1 skips building/starting the Kafka broker;
# OUTPOST_SKIP_UI=1 skips the browser test (the user guide is still built and link-checked, with
# its committed pictures); OUTPOST_SKIP_PACKAGING=1 skips the packaging checks
# (bare-machine build, static binaries, container images, install round trip, release archives).
#
# A test that lacks the shared data (../shared) fails here instead of skipping
# (OUTPOST_REQUIRE_SHARED=1), and so does one that lacks a service this script started
# (OUTPOST_REQUIRE_SERVICES=1), and so does one that lacks root, the IPv6 loopback, a kernel
# interface or a system tool this script installs (OUTPOST_REQUIRE_HOST=1): nothing is
# silently left untested.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[test] $*" >&2; }
T_START=$(date +%s)
# Free disk space, logged at each step: a clean run needs ~40 GB (debug build with every test
# binary, the Windows, fuzz, bare-machine and static builds). A run that ran out of disk once
# failed in an unrelated step with "No space left on device", so say it up front.
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
disk() { log "disk: $(df -h --output=avail "$PWD" | tail -1 | tr -d ' ') free ($*)"; }
avail_gb=$(df --output=avail -BG "$PWD" | tail -1 | tr -dc '0-9')
if [ "${avail_gb:-0}" -lt 40 ]; then
    log "WARNING: only ${avail_gb} GB free on $(df --output=target "$PWD" | tail -1); a clean run needs ~40 GB."
    log "         Free space (old target directories, /tmp) if a step fails with 'No space left on device'."
fi
disk "start"
# On CI, build trees that no later step reads are removed after their step.
ci_drop() { if [ "${CI:-}" = true ]; then rm -rf "$@"; disk "removed $*"; fi; }

# System packages: C toolchain for BPF and bundled C libraries, packet tools for PCAP jobs,
# auditd for the audit-log tests, OpenSSL headers for the slim agent's TLS, mingw and Wine for
# the Windows agent (cross-built and run under Wine by scripts/windows-agent.sh; python3-venv for
# its PowerShell syntax check); curl and iproute2 for the README's quick start
# (scripts/quickstart-test.sh).
PKGS=(clang llvm libelf-dev zlib1g-dev libssl-dev pkg-config tcpdump tshark auditd dnsutils
      gcc-mingw-w64-x86-64 wine wine64 make python3-venv curl iproute2)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${OUTPOST_SKIP_SERVICES:-0}" != 1 ]; then
    # Starts the Kafka broker build in the background first so it overlaps our own build.
    bash scripts/services.sh install
fi

export OUTPOST_REQUIRE_SHARED="${OUTPOST_REQUIRE_SHARED:-1}"
export OUTPOST_REQUIRE_HOST="${OUTPOST_REQUIRE_HOST:-1}"
# clang is installed above, so the eBPF skeleton is compiled from source and its unit test
# compares it with the committed one (it fails if the build fell back to the committed one).
export OUTPOST_REQUIRE_BPF_CLANG=1
# Clean builds: incremental caches only cost disk and time here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

disk "before the build"
log "building (locked)"
cargo build --locked --workspace --all-targets

# Node packages of the tests (crates/outpost-server/tests/ui: playwright-core for the browser
# test, oidc-provider, the real OpenID Provider that the sign-in tests of outpost-server's
# tests/it/authz.rs and the browser test start on 127.0.0.1). Installed before the test run: the
# OIDC tests fail without them (OUTPOST_REQUIRE_HOST=1).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs and npm for the OIDC and UI tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; } >/dev/null
fi
(cd crates/outpost-server/tests/ui && npm ci --no-audit --no-fund --loglevel=error)

if [ "${OUTPOST_SKIP_SERVICES:-0}" != 1 ]; then
    bash scripts/services.sh start
    eval "$(bash scripts/services.sh env)"
    # Every service is up, so a test that finds none fails (unless Kafka was opted out).
    [ "${OUTPOST_SKIP_KAFKA:-0}" = 1 ] || export OUTPOST_REQUIRE_SERVICES=1
    trap 'bash scripts/services.sh stop || true' EXIT
fi

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --workspace --no-fail-fast "$@"
    # nextest does not run doc tests.
    cargo test --locked --workspace --doc
else
    cargo test --locked --workspace --no-fail-fast "$@"
fi

# Web UI end to end: the real `outpost` binary driven by headless Chromium (playwright-core
# from npm, the system's chromium). Installs chromium (and node/npm) when missing; skips with
# a message only when chromium cannot be installed. OUTPOST_SKIP_UI=1 skips it.
ui_e2e() {
    local dir=crates/outpost-server/tests/ui
    export DEBIAN_FRONTEND=noninteractive
    if ! command -v chromium >/dev/null 2>&1; then
        log "installing chromium for the UI end-to-end test"
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >/dev/null 2>&1 || true
    fi
    if ! command -v chromium >/dev/null 2>&1; then
        log "SKIP UI end-to-end test: chromium could not be installed"
        return 0
    fi
    # node, npm and the packages (playwright-core, oidc-provider) were installed before the
    # test run above.
    cargo build --locked -p outpost
    local target="${CARGO_TARGET_DIR:-$PWD/target}"
    log "UI end-to-end test (screenshots in target/ui-screenshots/)"
    OUTPOST_BIN="$target/debug/outpost" CHROMIUM="$(command -v chromium)" node "$dir/e2e.mjs"
}
if [ "${OUTPOST_SKIP_UI:-0}" != 1 ]; then
    ui_e2e
fi

# Structure limits and the architecture document checked against the tree: no library file
# over 1,200 lines, no function outside tests over 200 (scripts/check-structure.py); the code
# map names every crate in two sentences, named paths exist, every invariant names a test
# that exists (scripts/check-architecture.py).
python3 scripts/check-structure.py
python3 scripts/check-architecture.py

# The user guide (docs/guide, mdBook): installs the pinned mdbook with cargo when missing,
# builds the book with the browser test's fresh screenshots, fails on a broken link, anchor or
# image (scripts/check-book-links.py).
t=$(date +%s)
log "user guide (mdBook) build and link check"
bash scripts/build-guide.sh
log "user guide: $(( $(date +%s) - t )) s"

# The README's quick start, run as written (commands taken from its code blocks): outpost up,
# an indicator, a connection to 203.0.113.7 held by a network namespace of the script's own,
# the hit in the API, triaged with the guide's command (~75 s: one agent check-in).
t=$(date +%s)
cargo build --locked -p outpost
OUTPOST_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/outpost" bash scripts/quickstart-test.sh
log "README quick start: $(( $(date +%s) - t )) s"

# The slim agent: at most 5 MB stripped, no server, HTTPS through the system's OpenSSL.
disk "after the test run"
log "slim agent build and HTTPS smoke test"
bash scripts/slim-agent.sh

# Agent self-update (issue 22): a second slim agent differing in its version string (own
# target dir), upgraded in place against a real server; tampered, truncated, wrongly signed
# and older releases refused; a release that exits at start rolled back.
t=$(date +%s)
log "agent self-update end to end"
SLIM="${CARGO_TARGET_DIR:-$PWD/target}/release-small/outpost" \
    FULL="${CARGO_TARGET_DIR:-$PWD/target}/debug/outpost" bash scripts/update-test.sh
log "self-update: $(( $(date +%s) - t )) s"
ci_drop "$TARGET_DIR/update-test"

# The Windows agent: outpost.exe cross-built (≤ 5 MB), its unit tests and an end-to-end run
# against a Linux server under Wine (scripts/windows-agent.sh).
t=$(date +%s)
log "Windows agent under Wine"
FULL="${CARGO_TARGET_DIR:-$PWD/target}/debug/outpost" bash scripts/windows-agent.sh
log "Windows agent: $(( $(date +%s) - t )) s"
ci_drop "$TARGET_DIR/x86_64-pc-windows-gnu"

# Every fuzz target briefly (AFL++, scripts/fuzz-smoke.sh; long runs in docs/fuzzing.md).
t=$(date +%s)
log "fuzz smoke run"
bash scripts/fuzz-smoke.sh
log "fuzz smoke: $(( $(date +%s) - t )) s"
ci_drop "$TARGET_DIR/fuzz-afl"

# Packaging (issue 25), each step timed in its own script:
#   bare-build.sh      outpost-sensors built with the -dev packages, clang, make, pkg-config and
#                      autotools hidden (overlay + chroot), its committed BPF object loaded
#   static-build.sh    static full binary and slim agent, musl and glibc, no dynamic section, run
#                      in an empty root; the aarch64 slim agent under qemu (OUTPOST_AARCH64=0 skips)
#   container-test.sh  FROM scratch images under podman, Kubernetes manifests schema-checked
#   install-test.sh    install/uninstall round trip of the agent and server services
#   release.sh         archives, SHA256SUMS and their signature verified; a flipped byte refused
packaging() {
    local target="${CARGO_TARGET_DIR:-$PWD/target}" t
    t=$(date +%s); bash scripts/bare-build.sh; log "bare-machine build: $(( $(date +%s) - t )) s"
    ci_drop "$TARGET_DIR/bare"
    t=$(date +%s); AARCH64="${OUTPOST_AARCH64:-1}" bash scripts/static-build.sh; log "static builds: $(( $(date +%s) - t )) s"
    t=$(date +%s); bash scripts/container-test.sh; log "container images: $(( $(date +%s) - t )) s"
    disk "after the packaging builds"
    cargo build --locked -p outpost
    OUTPOST_BIN="$target/debug/outpost" bash scripts/install-test.sh
    local rel; rel=$(mktemp -d)
    openssl genpkey -algorithm ed25519 -out "$rel/key.pem" 2>/dev/null
    openssl pkey -in "$rel/key.pem" -pubout -out "$rel/key.pub.pem"
    OUTPOST_RELEASE_KEY="$rel/key.pem" bash scripts/release.sh "$rel/out"
    bash scripts/release.sh --verify "$rel/out" "$rel/key.pub.pem"
    local first; first=$(ls "$rel/out"/*.tar.gz | head -1)
    python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[100] ^= 0xFF; open(p, "wb").write(b)' "$first"
    if bash scripts/release.sh --verify "$rel/out" "$rel/key.pub.pem" 2>/dev/null; then
        echo "FAIL: a tampered release archive verified" >&2; exit 1
    fi
    rm -rf "$rel"
    log "release archives: signed sums verify, a flipped byte is refused"
}
if [ "${OUTPOST_SKIP_PACKAGING:-0}" != 1 ]; then
    packaging
fi
log "all steps passed in $(( $(date +%s) - T_START )) s"
