#!/usr/bin/env bash
# Side-by-side training (or inference) throughput: this project's TorchSharp engine vs PyTorch-Python eager,
# same machine, same threads, alternating runs. Prints one markdown row per model with the ratio.
# Usage: scripts/bench-training.sh [--inference] [--batch-size 16] [--image-size 224] [--threads 2] [--rounds 2]
#                                  [--same-malloc] [--stem-stride S] [--num-classes N] [--channels-last] [models...]
# The Fashion-MNIST training configuration: --batch-size 128 --image-size 32 --stem-stride 2 --num-classes 10.
# --same-malloc runs PyTorch with the glibc thresholds the TorchSharp engine sets (Engine/MallocPolicy.cs),
# to separate the allocator policy from the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=--train; batch=16; size=224; threads=$(nproc); rounds=2; models=(); pyenv=(); extra=()
while (($#)); do
  case $1 in
    --inference) mode=""; shift ;;
    --batch-size) batch=$2; shift 2 ;;
    --image-size) size=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --stem-stride|--num-classes) extra+=("$1" "$2"); shift 2 ;;
    --channels-last) extra+=("$1"); shift ;;
    --same-malloc) pyenv=(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824); shift ;;
    *) models+=("$1"); shift ;;
  esac
done
((${#models[@]})) || models=(inceptionnext_atto inceptionnext_tiny)
cli=(dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll benchmark --engine torch)
last() { tail -n 1 | sed -E 's/throughput: ([0-9.]+) img\/s/\1/'; }
pylabel="PyTorch eager img/s"; ((${#pyenv[@]})) && pylabel="PyTorch eager (same malloc thresholds) img/s"
echo "| model | mode | batch | size | threads | $pylabel (median) | InceptionNeXt.NET img/s (median) | ratio: median of pairs (range) | pairs |"
echo "|---|---|---|---|---|---|---|---|---|"
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
for m in "${models[@]}"; do
  iters=10; [[ $m == *tiny* || $m == *small* || $m == *base* ]] && iters=5
  pys=(); css=(); ratios=()
  run_py() { env "${pyenv[@]}" /usr/bin/python3 tools/reference/bench_torch.py --model "$m" --batch-size "$batch" --image-size "$size" $mode \
         --threads "$threads" --warmup 2 --iters "$iters" "${extra[@]}" | last; }
  run_cs() { "${cli[@]}" --model "$m" --batch-size "$batch" --image-size "$size" $mode --threads "$threads" \
         --warmup 2 --iters "$iters" "${extra[@]}" | last; }
  for ((r = 0; r < rounds; r++)); do
    # Pairs, the order alternating so neither side always runs on a warmer (or busier) machine.
    if ((r % 2 == 0)); then py=$(run_py); cs=$(run_cs); else cs=$(run_cs); py=$(run_py); fi
    pys+=("$py"); css+=("$cs"); ratios+=("$(awk -v a="$cs" -v b="$py" 'BEGIN{printf "%.3f", a/b}')")
  done
  label=inference; [[ -n $mode ]] && label=train
  lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1); hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
  echo "| $m | $label | $batch | $size | $threads | $(printf '%s\n' "${pys[@]}" | median) | $(printf '%s\n' "${css[@]}" | median) | **$(printf '%s\n' "${ratios[@]}" | median)x** ($lo-$hi) | $rounds |"
done
