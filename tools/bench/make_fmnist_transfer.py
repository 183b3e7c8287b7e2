"""Folders for the transfer benchmark, from Debian's Fashion-MNIST IDX files (PNG, one folder per label):
  pretrain/train: every training image of classes 0-4;  pretrain/val: their test images;
  few/: the first N training images of each of classes 5-9;  test/: all test images of classes 5-9."""
import gzip, os, sys
import numpy as np
from PIL import Image

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

def load(kind):
    with gzip.open(f"{src}/{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(f"{src}/{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y

def write(folder, x, y, classes, limit=None):
    for c in classes:
        os.makedirs(f"{folder}/{names[c]}", exist_ok=True)
        for i in np.flatnonzero(y == c)[:limit]:
            Image.fromarray(x[i]).save(f"{folder}/{names[c]}/{i:05d}.png")

xt, yt = load("train")
xv, yv = load("t10k")
write(f"{out}/pretrain/train", xt, yt, range(5))
write(f"{out}/pretrain/val", xv, yv, range(5))
write(f"{out}/few", xt, yt, range(5, 10), n)
write(f"{out}/test", xv, yv, range(5, 10))
print(f"wrote {out}")
