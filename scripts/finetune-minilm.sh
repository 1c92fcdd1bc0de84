#!/usr/bin/env bash
# Distillation fine-tuning of all-MiniLM-L6-v2 with all 36 MatMul weights ternary (TNT, GROUPING,
# default block:16): a calibrated start (GPTQ + code descent on 64 calibration pairs × 64 tokens),
# then fine-tuning on TEXTS texts from outside the evaluation split (Debian package synopses and long
# descriptions from the apt lists and the dpkg status, man pages' NAME lines and first DESCRIPTION
# paragraphs; evaluation packages and texts excluded) plus the 254 calibration texts; then the
# held-out scores of `task sentence-retrieval` for FP, the calibrated start and the fine-tuned model.
# HIDDEN_WEIGHT > 0 also matches the encoder's hidden states (HIDDEN, default: the output of both
# layer norms of every layer but the last, whose output is the model's) on real tokens.
# Usage: scripts/finetune-minilm.sh [WORK_DIR] with TEXTS (default 1000), EPOCHS (default 1), LR
# (default 2e-4), HIDDEN_WEIGHT (default 0), HIDDEN, GROUPING (default block:16), SCALES (f32 or
# f16, default f32), SEED (default 1), TEXT_SEED (which outside texts, default 1), POOLED_WEIGHT
# (the sentence-embedding cosine term's weight, default 1), START (a model to start from instead of
# the calibrated one, e.g. calibrate-minilm.sh's block:4 result or an earlier run's output) and OUT
# (the output model) from the environment. TERNARY4J overrides the command.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
t4j=${TERNARY4J:-$root/ternary4j}
work=${1:-$root/.cache/finetune-minilm}
texts=${TEXTS:-1000} epochs=${EPOCHS:-1} lr=${LR:-2e-4} hw=${HIDDEN_WEIGHT:-0} grouping=${GROUPING:-block:16} seed=${SEED:-1} scales=${SCALES:-f32}
text_seed=${TEXT_SEED:-1} pooled=${POOLED_WEIGHT:-1}
name=finetune-minilm
source "$root/scripts/minilm-common.sh"
cal=$work/cal-64x64.npz data=$work/texts-$texts$([ "$text_seed" = 1 ] || echo "-s$text_seed").npz start=${START:-$work/cal-${grouping//:/}.onnx}
out=${OUT:-$work/ft-${grouping//:/}-$scales-$texts-$epochs-$lr-$hw-$seed-$text_seed-$pooled.onnx}
[ -f "$cal" ] || $t4j task sentence-retrieval --write-calibration "$cal" --calibration-pairs 64 --calibration-tokens 64 --tokenizer "$tok"
[ -f "$data" ] || timed $t4j task sentence-retrieval --write-calibration "$data" --calibration-tokens 128 --texts "$sources" \
    --text-count "$texts" --text-seed "$text_seed" --tokenizer "$tok"
[ -f "$start" ] || [ -n "${START:-}" ] || timed $t4j quantize "$model" -o "$start" --method tnt --grouping "$grouping" --all-layers --calibrate "$cal"
hidden=() pattern=${HIDDEN:-'/encoder/layer.*/output/LayerNorm/Add_1_output_0'}
[ "$hw" = 0 ] || hidden=(--hidden "$pattern" --hidden-weight "$hw")
# The teacher's hidden states stay in memory (half floats per real token): about 1.4 GB for 4000
# texts, close to the launcher's default heap on a 24 GB machine.
heap=(); [ "$hw" = 0 ] || heap=(env "T4J_JAVA_OPTS=-Xmx6g ${T4J_JAVA_OPTS:-}")
[ -f "$start" ] || { echo "$name: $start is missing" >&2; exit 1; }
timed "${heap[@]}" $t4j finetune "$model" --data "$data" --method tnt --grouping "$grouping" --scales "$scales" --all-layers --init "$start" --epochs "$epochs" \
    --lr "$lr" --seed "$seed" --pooled-weight "$pooled" --batch 16 "${hidden[@]}" -o "$out" --packed "${out%.onnx}.packed.safetensors"
$t4j task sentence-retrieval "$model" "$start" "$out" --tokenizer "$tok"
