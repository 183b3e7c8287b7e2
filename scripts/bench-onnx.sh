#!/usr/bin/env bash
# Side-by-side ONNX Runtime benchmarks (one run, alternating engines, best of N rounds):
#  1. this binding vs onnxruntime-node on the same .onnx file (model only);
#  2. end to end over a folder of JPEGs (decode + preprocess + infer) vs model only;
#  3. ONNX Runtime vs libtorch eager inference (this project's libtorch binding and PyTorch-Python);
#  4. the default (fused) token-mixer export vs the literal Split/Concat one (`export --mixer-form Split`), this binding.
# Binding vs onnxruntime-node runs twice as many alternating rounds, twice as long, and also compares the median step
# (batch / median run time, best round): the two drive the same library, so their ratio is ~1.0 and only repeated runs
# and a statistic that ignores stalled steps separate it from the VM's noise.
# Usage: scripts/bench-onnx.sh [--batch-size 16] [--image-size 224] [--threads 2] [--rounds 3] [models...]
set -euo pipefail
cd "$(dirname "$0")/.."
batch=16; size=224; threads=$(nproc); rounds=3; models=()
while (($#)); do
  case $1 in
    --batch-size) batch=$2; shift 2 ;;
    --image-size) size=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
((${#models[@]})) || models=(inceptionnext_atto inceptionnext_tiny)
if [[ ! -d .cache/ort-node/node_modules/onnxruntime-node ]]; then
  mkdir -p .cache/ort-node
  (cd .cache/ort-node && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null)
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# 64 photos-like JPEGs of mixed sizes (smooth gradients plus noise), made here: nothing is downloaded.
/usr/bin/python3 - "$work/images" <<'PY'
import os, sys, numpy as np
from PIL import Image
out = sys.argv[1]; os.makedirs(out)
rng = np.random.default_rng(0)
for i in range(64):
    w, h = [(500, 375), (640, 480), (375, 500), (800, 600)][i % 4]
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (c + 1) / w + y / h) * 120 for c in range(3)], -1) + rng.normal(0, 25, (h, w, 3))
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(f"{out}/img{i:03d}.jpg", quality=90)
PY
cli=(dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll)
last() { tail -n 1 | sed -E 's/throughput: ([0-9.]+) img\/s/\1/'; }
# "median step" and "throughput" of one run, as "M T".
both() { awk '/^median step:/{m=$3} /^throughput:/{t=$2} END{print m, t}'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN{print (b>a)?b:a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "| model | batch | size | threads | onnxruntime-node img/s | this binding img/s | ratio (best of each; per-round range) | median-step img/s node / binding (ratio) | end-to-end JPEG folder img/s | e2e / model-only | libtorch eager (this binding) img/s | PyTorch eager img/s | ORT / libtorch eager | split-mixer export img/s | fused / split |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  onnx="$work/$m.onnx"
  "${cli[@]}" export --model "$m" --image-size "$size" --output "$onnx" >/dev/null
  "${cli[@]}" export --model "$m" --image-size "$size" --mixer-form Split --output "$work/$m.split.onnx" >/dev/null
  iters=20; [[ $m == *tiny* || $m == *small* || $m == *base* ]] && iters=5
  node=0; ours=0; nodemed=0; oursmed=0; split=0; e2e=0; torch=0; py=0; lo=99; hi=0
  for ((r = 0; r < 2 * rounds; r++)); do
    read -r nm n < <(node tools/bench/ort_node_bench.js "$onnx" "$batch" "$size" "$threads" 3 $((2 * iters)) | both)
    read -r om o < <("${cli[@]}" benchmark --model "$onnx" --engine onnx --batch-size "$batch" --threads "$threads" --warmup 3 --iters $((2 * iters)) | both)
    node=$(max "$node" "$n"); ours=$(max "$ours" "$o"); q=$(ratio "$o" "$n")
    nodemed=$(max "$nodemed" "$nm"); oursmed=$(max "$oursmed" "$om")
    lo=$(awk -v a="$lo" -v b="$q" 'BEGIN{print (b<a)?b:a}'); hi=$(max "$hi" "$q")
    split=$(max "$split" "$("${cli[@]}" benchmark --model "$work/$m.split.onnx" --engine onnx --batch-size "$batch" --threads "$threads" --warmup 3 --iters $((2 * iters)) | last)")
  done
  for ((r = 0; r < rounds; r++)); do
    e2e=$(max "$e2e" "$("${cli[@]}" benchmark --model "$onnx" --engine onnx --images "$work/images" --batch-size "$batch" --threads "$threads" --iters "$iters" 2>/dev/null | last)")
    torch=$(max "$torch" "$("${cli[@]}" benchmark --model "$m" --engine torch --batch-size "$batch" --image-size "$size" --threads "$threads" --warmup 2 --iters "$iters" | last)")
    py=$(max "$py" "$(/usr/bin/python3 tools/reference/bench_torch.py --model "$m" --batch-size "$batch" --image-size "$size" --threads "$threads" --warmup 2 --iters "$iters" | last)")
  done
  echo "| $m | $batch | $size | $threads | $node | $ours | $(ratio "$ours" "$node")x ($lo-$hi) | $nodemed / $oursmed ($(ratio "$oursmed" "$nodemed")x) | $e2e | $(ratio "$e2e" "$ours")x | $torch | $py | $(ratio "$ours" "$torch")x / $(ratio "$ours" "$py")x | $split | $(ratio "$ours" "$split")x |"
done
