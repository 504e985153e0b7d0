#!/usr/bin/env bash
# Copies what Nebula needs at run time, from a built checkout, into DEST (the runtime image's
# /opt/nebula): the suite manifest and its three builds per function, builds.json, the shipped
# runtime definitions and the shipped experiments. The functions' build folders (deps/, build/,
# incremental/) stay behind. Run after scripts/build-functions.sh; deploy/Dockerfile runs it.
#   bash deploy/image-files.sh DEST
set -euo pipefail
shopt -s inherit_errexit

if [ "$#" -ne 1 ]; then
    echo "usage: bash deploy/image-files.sh DEST" >&2
    exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$1"
SRC="$ROOT/functions"

# The function names, read from suite.toml as scripts/build-functions.sh reads them.
mapfile -t NAMES < <(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$SRC/suite.toml")
if [ "${#NAMES[@]}" -eq 0 ]; then
    echo "error: no function names found in $SRC/suite.toml" >&2
    exit 1
fi
if [ ! -f "$SRC/target/builds.json" ]; then
    echo "error: $SRC/target/builds.json is missing: run scripts/build-functions.sh first" >&2
    exit 1
fi

install -d "$DEST/functions/target/wasm32-wasip1/release" \
    "$DEST/functions/target/simd128/wasm32-wasip1/release" \
    "$DEST/functions/target/release"
install -m 0644 "$SRC/suite.toml" "$DEST/functions/suite.toml"
install -m 0644 "$SRC/target/builds.json" "$DEST/functions/target/builds.json"
for name in "${NAMES[@]}"; do
    install -m 0644 "$SRC/target/wasm32-wasip1/release/$name.wasm" \
        "$DEST/functions/target/wasm32-wasip1/release/$name.wasm"
    install -m 0644 "$SRC/target/simd128/wasm32-wasip1/release/$name.wasm" \
        "$DEST/functions/target/simd128/wasm32-wasip1/release/$name.wasm"
    install -m 0755 "$SRC/target/release/$name" "$DEST/functions/target/release/$name"
done
cp -R "$ROOT/runtimes" "$DEST/runtimes"
cp -R "$ROOT/experiments" "$DEST/experiments"
echo "ok: ${#NAMES[@]} functions (wasm, wasm-simd128, native), runtimes/ and experiments/ in $DEST"
