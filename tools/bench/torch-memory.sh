#!/usr/bin/env bash
# Peak resident memory (max RSS from /usr/bin/time) of the old libtorch binding (--engine binding) and TorchSharp
# (--engine torch) on the same run: atto and tiny, batch 16, 224 px, 2 threads, training and inference, the two engines
# alternating as separate processes (order swapped every round). Prints one markdown row per model and mode.
# Usage: tools/bench/torch-memory.sh ROUNDS BINDING_CLI_DLL [TORCHSHARP_CLI_DLL]
# The binding is deleted (issue 12): BINDING_CLI_DLL is InceptionNeXt.Cli.dll built from commit 8a82d9a, the last with
# --engine binding (git worktree add DIR 8a82d9a && dotnet build DIR/Solution.sln -c Release); the TorchSharp one
# defaults to this checkout's Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; bind=$2; torch=${3:-InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll}
peak() { # engine model mode iters -> max RSS in MiB
  local out; out=$(mktemp)
  local cli=$torch; [[ $1 == binding ]] && cli=$bind
  /usr/bin/time -f "%M" -o "$out" dotnet "$cli" benchmark --model "$2" --engine "$1" -b 16 --image-size 224 --threads 2 \
    --warmup 2 --iters "$4" $3 > /dev/null
  awk '{printf "%.0f", $1 / 1024}' "$out"; rm -f "$out"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F); $rounds rounds"
echo "| model | mode | steps | binding peak RSS MiB (per round) | TorchSharp peak RSS MiB (per round) | TorchSharp / binding, median (range) |"
echo "|---|---|---|---|---|---|"
for model in inceptionnext_atto inceptionnext_tiny; do
  for mode in --train ""; do
    iters=30; [[ $model == *tiny* ]] && iters=12
    b=(); t=(); ratios=()
    for ((r = 0; r < rounds; r++)); do
      if ((r % 2 == 0)); then x=$(peak binding $model "$mode" $iters); y=$(peak torch $model "$mode" $iters)
      else y=$(peak torch $model "$mode" $iters); x=$(peak binding $model "$mode" $iters); fi
      b+=("$x"); t+=("$y"); ratios+=("$(awk -v a="$y" -v b="$x" 'BEGIN{printf "%.3f", a/b}')")
    done
    summary=$(/usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[1:])); print(f'**{s.median(r):.3f}x** ({r[0]:.3f}-{r[-1]:.3f})')" "${ratios[@]}")
    echo "| $model | ${mode:---inference} | $((iters + 2)) | ${b[*]} | ${t[*]} | $summary |"
  done
done
