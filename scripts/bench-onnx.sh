#!/usr/bin/env bash
# Side-by-side ONNX Runtime benchmarks, all in one run on the same exported files:
#  1. Microsoft.ML.OnnxRuntime as this library drives it vs onnxruntime-node (model only), paired step by step
#     (tools/bench/paired_steps.py): the two drive the same native library, so their ratio is ~1.0 and only
#     interleaved steps separate it from the VM's noise;
#  2. end to end over a folder of JPEGs (decode + preprocess + infer) vs model only (`benchmark`, best of N rounds),
#     with the bound that decoding alone (same threads) and the model taking turns allow: 1 / (1/model + 1/decode);
#  3. ONNX Runtime vs libtorch eager inference (this project's libtorch binding and PyTorch-Python), best of N rounds;
#  4. the default (fused) token-mixer export vs the literal Split/Concat one (`export --mixer-form Split`), paired.
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
dotnet build tools/bench/OrtStepServer -c Release --nologo -v quiet >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/bench/make_photos.py "$work/images"   # 64 photo-like JPEGs, made here: nothing is downloaded
cli=(dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll)
last() { tail -n 1 | sed -E 's/throughput: ([0-9.]+) img\/s/\1/'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN{print (b>a)?b:a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# paired SIDE SIDE PAIRS -> "median1 median2 ratio quartiles"
paired() {
  /usr/bin/python3 tools/bench/paired_steps.py "$batch" "$size" "$threads" "$3" "$1" "$2" | awk '
    NR == 1 { a = $4 } NR == 2 { b = $4 } /quartiles/ { q = $4 "-" $8 } /^paired ratio/ { r = $3 }
    END { print a, b, r, q }'
}
echo "| model | batch | size | threads | onnxruntime-node img/s (median step) | Microsoft.ML.OnnxRuntime img/s (median step) | paired ratio (quartiles) | model-only img/s | end-to-end JPEG folder img/s | e2e / model-only | decode + preprocess alone img/s | bound for e2e / model-only | libtorch eager (this binding) img/s | PyTorch eager img/s | ORT / libtorch eager (binding / PyTorch) | split-mixer export img/s (median step) | fused / split, paired |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  onnx="$work/$m.onnx"
  "${cli[@]}" export --model "$m" --image-size "$size" --output "$onnx" >/dev/null
  "${cli[@]}" export --model "$m" --image-size "$size" --mixer-form Split --output "$work/$m.split.onnx" >/dev/null
  iters=20; [[ $m == *tiny* || $m == *small* || $m == *base* ]] && iters=5
  read -r node ours pr pq < <(paired "node:$onnx" "ort:$onnx" $((2 * iters * rounds)))
  read -r split fused fr fq < <(paired "ort:$work/$m.split.onnx" "ort:$onnx" $((2 * iters * rounds)))
  model=0; e2e=0; pre=0; torch=0; py=0
  for ((r = 0; r < rounds; r++)); do
    model=$(max "$model" "$("${cli[@]}" benchmark --model "$onnx" --engine onnx --batch-size "$batch" --threads "$threads" --warmup 3 --iters "$iters" | last)")
    out=$("${cli[@]}" benchmark --model "$onnx" --engine onnx --images "$work/images" --batch-size "$batch" --threads "$threads" --iters "$iters" 2>/dev/null)
    e2e=$(max "$e2e" "$(last <<<"$out")")
    pre=$(max "$pre" "$(sed -nE 's/^decode \+ preprocess only: ([0-9.]+) img\/s.*/\1/p' <<<"$out")")
    torch=$(max "$torch" "$("${cli[@]}" benchmark --model "$m" --engine torch --batch-size "$batch" --image-size "$size" --threads "$threads" --warmup 2 --iters "$iters" | last)")
    py=$(max "$py" "$(/usr/bin/python3 tools/reference/bench_torch.py --model "$m" --batch-size "$batch" --image-size "$size" --threads "$threads" --warmup 2 --iters "$iters" | last)")
  done
  echo "| $m | $batch | $size | $threads | $node | $ours | ${pr}x ($pq) | $model | $e2e | $(ratio "$e2e" "$model")x | $pre | $(awk -v m="$model" -v p="$pre" 'BEGIN{printf "%.2f", 1 / (1 + m / p)}')x | $torch | $py | $(ratio "$model" "$torch")x / $(ratio "$model" "$py")x | $split | ${fr}x ($fq) |"
done
