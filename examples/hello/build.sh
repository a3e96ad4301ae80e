#!/usr/bin/env bash
# Rebuilds dist/main.wasm from src/hello.c and the C SDK (sdk/c) with the clang and wasm-ld of
# the Swift toolchain (or any clang with the WebAssembly target). The output is reproducible:
# the same compiler gives the same bytes, which is why the built file is committed and packing
# or publishing the sample needs no compiler.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CLANG=${CLANG:-clang}
SDK=${EXTHOST_SDK:-../../sdk}
mkdir -p dist
"$CLANG" --target=wasm32 -O2 -ffreestanding -nostdlib -Wall -Wextra -Werror \
  -ffile-prefix-map="$PWD"=. -I "$SDK/c" \
  -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=131072 \
  -o dist/main.wasm src/hello.c
echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"
