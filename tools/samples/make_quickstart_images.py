"""Writes the QuickStart sample images: the first N Fashion-MNIST *test* images of each class as PNG files,
one folder per label (the bundled model never saw them in training). Run with /usr/bin/python3."""
import gzip, os, sys
import numpy as np
from PIL import Image

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
out = sys.argv[2] if len(sys.argv) > 2 else "Samples/QuickStart/images"
per_class = int(sys.argv[3]) if len(sys.argv) > 3 else 20
# Folder names: the dataset's class names with '/' made file-system safe.
names = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
with gzip.open(f"{src}/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(f"{src}/t10k-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
for c, name in enumerate(names):
    os.makedirs(f"{out}/{name}", exist_ok=True)
    for k, i in enumerate(np.flatnonzero(labels == c)[:per_class]):
        Image.fromarray(images[i]).save(f"{out}/{name}/t10k_{i:05d}.png", optimize=True)
print(f"wrote {per_class * len(names)} images to {out}")
