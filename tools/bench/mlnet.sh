#!/usr/bin/env bash
# The ML.NET featurizer vs ML.NET's ApplyOnnxModel chain vs a bare batched ONNX Runtime session (issue 11), same model,
# same images, CPU, THREADS intra-op threads, ROUNDS rotating rounds in one process (see tools/bench/MLNetBench).
#   MODEL=bundled (default): the bundled Fashion-MNIST inceptionnext_atto (32 px, preprocessing embedded) on the 200
#     QuickStart images, the setting of the issue's own measurement;
#   MODEL=<zoo name>, e.g. inceptionnext_atto: exported here with fresh weights at 224 px, --embed-preprocessing, on 64
#     generated photo-like JPEGs (tools/bench/make_photos.py; nothing is downloaded).
# Each round reads every image REPEAT times (default: 10 for the bundled model's 200 small images, 1 for the photos).
# Usage: tools/bench/mlnet.sh [ROUNDS] [THREADS] [MODEL] [BATCH] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}; threads=${2:-$(nproc)}; model=${3:-bundled}; batch=${4:-16}; repeat=${5:-}
dotnet build tools/bench/MLNetBench -c Release --nologo -v quiet >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [[ $model == bundled ]]; then
  onnx=Models/inceptionnext_atto_fashion_mnist.onnx; images=Samples/QuickStart/images; repeat=${repeat:-10}
else
  dotnet build InceptionNeXt.Cli -c Release --nologo -v quiet >/dev/null
  /usr/bin/python3 tools/bench/make_photos.py "$work/images"
  dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll export --model "$model" --image-size 224 --embed-preprocessing --output "$work/model.onnx" >/dev/null
  onnx=$work/model.onnx; images=$work/images; repeat=${repeat:-1}
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); model $model; threads $threads; date $(date -u +%F)"
dotnet tools/bench/MLNetBench/bin/Release/net10.0/MLNetBench.dll "$onnx" "$images" "$rounds" "$threads" "$batch" "$repeat"
