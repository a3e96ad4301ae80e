#!/usr/bin/env bash
# Rebuilds dist/main.wasm from src/hello.c with the clang and wasm-ld of the Swift toolchain
# (or any clang with the WebAssembly target). The built file is committed, so packing and
# publishing the sample needs no compiler.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CLANG=${CLANG:-clang}
mkdir -p dist
"$CLANG" --target=wasm32 -O2 -ffreestanding -nostdlib -fno-builtin \
  -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=131072 \
  -o dist/main.wasm src/hello.c
echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"
