#!/usr/bin/env bash
# Builds bench/peer/gguf_check.c, ggml's own GGUF reader and dequantizers as a program, outside the
# repository, against the ggml that scripts/build-ggml-peer.sh builds (same folder, same pinned
# commit), and prints the program's path. GgufExportTest runs it when it exists (at
# DIR/gguf_check, or wherever T4J_GGUF_CHECK points).
#   scripts/build-gguf-check.sh [DIR]     (default DIR: ~/.cache/ternary4j-ggml-peer)
# GGML_REPO may name a local clone or mirror to clone from. Needs git, cmake, a C compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$HOME/.cache/ternary4j-ggml-peer}"
"$here/scripts/build-ggml-peer.sh" "$dir" >/dev/null
lib="$dir/ggml/build/src"
cc -O2 -o "$dir/gguf_check" "$here/bench/peer/gguf_check.c" -I"$dir/ggml/include" \
   -L"$lib" -lggml -lggml-base -Wl,-rpath,"$lib" -lm
echo "$dir/gguf_check"
