#!/usr/bin/env bash
# Release artifacts (issue 25): versioned archives of the static binaries with the service
# files and docs, SHA256SUMS over them, and an Ed25519 signature of SHA256SUMS.
#
#   OUTPOST_RELEASE_KEY=release-key.pem scripts/release.sh [OUTDIR]
#   scripts/release.sh --verify OUTDIR release-key.pub.pem
#
# Needs the static binaries of scripts/static-build.sh ($CARGO_TARGET_DIR/static/). The key is
# an Ed25519 private key in PEM (`openssl genpkey -algorithm ed25519 -out release-key.pem`;
# public half: `openssl pkey -in release-key.pem -pubout`). Until the agent lifecycle's release
# key exists (issue 22), this key is the project's release key; use the same one then.
# Archives are reproducible: sorted names, fixed owner, mtime = the last commit's time
# (SOURCE_DATE_EPOCH), gzip without a timestamp.
#
# OUTDIR/ gets:
#   outpost-VERSION-x86_64-linux-musl.tar.gz         the full static binary (server, agent, admin)
#   outpost-agent-VERSION-x86_64-linux-musl.tar.gz   the slim static agent
#   outpost-agent-VERSION-aarch64-linux.tar.gz       the slim agent for aarch64 (when built)
#   SHA256SUMS, SHA256SUMS.sig                        sums of the archives and their signature
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[release] $*" >&2; }

if [ "${1:-}" = --verify ]; then
    D=$2; PUB=$3
    openssl pkeyutl -verify -pubin -inkey "$PUB" -rawin -in "$D/SHA256SUMS" -sigfile "$D/SHA256SUMS.sig" >/dev/null \
        || { echo "FAIL: the signature of $D/SHA256SUMS does not verify" >&2; exit 1; }
    (cd "$D" && sha256sum --quiet -c SHA256SUMS) || { echo "FAIL: an archive does not match SHA256SUMS" >&2; exit 1; }
    log "verified: signature and $(wc -l < "$D/SHA256SUMS") archive sums"
    exit 0
fi

KEY=${OUTPOST_RELEASE_KEY:?set OUTPOST_RELEASE_KEY to the Ed25519 release key (PEM)}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
STATIC=$TARGET/static
VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' Cargo.toml)
OUT=${1:-$TARGET/release-artifacts/$VERSION}
[ -n "$VERSION" ] || { echo "no version in Cargo.toml" >&2; exit 1; }
[ -x "$STATIC/outpost" ] && [ -x "$STATIC/outpost-agent" ] || { echo "run scripts/static-build.sh first" >&2; exit 1; }
for b in "$STATIC/outpost" "$STATIC/outpost-agent"; do
    "$b" --version | grep -q " $VERSION\$" || { echo "FAIL: $b is not version $VERSION" >&2; exit 1; }
done
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
rm -rf "$OUT"; mkdir -p "$OUT"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT

archive() {   # archive NAME BINARY
    local name=$1 bin=$2 d=$W/$1
    mkdir -p "$d"
    cp "$bin" "$d/outpost"
    cp -r dist/systemd "$d/systemd"
    cp README.md CHANGELOG.md "$d/"
    if [ "$name" = "outpost-$VERSION-x86_64-linux-musl" ]; then
        cp -r dist/container dist/kubernetes "$d/"
    fi
    find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
        -C "$W" -cf - "$name" | gzip -9 -n > "$OUT/$name.tar.gz"
}
archive "outpost-$VERSION-x86_64-linux-musl" "$STATIC/outpost"
archive "outpost-agent-$VERSION-x86_64-linux-musl" "$STATIC/outpost-agent"
if [ -x "$STATIC/outpost-agent-aarch64" ]; then
    archive "outpost-agent-$VERSION-aarch64-linux" "$STATIC/outpost-agent-aarch64"
fi
(cd "$OUT" && sha256sum -- *.tar.gz > SHA256SUMS)
openssl pkeyutl -sign -inkey "$KEY" -rawin -in "$OUT/SHA256SUMS" -out "$OUT/SHA256SUMS.sig"
log "$OUT:"; (cd "$OUT" && ls -l) >&2
