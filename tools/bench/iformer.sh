#!/usr/bin/env bash
# iFormer-S vs InceptionNeXt-T inference throughput, TorchSharp (--engine torch) and ONNX Runtime (--engine onnx), batch 16,
# 224 px, 2 threads, fresh weights. Each round runs both models on one engine back to back, the order swapped every round;
# prints per-round img/s and the median ratio iformer_small / inceptionnext_tiny per engine, with range.
# Usage: tools/bench/iformer.sh [ROUNDS]   (after `dotnet build Solution.sln -c Release`)
cd "$(dirname "$0")/../.."
set -euo pipefail
rounds=${1:-5}
cli="dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
a=iformer_small; b=inceptionnext_tiny
for m in $a $b; do $cli export --model $m --image-size 224 -o "$tmp/$m.onnx" > /dev/null; done
run() { # engine model
  local target=$2; [[ $1 == onnx ]] && target="$tmp/$2.onnx"
  $cli benchmark --model "$target" --engine "$1" -b 16 --image-size 224 --threads 2 --warmup 2 --iters 4 | awk '/^throughput:/ {print $2}'
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); inference, batch 16, 224 px, 2 threads; $(date -u +%F); load before: $(cut -d" " -f1-3 /proc/loadavg)"
for engine in torch onnx; do
  ratios=()
  for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then x=$(run $engine $a); y=$(run $engine $b); else y=$(run $engine $b); x=$(run $engine $a); fi
    ratio=$(/usr/bin/python3 -c "print(f'{$x/$y:.3f}')"); ratios+=("$ratio")
    echo "$engine round $r: $a $x img/s, $b $y img/s, ratio $ratio"
  done
  /usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[2:])); print(f'{sys.argv[1]}: $a / $b median {s.median(r):.3f} (range {r[0]:.3f}-{r[-1]:.3f}) over {len(r)} rounds')" "$engine" "${ratios[@]}"
done
echo "load after: $(cut -d" " -f1-3 /proc/loadavg)"
