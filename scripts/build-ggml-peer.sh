#!/usr/bin/env bash
# Builds the llama.cpp/ggml GEMV peer for `./ternary4j bench kernels --peer PROGRAM`, outside the
# repository: clones ggml (pinned commit), builds its CPU backend natively, compiles
# bench/peer/ggml_gemv_peer.c against it and prints the program's path.
#   scripts/build-ggml-peer.sh [DIR]     (default DIR: ~/.cache/ternary4j-ggml-peer)
# GGML_REPO may name a local clone or mirror to clone from. Needs git, cmake, a C compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$HOME/.cache/ternary4j-ggml-peer}"
repo="${GGML_REPO:-https://github.com/ggml-org/ggml}"
commit=d99724f2
case "$dir" in "$here"/*) echo "build-ggml-peer: $dir is inside the repository; pick a folder outside it" >&2; exit 2;; esac
for tool in git cmake cc; do
  command -v "$tool" >/dev/null || { echo "build-ggml-peer: needs $tool (apt-get install git cmake build-essential)" >&2; exit 2; }
done
mkdir -p "$dir"
if [ ! -d "$dir/ggml/.git" ]; then git clone -q "$repo" "$dir/ggml"; fi
git -C "$dir/ggml" checkout -q "$commit"
cmake -S "$dir/ggml" -B "$dir/ggml/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON >"$dir/cmake.log" 2>&1
# Only the libraries: ggml's examples and tests are not needed and take most of the build time.
cmake --build "$dir/ggml/build" -j"$(nproc)" --target ggml ggml-base ggml-cpu >>"$dir/cmake.log" 2>&1
lib="$dir/ggml/build/src"
cc -O2 -o "$dir/peer" "$here/bench/peer/ggml_gemv_peer.c" -I"$dir/ggml/include" \
   -L"$lib" -lggml -lggml-base -lggml-cpu -Wl,-rpath,"$lib" -lm
echo "$dir/peer"
