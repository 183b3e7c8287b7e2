#!/usr/bin/python3
"""PyTorch-eager throughput of the reference models, for comparison with the C# benchmark.

Inference: eval(), inference_mode, timed forward passes.
Training: train(), AdamW(lr 1e-3, weight_decay 0.05), cross-entropy on random targets;
each iteration = zero_grad(set_to_none) + forward + loss + backward + step.
The last output line is always `throughput: X img/s`.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metanext_ref import VARIANTS, build_model  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help=f"variant name: {', '.join(VARIANTS)}")
    p.add_argument("--config", help="JSON config file (overrides --model)")
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--train", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--stem-stride", type=int, default=None, help="override the stem stride (4, 2 or 1)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    if args.config:
        with open(args.config) as f:
            cfg = json.load(f)
    elif args.model in VARIANTS:
        cfg = VARIANTS[args.model]
    else:
        p.error("give --config or a --model from: " + ", ".join(VARIANTS))
    name = args.model or os.path.basename(args.config)
    cfg = {**cfg, "num_classes": args.num_classes}
    if args.stem_stride is not None:
        cfg["stem_stride"] = args.stem_stride
    model = build_model(cfg)

    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = torch.randn(args.batch_size, model.cfg["in_chans"], args.image_size, args.image_size)
    x = x.contiguous(memory_format=fmt)

    if args.train:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
        target = torch.randint(0, args.num_classes, (args.batch_size,))

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), target).backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.inference_mode():
                model(x)

    mode = "train" if args.train else "inference"
    print(f"model={name} batch={args.batch_size} size={args.image_size} threads={args.threads} "
          f"mode={mode} channels_last={args.channels_last} torch={torch.__version__}")
    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.iters):
        step()
    elapsed = time.perf_counter() - start
    print(f"time: {elapsed / args.iters * 1000:.1f} ms/iter over {args.iters} iters")
    print(f"throughput: {args.batch_size * args.iters / elapsed:.2f} img/s")


if __name__ == "__main__":
    main()
