#!/usr/bin/env bash
# The ML.NET featurizer vs ML.NET's ApplyOnnxModel chain on the same exported model and images (issue 11):
# inceptionnext_atto (fresh weights, 224 px, preprocessing embedded so both feed 0-255 pixels), 64 generated JPEGs
# (bench-onnx.sh's), CPU, THREADS intra-op threads, ROUNDS alternating rounds in one process.
# Usage: tools/bench/mlnet.sh [ROUNDS] [THREADS] [MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}; threads=${2:-$(nproc)}; model=${3:-inceptionnext_atto}
dotnet build tools/bench/MLNetBench -c Release --nologo -v quiet >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/bench/make_photos.py "$work/images"   # 64 photo-like JPEGs, made here: nothing is downloaded
dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll export --model "$model" --image-size 224 --embed-preprocessing --output "$work/model.onnx" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); model $model; threads $threads; date $(date -u +%F)"
dotnet tools/bench/MLNetBench/bin/Release/net10.0/MLNetBench.dll "$work/model.onnx" "$work/images" "$rounds" "$threads"
