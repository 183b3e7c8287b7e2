#!/usr/bin/env python3
"""Splits Fashion-MNIST's 60,000 training images into train (54,000) and a held-out validation set (6,000), written as
IDX files that `inceptionnext train --data OUT` reads (the held-out set as its t10k split), so recipe choices can be
compared without looking at the test set. Random, seed 7 unless given.

Usage: make_fmnist_holdout.py OUT [SOURCE=/usr/share/datasets/fashion-mnist] [SEED=7]
"""
import gzip
import os
import random
import struct
import sys

out = sys.argv[1]
source = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
images = gzip.open(os.path.join(source, "train-images-idx3-ubyte.gz")).read()
labels = gzip.open(os.path.join(source, "train-labels-idx1-ubyte.gz")).read()
count, rows, cols = struct.unpack(">III", images[4:16])
pixels = rows * cols
order = list(range(count))
random.Random(seed).shuffle(order)
held_out, train = sorted(order[:count // 10]), sorted(order[count // 10:])
os.makedirs(out, exist_ok=True)


def write(split, ids):
    with gzip.open(os.path.join(out, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(images[:4] + struct.pack(">III", len(ids), rows, cols))
        f.write(b"".join(images[16 + i * pixels:16 + (i + 1) * pixels] for i in ids))
    with gzip.open(os.path.join(out, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(labels[:4] + struct.pack(">I", len(ids)) + bytes(labels[8 + i] for i in ids))


write("train", train)
write("t10k", held_out)
print(f"{out}: train {len(train)}, held out (t10k) {len(held_out)}, seed {seed}")
