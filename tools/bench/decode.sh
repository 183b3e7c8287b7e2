#!/usr/bin/env bash
# Image decoding benchmark (issue 10): the system's TurboJPEG against SkiaSharp for JPEG, on one thread, taking turns
# on the same in-memory files (tools/bench/DecodeBench); PNG through SkiaSharp alone since libpng's path was deleted
# (its comparison: BENCHMARKS.md, reproduced by this script at the commit that added it). The images are made here with PIL.
# Usage: tools/bench/decode.sh [PAIRS=30]
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-30}
dotnet build tools/bench/DecodeBench -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# photos: bench-onnx.sh's 64 photo-like JPEGs (500x375 to 800x600, quality 90, gradients plus noise), and the
# same pictures as PNG; large: 8 of them at 3000x2000 (JPEG quality 90 and PNG).
/usr/bin/python3 - "$work" <<'PY'
import os, sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(0)
def picture(w, h):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (c + 1) / w + y / h) * 120 for c in range(3)], -1) + rng.normal(0, 25, (h, w, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
for folder, sizes, count in [("photos", [(500, 375), (640, 480), (375, 500), (800, 600)], 64), ("large", [(3000, 2000), (2000, 3000)], 8)]:
    os.makedirs(f"{out}/{folder}")
    for i in range(count):
        im = picture(*sizes[i % len(sizes)])
        im.save(f"{out}/{folder}/img{i:03d}.jpg", quality=90)
        im.save(f"{out}/{folder}/img{i:03d}.png")
PY
dotnet tools/bench/DecodeBench/bin/Release/net10.0/DecodeBench.dll "$pairs" "$work/photos" "$work/large"
