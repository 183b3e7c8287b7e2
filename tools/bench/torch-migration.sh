#!/usr/bin/env bash
# Old libtorch binding (benchmark --engine binding) vs TorchSharp (--engine torch), same model, batch, size, threads,
# alternating in pairs (order swapped every round). Prints per-round img/s and median ratio TorchSharp / binding with range.
# Usage: tools/bench/torch-migration.sh ROUNDS MODEL [--train]   (after `dotnet build Solution.sln -c Release`)
# The binding is deleted (issue 12, stage 4): run this in a checkout of commit 8a82d9a, the last with --engine binding,
# which recorded the BENCHMARKS.md rows.
cd "$(dirname "$0")/../.."
set -euo pipefail
rounds=$1; model=$2; shift 2; extra=("$@")
cli="dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll"
iters=8; [[ " ${extra[*]} " == *" --train "* ]] && iters=4
run() { $cli benchmark --model "$model" --engine "$1" -b 16 --image-size 224 --threads 2 --warmup 2 --iters $iters "${extra[@]}" | awk '/^throughput:/ {print $2}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $model ${extra[*]:-inference}; batch 16, 224 px, 2 threads; $(date -u +%F)"
ratios=()
for ((r = 0; r < rounds; r++)); do
  if ((r % 2 == 0)); then a=$(run binding); b=$(run torch); else b=$(run torch); a=$(run binding); fi
  ratio=$(/usr/bin/python3 -c "print(f'{$b/$a:.3f}')"); ratios+=("$ratio")
  echo "round $r: binding $a img/s, TorchSharp $b img/s, ratio $ratio"
done
/usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[1:])); print(f'TorchSharp / binding: median {s.median(r):.3f} (range {r[0]:.3f}-{r[-1]:.3f}) over {len(r)} rounds')" "${ratios[@]}"
