#!/usr/bin/env bash
# Isotropic models (issue 13) next to inceptionnext_tiny, inference at batch 16, 224 px, 2 threads, on TorchSharp
# (benchmark --engine torch) and ONNX Runtime (benchmark --engine onnx on files exported once, fresh weights).
# Every round runs, per engine, inceptionnext_tiny and each isotropic model back to back, the order reversed every
# other round; prints per-round img/s and the median ratio isotropic / inceptionnext_tiny with its range.
# Usage: tools/bench/isotropic.sh [ROUNDS=4] [MODELS="inceptionnext_isotropic_small convnext_isotropic_small"]
#   (after `dotnet build Solution.sln -c Release`). Holds /tmp/cpu-quiet while it measures (the machine is shared).
cd "$(dirname "$0")/../.."
set -euo pipefail
rounds=${1:-4}; read -r -a isos <<< "${2:-inceptionnext_isotropic_small convnext_isotropic_small}"
cli="dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll"
base=inceptionnext_tiny
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; rm -f /tmp/cpu-quiet' EXIT
while [ -e /tmp/cpu-quiet ]; do sleep 20; done
touch /tmp/cpu-quiet
for m in $base "${isos[@]}"; do $cli export --model "$m" --output "$tmp/$m.onnx" > /dev/null; done
run() { # engine model
  local target=$2; [[ $1 == onnx ]] && target="$tmp/$2.onnx"
  $cli benchmark --model "$target" --engine "$1" -b 16 --image-size 224 --threads 2 --warmup 2 --iters 6 | awk '/^throughput:/ {print $2}'
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); inference, batch 16, 224 px, 2 threads; $(date -u +%F)"
declare -A ratios
for ((r = 0; r < rounds; r++)); do
  for engine in torch onnx; do
    order=($base "${isos[@]}"); ((r % 2)) && order=("${isos[@]}" $base)
    declare -A ips=()
    for m in "${order[@]}"; do ips[$m]=$(run $engine "$m"); done
    line="round $r $engine: $base ${ips[$base]}"
    for m in "${isos[@]}"; do
      ratio=$(/usr/bin/python3 -c "print(f'{${ips[$m]}/${ips[$base]}:.3f}')")
      ratios[$engine.$m]+="$ratio "; line+=", $m ${ips[$m]} (x$ratio)"
      ratios[$engine.$m.ips]+="${ips[$m]} "
    done
    ratios[$engine.$base.ips]+="${ips[$base]} "
    echo "$line img/s"
  done
done
for engine in torch onnx; do
  /usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[2].split())); print(f'{sys.argv[1]}: median {s.median(r):.2f} img/s (range {r[0]:.2f}-{r[-1]:.2f})')" "$engine $base" "${ratios[$engine.$base.ips]}"
  for m in "${isos[@]}"; do
    /usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[2].split())); i=sorted(map(float,sys.argv[3].split())); print(f'{sys.argv[1]}: median {s.median(i):.2f} img/s (range {i[0]:.2f}-{i[-1]:.2f}); / tiny median {s.median(r):.3f}x (range {r[0]:.3f}-{r[-1]:.3f}) over {len(r)} rounds')" "$engine $m" "${ratios[$engine.$m]}" "${ratios[$engine.$m.ips]}"
  done
done
