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
/usr/bin/python3 - "$work/images" <<'PY'
import os, sys, numpy as np
from PIL import Image
out = sys.argv[1]; os.makedirs(out)
rng = np.random.default_rng(0)
for i in range(64):
    w, h = [(500, 375), (640, 480), (375, 500), (800, 600)][i % 4]
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (c + 1) / w + y / h) * 120 for c in range(3)], -1) + rng.normal(0, 25, (h, w, 3))
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(f"{out}/img{i:03d}.jpg", quality=90)
PY
dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll export --model "$model" --image-size 224 --embed-preprocessing --output "$work/model.onnx" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); model $model; threads $threads; date $(date -u +%F)"
dotnet tools/bench/MLNetBench/bin/Release/net10.0/MLNetBench.dll "$work/model.onnx" "$work/images" "$rounds" "$threads"
