#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need (the wasm target,
# Chromium for the browser tests, clang and wasi-libc for the C examples), builds the function
# suite and the C examples once, runs the suite's unit tests and
# Nebula's tests (release profile, so the build is shared with scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; the browser tests will fail" >&2
  else
    echo "warning: chromium is missing; install it (apt-get install chromium) for the browser tests" >&2
  fi
fi
bash scripts/build-functions.sh
bash scripts/build-examples.sh
(cd functions && cargo test --release --locked --quiet)
cargo test --release --locked
