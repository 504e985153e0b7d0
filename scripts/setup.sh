#!/usr/bin/env bash
# The main job on a fresh machine: build the function suite (wasm32-wasip1 and native), the C
# examples (examples/c, wasm32-wasi and native; installs Debian's clang as root) and Nebula, show the energy sources, and run the quick experiment (CSVs, summaries, charts).
# Extra arguments go to `nebula run`, e.g. scripts/setup.sh --set repetitions=3
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-functions.sh
bash scripts/build-examples.sh
cargo build --release --locked
./target/release/nebula sensors
./target/release/nebula run experiments/quick.toml "$@"
