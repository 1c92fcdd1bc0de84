#!/usr/bin/env bash
# The README's fine-tuned PaddleOCR direction classifier, start to end: every one of its 54
# Conv/MatMul layers ternary (TNT, row groups), a calibrated start on 256 rendered lines, then
# distillation fine-tuning (with the orientation labels) on 1024 and 4096 lines, and the
# held-out accuracy of each stage on 1000 evaluation lines that share no text with them.
# Usage: scripts/finetune-ocr-cls.sh [WORK_DIR]   (default .cache/finetune-cls; a stage whose
# output exists is skipped, so an interrupted run continues). TERNARY4J overrides the command.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
t4j=${TERNARY4J:-$root/ternary4j}
work=${1:-$root/.cache/finetune-cls}
model=$root/.cache/models/ch_ppocr_mobile_v2.0_cls_infer.onnx
[ -f "$model" ] || { echo "finetune-ocr-cls: $model is missing; run scripts/fetch-models.sh" >&2; exit 1; }
mkdir -p "$work"

stage() {   # stage OUTPUT COMMAND...: runs the command unless OUTPUT exists
  local out=$1; shift
  if [ -f "$out" ]; then echo "finetune-ocr-cls: $out exists, skipped"; return; fi
  echo "finetune-ocr-cls: $*"
  if [ -x /usr/bin/time ]; then /usr/bin/time -f "finetune-ocr-cls: %e s wall, %U s user CPU, %M KB peak" "$@"; else "$@"; fi
}
finetune() {   # finetune INIT DATA EPOCHS LR SEED OUT
  stage "$work/$6" $t4j finetune "$model" --data "$work/$2" --method tnt --all-layers --init "$work/$1" \
      --epochs "$3" --lr "$4" --seed "$5" -o "$work/$6"
}

# Training lines with their labels ('y': 0 upright, 1 upside down); evaluation lines are drawn apart.
stage "$work/lines1k.npz" $t4j task ocr-orientation --write-calibration "$work/lines1k.npz" --calibration-lines 1024
stage "$work/lines4k.npz" $t4j task ocr-orientation --write-calibration "$work/lines4k.npz" --calibration-lines 4096
stage "$work/cal.onnx" $t4j quantize "$model" -o "$work/cal.onnx" --method tnt --grouping row --all-layers --calibrate "$work/lines4k.npz:256"
finetune cal.onnx lines1k.npz 6 3e-4 1 ft1.onnx
finetune ft1.onnx lines4k.npz 3 2e-4 1 ft2.onnx
finetune ft2.onnx lines4k.npz 3 1e-4 2 ft3.onnx
finetune ft3.onnx lines4k.npz 3 1e-4 3 ft4.onnx
finetune ft4.onnx lines4k.npz 6 1e-4 4 ft5.onnx
$t4j task ocr-orientation "$model" "$work/cal.onnx" "$work/ft1.onnx" "$work/ft2.onnx" "$work/ft3.onnx" "$work/ft4.onnx" "$work/ft5.onnx" --lines 1000
