#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need (the wasm target,
# Chromium for the browser tests, Node.js for the external-runtime tests (runtimes/node-wasi.mjs),
# clang and wasi-libc for the C examples, pandas and pyarrow in target/pyenv for the Parquet
# reader test, Slurm and MUNGE for the test that runs a sharded study on a one-node Slurm
# that scripts/slurm-local.sh starts on this machine), builds the function
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
# Node.js 18 or later (node:wasi's preview-1 API), the `node` runtime that the tests run.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
  else
    echo "error: Node.js 18 or later is missing; install it (apt-get install nodejs)" >&2
    exit 1
  fi
fi
# Slurm and MUNGE (Debian's 22.05), for tests/all/slurm_cluster.rs: it starts a one-node Slurm
# here with scripts/slurm-local.sh, as root.
slurm_missing=0
for c in slurmctld slurmd sbatch munged; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$c" >/dev/null 2>&1 || slurm_missing=1
done
if [ "$slurm_missing" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  else
    echo "warning: Slurm is missing; install it (apt-get install slurm-wlm munge) and run the tests as root for the Slurm tests" >&2
  fi
fi
# pandas and pyarrow, in a virtual environment of the repository's own, for the test that reads
# calls.parquet the way a researcher does.
if [ ! -x target/pyenv/bin/python ] || ! target/pyenv/bin/python -c "import pyarrow, pandas" 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
      echo "error: python3-venv is missing; install it (apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  mkdir -p target
  python3 -m venv target/pyenv
  target/pyenv/bin/pip install -q --disable-pip-version-check pyarrow pandas
fi
bash scripts/build-functions.sh
bash scripts/build-examples.sh
(cd functions && cargo test --release --locked --quiet)
cargo test --release --locked
