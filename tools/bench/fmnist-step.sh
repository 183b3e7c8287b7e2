#!/usr/bin/env bash
# The Fashion-MNIST training step (inceptionnext_atto, batch 128, 32 px, stem stride 2, 10 classes, 2 threads; forward,
# loss, backward, AdamW) on three engines in rotating rounds: the old libtorch binding, TorchSharp, PyTorch eager.
# Usage: tools/bench/fmnist-step.sh ROUNDS BINDING_CLI_DLL [TORCHSHARP_CLI_DLL]
# BINDING_CLI_DLL: InceptionNeXt.Cli.dll built from commit 8a82d9a (the last with --engine binding); the TorchSharp one
# defaults to this checkout's Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; bind=$2; torch=${3:-InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll}
args=(--model inceptionnext_atto --train -b 128 --image-size 32 --stem-stride 2 --num-classes 10 --threads 2 --warmup 2 --iters 8)
thr() { awk '/^throughput:/ {print $2}'; }
run() {
  case $1 in
    binding) dotnet "$bind" benchmark --engine binding "${args[@]}" | thr ;;
    torchsharp) dotnet "$torch" benchmark --engine torch "${args[@]}" | thr ;;
    pytorch) /usr/bin/python3 tools/reference/bench_torch.py --model inceptionnext_atto --train --batch-size 128 --image-size 32 \
               --stem-stride 2 --num-classes 10 --threads 2 --warmup 2 --iters 8 | sed -nE 's/throughput: ([0-9.]+).*/\1/p' ;;
  esac
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
order=(binding torchsharp pytorch); b=(); t=(); p=()
for ((r = 0; r < rounds; r++)); do
  declare -A got=()
  for ((k = 0; k < 3; k++)); do e=${order[$(((r + k) % 3))]}; got[$e]=$(run "$e"); done
  b+=("${got[binding]}"); t+=("${got[torchsharp]}"); p+=("${got[pytorch]}")
  echo "round $r: binding ${got[binding]}, TorchSharp ${got[torchsharp]}, PyTorch eager ${got[pytorch]} img/s"
  unset got
done
/usr/bin/python3 - "${b[*]}" "${t[*]}" "${p[*]}" <<'PY'
import statistics as s, sys
b, t, p = ([float(x) for x in a.split()] for a in sys.argv[1:4])
for name, other in (("binding", b), ("PyTorch eager", p)):
    r = sorted(x / y for x, y in zip(t, other))
    print(f"TorchSharp / {name}: median {s.median(r):.3f} (range {r[0]:.3f}-{r[-1]:.3f}) over {len(r)} rounds; "
          f"medians: TorchSharp {s.median(t):.1f}, {name} {s.median(other):.1f} img/s")
PY
