#!/usr/bin/env bash
# Distillation fine-tuning of the PP-OCRv4 recogniser with every Conv except the 14 depthwise
# ones and every MatMul of its mixer blocks ternary (TNT, row groups; the 6625-way output layer
# linear_85 stays full precision), on rendered lines: a calibrated start on the first CALIB of
# them, then fine-tuning on all of them, and the character error rate of both on 300 held-out
# lines next to the full-precision model's. The teacher's 40 × 6625 scores per line are kept as
# their top 8 per time step. Usage: scripts/finetune-ocr-rec.sh [WORK_DIR] with LINES (default
# 512), CALIB (default 256), EPOCHS (default 2), LR (default 1e-4) and SEED (default 1) from the
# environment. TERNARY4J overrides the command.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
t4j=${TERNARY4J:-$root/ternary4j}
work=${1:-$root/.cache/finetune-rec}
lines=${LINES:-512} calib=${CALIB:-256} epochs=${EPOCHS:-2} lr=${LR:-1e-4} seed=${SEED:-1}
model=$root/.cache/models/ch_PP-OCRv4_rec_infer.onnx dict=$root/.cache/models/ppocr_keys_v1.txt
for f in "$model" "$dict"; do [ -f "$f" ] || { echo "finetune-ocr-rec: $f is missing; run scripts/fetch-models.sh" >&2; exit 1; }; done
mkdir -p "$work"
timed() { if [ -x /usr/bin/time ]; then /usr/bin/time -f "finetune-ocr-rec: %e s wall, %U s user CPU, %M KB peak" "$@"; else "$@"; fi; }

data=$work/lines$lines.npz cal=$work/cal-$calib.onnx out=$work/ft-$lines-$epochs-$lr-$seed.onnx
[ -f "$data" ] || timed $t4j task ocr-recognition --write-calibration "$data" --calibration-lines "$lines"
[ -f "$cal" ] || timed $t4j quantize "$model" -o "$cal" --method tnt --grouping row --all-layers \
    --exclude "kind:depthwise,linear_85.w_0" --calibrate "$data:$calib"
timed $t4j finetune "$model" --data "$data" --method tnt --all-layers --exclude "kind:depthwise,linear_85.w_0" \
    --init "$cal" --epochs "$epochs" --lr "$lr" --seed "$seed" --batch 16 -o "$out"
$t4j task ocr-recognition "$model" "$cal" "$out" --dict "$dict" --lines 300
