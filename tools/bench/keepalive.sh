#!/usr/bin/env bash
# The build's TorchSharp.dll patch (tools/TorchSharpKeepAlive: GC.KeepAlive of arguments and locals after native calls)
# against the package's own TorchSharp.dll: training steps of inceptionnext_atto (batch 16, 224 px, 2 threads) through
# `benchmark --train`, from two copies of the CLI's build output that differ only in TorchSharp.dll. Each round runs
# both, the order reversed every other round; prints per-round img/s and the median ratio patched / package with its range.
# Usage: tools/bench/keepalive.sh [ROUNDS=6]   (after `dotnet build Solution.sln -c Release`)
cd "$(dirname "$0")/../.."
set -euo pipefail
rounds=${1:-6}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=InceptionNeXt.Cli/bin/Release/net10.0
cp -r "$out" "$tmp/patched"; cp -r "$out" "$tmp/package"
package=${NUGET_PACKAGES:-$HOME/.nuget/packages}/torchsharp/0.107.0/lib/net8.0/TorchSharp.dll
cp "$package" "$tmp/package/TorchSharp.dll"
if cmp -s "$tmp/patched/TorchSharp.dll" "$tmp/package/TorchSharp.dll"; then echo "the build output's TorchSharp.dll is not patched"; exit 1; fi
run() { dotnet "$tmp/$1/InceptionNeXt.Cli.dll" benchmark --model inceptionnext_atto --train -b 16 --image-size 224 --threads 2 --warmup 3 --iters 10 | awk '/^throughput:/ {print $2}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); training steps, inceptionnext_atto, batch 16, 224 px, 2 threads; $(date -u +%F)"
ratios=""
for ((r = 0; r < rounds; r++)); do
  if ((r % 2)); then b=$(run package); a=$(run patched); else a=$(run patched); b=$(run package); fi
  ratio=$(/usr/bin/python3 -c "print(f'{$a/$b:.3f}')"); ratios+="$ratio "
  echo "round $r: patched $a img/s, package $b img/s (x$ratio)"
done
/usr/bin/python3 -c "import statistics as s,sys; r=sorted(map(float,sys.argv[1].split())); print(f'patched / package: median {s.median(r):.3f} (range {r[0]:.3f}-{r[-1]:.3f}) over {len(r)} rounds')" "$ratios"
