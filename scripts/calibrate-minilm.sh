#!/usr/bin/env bash
# Calibration-only ternarization of all-MiniLM-L6-v2 (all 36 MatMul weights ternary, TNT) on COUNT
# texts, then the held-out scores of `task sentence-retrieval` for FP and the calibrated model.
# The texts: the 127 calibration pairs' 254 texts first, then texts from outside the evaluation
# split (Debian package synopses and long descriptions from the apt lists and the dpkg status, man
# pages' NAME lines and first DESCRIPTION paragraphs; evaluation packages and texts excluded), TOKENS
# tokens at most; the first COUNT of them calibrate. 128 texts x 64 tokens overfit: GPTQ and the
# target step fit a 1536-input Gram from about 4 300 token rows.
# Usage: scripts/calibrate-minilm.sh [WORK_DIR] with COUNT (default 2048), GROUPING (default
# block:8), SCALES (default f16: block:8 with half scales stores 3.6 bits/weight, as block:16 with
# f32 ones), STEPS (default all), TOKENS (default 128: texts are cut at that many tokens; 2048 texts
# have 33 189 real tokens at 128, 29 974 at 64, and calibration runs each batch of texts of similar
# length only up to its last real token, so padding costs next to nothing) from the environment.
# TERNARY4J overrides the command.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
t4j=${TERNARY4J:-$root/ternary4j}
work=${1:-$root/.cache/calibrate-minilm}
count=${COUNT:-2048} grouping=${GROUPING:-block:8} scales=${SCALES:-f16} steps=${STEPS:-all} tokens=${TOKENS:-128}
name=calibrate-minilm
source "$root/scripts/minilm-common.sh"
# 4000 other texts, whatever COUNT is: the first COUNT of one file, so runs with different counts share their first texts.
data=$work/texts-4000-t$tokens.npz
[ -f "$data" ] || $t4j task sentence-retrieval --write-calibration "$data" --calibration-tokens "$tokens" --texts "$sources" --text-count 4000 --tokenizer "$tok"
out=$work/cal-${grouping//:/}-$scales-$count-t$tokens-${steps//,/_}.onnx
timed $t4j quantize "$model" -o "$out" --method tnt --grouping "$grouping" --scales "$scales" --all-layers --calibrate "$data:$count" \
    --calibration-steps "$steps" --packed "${out%.onnx}.packed.safetensors"
$t4j task sentence-retrieval "$model" "$out" --tokenizer "$tok"
