#!/usr/bin/env bash
# Builds the Nebula function suite twice with the same release profile: for wasm32-wasip1
# (functions/target/wasm32-wasip1/release/NAME.wasm) and for the host
# (functions/target/release/NAME), then checks that every function of suite.toml has both builds.
# Works from any directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUNCTIONS="$ROOT/functions"
cd "$FUNCTIONS"

# The function names, in manifest order: the `name = "..."` lines of suite.toml.
mapfile -t NAMES < <(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' suite.toml)
if [ "${#NAMES[@]}" -eq 0 ]; then
    echo "error: no function names found in $FUNCTIONS/suite.toml" >&2
    exit 1
fi

echo "==> rustup target add wasm32-wasip1"
rustup target add wasm32-wasip1

echo "==> cargo build --release --target wasm32-wasip1 (in $FUNCTIONS)"
cargo build --release --target wasm32-wasip1

echo "==> cargo build --release (host, in $FUNCTIONS)"
cargo build --release

WASM_DIR="$FUNCTIONS/target/wasm32-wasip1/release"
NATIVE_DIR="$FUNCTIONS/target/release"
missing=0
echo
printf '%-22s %-10s %s\n' "function" "build" "path"
for name in "${NAMES[@]}"; do
    for kind in wasm native; do
        if [ "$kind" = wasm ]; then path="$WASM_DIR/$name.wasm"; else path="$NATIVE_DIR/$name"; fi
        if [ -f "$path" ]; then
            printf '%-22s %-10s %s (%s bytes)\n' "$name" "$kind" "$path" "$(wc -c < "$path" | tr -d ' ')"
        else
            printf '%-22s %-10s MISSING: %s\n' "$name" "$kind" "$path" >&2
            missing=$((missing + 1))
        fi
    done
done
echo
if [ "$missing" -ne 0 ]; then
    echo "error: $missing of $((2 * ${#NAMES[@]})) builds are missing (see MISSING above)" >&2
    exit 1
fi
echo "ok: all ${#NAMES[@]} functions built for wasm32-wasip1 ($WASM_DIR) and natively ($NATIVE_DIR)"
