#!/usr/bin/env bash
# Bare-machine build check (issue 25): builds the eBPF sensor crate — vendored libbpf, libelf
# and zlib, and the BPF skeleton — on this machine's root filesystem with the -dev packages,
# clang/LLVM, pkg-config, make and autotools made ABSENT: an overlay of / whose upper layer
# holds whiteouts for every file of those packages, entered with chroot in a private mount
# namespace (nothing changes outside it). What is left is a Rust toolchain and a C compiler.
#
#   scripts/bare-build.sh            check (needs root: unshare, mount, chroot)
#
# It uses its own target directory (BARE_TARGET, default $CARGO_TARGET_DIR/bare): cargo does not
# know which system headers an artifact was built with, so reusing one built with the headers
# would prove nothing. It builds `outpost-sensors` and links its `sensors_dump` example (the
# static libbpf/libelf/zlib in a real executable), runs `ldd` on it (no libelf, no libz) and
# runs it for 2 s: the connection sensor must load the committed BPF object (eBPF mechanism).
# Then `cargo check -p outpost`: the build scripts of every C dependency of the full binary.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[bare] $*" >&2; }
REPO=$PWD
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BARE_TARGET=${BARE_TARGET:-$TARGET/bare}

# The packages a bare machine does not have. Only those installed here need hiding.
HIDE_PKGS=(libelf-dev zlib1g-dev libzstd-dev libssl-dev clang clang-14 llvm llvm-14 llvm-14-dev
    libclang-cpp14 libclang1-14 libllvm14 libclang-common-14-dev llvm-14-linker-tools
    llvm-14-runtime lld lld-14 pkg-config pkgconf pkgconf-bin make autoconf automake autopoint
    libtool flex bison gawk m4)

if [ "$(id -u)" != 0 ]; then
    echo "FAIL: scripts/bare-build.sh needs root (mount namespace, overlay, chroot)" >&2
    exit 1
fi

W=$(mktemp -d /tmp/outpost-bare.XXXXXX)
trap 'rm -rf "$W"' EXIT
hidden=0
: > "$W/hide.list"
for p in "${HIDE_PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || continue
    dpkg -L "$p" 2>/dev/null | while read -r f; do
        # Files and symlinks (directories stay: other packages share them).
        if [ -L "$f" ] || [ -f "$f" ]; then echo "$f"; fi
    done >> "$W/hide.list"
done
# Alternatives/links that point into the hidden packages (e.g. /usr/bin/clang -> clang-14).
for f in /usr/bin/clang* /usr/bin/llvm-* /usr/bin/llc* /usr/bin/pkg-config /usr/bin/make \
    /usr/bin/autoreconf /usr/bin/*-pkg-config; do
    [ -e "$f" ] || [ -L "$f" ] && echo "$f" >> "$W/hide.list"
done
sort -u -o "$W/hide.list" "$W/hide.list"
hidden=$(wc -l < "$W/hide.list")
log "hiding $hidden files of: $(for p in "${HIDE_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 && printf '%s ' "$p"; done)"

mkdir -p "$BARE_TARGET"
cat > "$W/inner.sh" <<'INNER'
set -euo pipefail
W=$1; REPO=$2; BARE_TARGET=$3
mount -t tmpfs tmpfs "$W/layers"
mkdir -p "$W/layers/upper" "$W/layers/work"
# A whiteout (character device 0:0) in the upper layer hides the lower file.
while read -r f; do
    mkdir -p "$W/layers/upper$(dirname "$f")"
    mknod "$W/layers/upper$f" c 0 0
done < "$W/hide.list"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/layers/upper,workdir=$W/layers/work" "$W/root"
for m in proc sys dev; do mount --rbind "/$m" "$W/root/$m"; done
# The repository and the target directory stay the real ones (builds are written there).
mkdir -p "$W/root$REPO" "$W/root$BARE_TARGET"
mount --bind "$REPO" "$W/root$REPO"
mount --bind "$BARE_TARGET" "$W/root$BARE_TARGET"
exec chroot "$W/root" /usr/bin/env -i HOME="$HOME" PATH="$HOME/.cargo/bin:/usr/local/bin:/usr/bin:/bin" \
    CARGO_TARGET_DIR="$BARE_TARGET" CARGO_INCREMENTAL=0 RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-}" \
    bash -c '
set -euo pipefail
cd "$1"
log() { echo "[bare] $*" >&2; }
# Prove the absence first.
for f in /usr/include/libelf.h /usr/include/gelf.h /usr/include/zlib.h /usr/include/openssl/ssl.h; do
    if [ -e "$f" ]; then echo "FAIL: $f is still visible" >&2; exit 1; fi
done
for c in clang clang-14 llc pkg-config make autoreconf flex bison; do
    if command -v "$c" >/dev/null 2>&1; then echo "FAIL: $c is still on PATH" >&2; exit 1; fi
done
if echo "#include <libelf.h>" | cc -E - >/dev/null 2>&1; then echo "FAIL: the C compiler finds libelf.h" >&2; exit 1; fi
if echo "#include <zlib.h>" | cc -E - >/dev/null 2>&1; then echo "FAIL: the C compiler finds zlib.h" >&2; exit 1; fi
log "no libelf.h, zlib.h, clang, pkg-config, make or autotools here; C compiler: $(cc --version | head -1)"
cargo build --locked -p outpost-sensors --example sensors_dump
EX=$CARGO_TARGET_DIR/debug/examples/sensors_dump
if ldd "$EX" | grep -E "libelf|libz\.|libbpf"; then echo "FAIL: $EX links libelf/libz/libbpf dynamically" >&2; exit 1; fi
log "built and linked $EX without them: $(ldd "$EX" | awk "{print \$1}" | tr "\n" " ")"
# The committed BPF object loads: the connection sensor runs on eBPF (the kernel has BTF).
if [ -e /sys/kernel/btf/vmlinux ]; then
    "$EX" 2 2> /tmp/sensors.err > /dev/null
    python3 -c "import json,sys; t=open(\"/tmp/sensors.err\").read(); c=json.JSONDecoder().raw_decode(t)[0][\"collectors\"][\"connections\"]; sys.exit(0 if c[\"mechanism\"]==\"ebpf\" and c[\"running\"] else 1)" \
        || { cat /tmp/sensors.err >&2; echo "FAIL: the eBPF connection sensor did not load from the committed skeleton" >&2; exit 1; }
    log "the committed BPF object loads and runs: connections come from eBPF"
fi
# Every other C dependency of the README command (SQLite, ring, aws-lc, …) builds here too:
# `cargo check` runs all their build scripts (the C compilation) without Rust code generation.
cargo check --locked -p outpost
log "cargo check -p outpost: every build script of the full binary ran without them"
' bare "$REPO"
INNER
mkdir -p "$W/layers" "$W/root"
START=$(date +%s)
unshare --mount --propagation private bash "$W/inner.sh" "$W" "$REPO" "$BARE_TARGET"
log "PASS in $(( $(date +%s) - START )) s: outpost-sensors (eBPF, vendored libbpf/libelf/zlib, committed skeleton) builds with only Rust and a C compiler"
