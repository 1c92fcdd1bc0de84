#!/usr/bin/env bash
# Behaviour lock for refactors: runs a fixed list of commands and compares the SHA-256 of what
# they write (timings and absolute paths removed) with scripts/golden/expected.sha256.
#
#   scripts/golden-outputs.sh          check: exit 1 and list the differing outputs
#   scripts/golden-outputs.sh --record write expected.sha256 anew (only on a commit known good)
#
# Needs Fashion-MNIST (apt-get install dataset-fashion-mnist) and python3 (to drop timing fields
# from JSON). About 3 minutes on the 2-core machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
expected="$root/scripts/golden/expected.sha256"
work="$root/.cache/golden"
rm -rf "$work"; mkdir -p "$work"
cd "$work"
cp "$root/scripts/golden/fixture.safetensors" fixture.safetensors
t4j() { "$root/ternary4j" "$@"; }

# JSON without the fields that measure time or memory and without the checkout's path, keys sorted.
stable_json() {
  python3 -c '
import json, sys
import re
VOLATILE = re.compile(r"(seconds|persecond|millis|micros|time|elapsed|rss)$", re.I)
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if not VOLATILE.search(k)}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
print(json.dumps(clean(json.load(open(sys.argv[1]))), sort_keys=True, indent=1).replace(sys.argv[2], "ROOT"))' "$1" "$root" > "$1.stable"
}
# Text without lines that report time, and without the checkout's absolute path.
stable_text() {
  grep -viE ' s\b|seconds|ms\b|µs|img/s|/s\b|elapsed|took' "$1" | sed "s|$root|ROOT|g" > "$1.stable" || true
}

# 1. demo (fewer images than the default, same code path)
t4j demo --limit 2000 --calibration-images 512 --html demo.html > demo.txt 2>/dev/null
stable_text demo.txt

# 2. safetensors with packed output and report
t4j quantize fixture.safetensors -o st-tnt.safetensors --method tnt --grouping row \
    --packed st-tnt.packed.safetensors --report st-tnt.json --threads 2 > st-tnt.txt 2>/dev/null
stable_json st-tnt.json
t4j quantize fixture.safetensors -o st-blk.safetensors --method twn --grouping block:16 \
    --packed st-blk.packed.safetensors --packing 2bit > /dev/null 2>&1
t4j quantize fixture.safetensors -o st-two.safetensors --method two-scale --grouping tensor --all-tensors \
    --packed st-two.packed.safetensors --packing 2bit --threads 1 > /dev/null 2>&1

# 3. every bundled ONNX, plain and calibrated
for m in lenet5-fmnist lenet5-twn-fmnist mlp-fmnist vgg-fmnist; do
  t4j quantize "$root/models/$m.onnx" -o "$m-tnt.onnx" --method tnt --grouping row \
      --packed "$m-tnt.packed.safetensors" --report "$m-tnt.json" > /dev/null 2>&1
  stable_json "$m-tnt.json"
  t4j quantize "$root/models/$m.onnx" -o "$m-cal.onnx" --method tnt --grouping kernel --fold-bn \
      --calibrate fashion-mnist:256 --packed "$m-cal.packed.safetensors" --report "$m-cal.json" > /dev/null 2>&1
  stable_json "$m-cal.json"
done

# 4. the runtime's predictions from packed weights (int8 and exact paths)
for m in lenet5-fmnist-cal vgg-fmnist-tnt; do
  t4j run "$m.onnx" --packed "$m.packed.safetensors" --data fashion-mnist --limit 500 --json > "run-$m.json" 2>/dev/null
  stable_json "run-$m.json"
  t4j run "$m.onnx" --packed "$m.packed.safetensors" --data fashion-mnist --limit 500 --exact --json > "run-$m-exact.json" 2>/dev/null
  stable_json "run-$m-exact.json"
done

actual="$work/actual.sha256"
ls ./*.stable ./*.onnx ./*.safetensors demo.html | grep -v '^./fixture' | LC_ALL=C sort | xargs sha256sum > "$actual"
if [ "${1:-}" = --record ]; then
  cp "$actual" "$expected"; echo "golden-outputs: recorded $(wc -l < "$expected") hashes in $expected"
elif diff <(cat "$expected") "$actual" > "$work/diff.txt"; then
  echo "golden-outputs: all $(wc -l < "$expected") outputs identical"
else
  echo "golden-outputs: outputs differ (see $work, files named in $work/diff.txt):" >&2
  cat "$work/diff.txt" >&2; exit 1
fi
