#!/usr/bin/env bash
# Builds the user guide (docs/guide, mdBook) and fails on a broken link, anchor or image.
#
#   scripts/build-guide.sh                  build into $CARGO_TARGET_DIR/guide (or target/guide)
#   scripts/build-guide.sh --update-images  also copy the browser test's current screenshots
#                                           over the committed ones in docs/guide/src/images/
#
# mdBook is installed with cargo when missing (pinned version, into MDBOOK_ROOT, default
# ~/.cargo). The book's pictures are the browser test's screenshots (crates/outpost-server/
# tests/ui/e2e.mjs writes target/ui-screenshots/): every committed image that the last browser
# run produced too is replaced in the built book by the fresh one, so the guide shows the UI
# of this commit; the committed copies serve the README and builds without a browser run.
set -euo pipefail
cd "$(dirname "$0")/.."

MDBOOK_VERSION=0.5.4
MDBOOK_ROOT="${MDBOOK_ROOT:-$HOME/.cargo}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/guide"
# Where e2e.mjs saves them (the same variable overrides both).
shots="${OUTPOST_UI_SCREENSHOTS:-$PWD/target/ui-screenshots}"

mdbook="$MDBOOK_ROOT/bin/mdbook"
if ! [ -x "$mdbook" ] || [ "$("$mdbook" --version)" != "mdbook v$MDBOOK_VERSION" ]; then
    echo "[guide] installing mdbook $MDBOOK_VERSION into $MDBOOK_ROOT" >&2
    cargo install mdbook --locked --version "$MDBOOK_VERSION" --no-default-features \
        --features search --root "$MDBOOK_ROOT" --target-dir "$target/mdbook-build"
fi

rm -rf "$out"
"$mdbook" build docs/guide -d "$out"

fresh=0
for img in docs/guide/src/images/*.png; do
    name=$(basename "$img")
    if [ -f "$shots/$name" ]; then
        cp "$shots/$name" "$out/images/$name"
        fresh=$((fresh + 1))
        if [ "${1:-}" = --update-images ]; then cp "$shots/$name" "$img"; fi
    fi
done
echo "[guide] $fresh of $(ls docs/guide/src/images/*.png | wc -l) pictures from the last browser test run ($shots)" >&2

python3 scripts/check-book-links.py "$out" README.md ARCHITECTURE.md
echo "[guide] built $out/index.html" >&2
