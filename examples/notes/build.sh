#!/usr/bin/env bash
# Rebuilds dist/main.wasm from src/notes.c and the C SDK (sdk/c), and copies the iframe bridge
# (sdk/js/exthost-bridge.js) into ui/, since a bundle holds only files under its own directory.
# Uses the clang and wasm-ld of the Swift toolchain (or any clang with the WebAssembly target).
# The output is reproducible: the same compiler gives the same bytes, so the built files are
# committed and packing or publishing the example needs no compiler.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CLANG=${CLANG:-clang}
SDK=${EXTHOST_SDK:-../../sdk}
mkdir -p dist
"$CLANG" --target=wasm32 -O2 -ffreestanding -nostdlib -Wall -Wextra -Werror \
  -ffile-prefix-map="$PWD"=. -I "$SDK/c" \
  -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=262144 \
  -o dist/main.wasm src/notes.c
cp "$SDK/js/exthost-bridge.js" ui/exthost-bridge.js
echo "dist/main.wasm: $(wc -c <dist/main.wasm) bytes"
