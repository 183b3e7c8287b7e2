"""The benchmarks' image folder, made here so nothing is downloaded: 64 photo-like JPEGs (smooth gradients plus noise,
quality 90) in the four sizes 500x375, 640x480, 375x500 and 800x600, the same pixels every time (seed 0).

Usage: /usr/bin/python3 tools/bench/make_photos.py OUT_DIR
"""
import os
import sys

import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out)
rng = np.random.default_rng(0)
for i in range(64):
    w, h = [(500, 375), (640, 480), (375, 500), (800, 600)][i % 4]
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (c + 1) / w + y / h) * 120 for c in range(3)], -1) + rng.normal(0, 25, (h, w, 3))
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(f"{out}/img{i:03d}.jpg", quality=90)
