#!/usr/bin/env bash
# Builds the C examples (examples/c/*.c) for wasm32-wasi and natively, with the kernel markers of
# include/nebula.h, into examples/c/build/NAME.wasm and examples/c/build/NAME. Both builds use
# Debian's clang at -O2 with no target-specific flags, so that they differ only in the target
# (natively clang's default CPU, x86-64's baseline with SSE2). A third build with -msimd128,
# NAME.simd128.wasm, is the `wasm_simd128` build that the `wasm-simd128` runtime runs.
# Installs clang, lld, wasi-libc and the wasm32 runtime library when they are missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v wasm-ld >/dev/null 2>&1 || command -v wasm-ld-14 >/dev/null 2>&1 || need+=(lld)
[ -d /usr/share/wasi-sysroot ] || [ -d /usr/lib/wasm32-wasi ] || need+=(wasi-libc)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null || need+=(libclang-rt-dev-wasm32)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang lld wasi-libc libclang-rt-dev-wasm32 >/dev/null
  else
    echo "build-examples: missing ${need[*]}: install them with" >&2
    echo "  sudo apt-get install clang lld wasi-libc libclang-rt-dev-wasm32" >&2
    exit 1
  fi
fi
out=examples/c/build
mkdir -p "$out"
for src in examples/c/*.c; do
  name=$(basename "$src" .c)
  clang --target=wasm32-wasi -O2 -Iinclude -o "$out/$name.wasm" "$src" -lm
  clang --target=wasm32-wasi -O2 -msimd128 -Iinclude -o "$out/$name.simd128.wasm" "$src" -lm
  clang -O2 -Iinclude -o "$out/$name" "$src" -lm
done
echo "built $(ls examples/c/*.c | wc -l) C examples into $out (wasm, wasm with simd128, and native)"
