#!/usr/bin/python3
"""Parameter and MAC counts for every variant in metanext_ref.VARIANTS.

params: nn.Parameters only (BN running stats / num_batches_tracked excluded).
GMACs (conv+linear): multiply-accumulates of Conv2d and Linear layers, batch 1.
GMACs (+elementwise): additionally one op per output element of each norm/GELU module,
  two per block output (layer-scale multiply and residual add) and one per input element
  of the global average pool. A rough figure for memory-bound work, not a paper metric.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metanext_ref import VARIANTS, build_model, ConvNeXtBlock, IsotropicBlock, MetaNeXtBlock  # noqa: E402

EXPECTED_PARAMS = {
    "inceptionnext_atto": 4_156_520,
    "inceptionnext_tiny": 28_055_680,
    "inceptionnext_small": 49_374_016,
    "inceptionnext_base": 86_672_136,
    "convnext_atto": 3_695_520,
    "convnext_tiny": 28_589_128,
    "convnext_small": 50_223_688,
    "convnext_base": 88_591_464,
    "convnext_isotropic_small": 22_308_712,
    "convnext_isotropic_base": 87_083_752,
    "inceptionnext_isotropic_small": 21_992_488,
    "inceptionnext_isotropic_base": 86_451_304,
}
PAPER_GMACS = {
    "inceptionnext_atto": 0.51,
    "inceptionnext_tiny": 4.2,
    "inceptionnext_small": 8.4,
    "inceptionnext_base": 14.9,
    "convnext_isotropic_small": 4.3,
    "convnext_isotropic_base": 16.9,
    "inceptionnext_isotropic_small": 4.2,
    "inceptionnext_isotropic_base": 16.8,
}
_ELEMENTWISE = (nn.BatchNorm2d, nn.LayerNorm, nn.GELU)


def count_macs(model, image_size):
    """Return (conv+linear MACs, elementwise ops) for one image via forward hooks."""
    macs = [0, 0]

    def hook(m, inputs, out):
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            macs[0] += out.numel() * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.Linear):
            macs[0] += out.numel() * m.in_features
        elif isinstance(m, _ELEMENTWISE):
            macs[1] += out.numel()
        elif isinstance(m, (MetaNeXtBlock, ConvNeXtBlock, IsotropicBlock)):
            macs[1] += 2 * out.numel()

    def head_hook(m, inputs, out):
        macs[1] += inputs[0].numel()  # global average pool

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    if model.cfg["isotropic"]:  # the isotropic head is a bare Linear after pooling and norm
        handles.append(model.blocks.register_forward_hook(lambda m, i, out: head_hook(m, (out,), out)))
    else:
        handles.append(model.head.register_forward_hook(head_hook))
    with torch.no_grad():
        model(torch.zeros(1, model.cfg["in_chans"], image_size, image_size))
    for h in handles:
        h.remove()
    return macs[0], macs[1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    print(f"{"variant":30s} {'params':>12s} {'GMACs conv+lin':>15s} {'GMACs +eltwise':>15s}  notes")
    mismatches = 0
    for name, cfg in VARIANTS.items():
        model = build_model(cfg).eval()
        params = sum(p.numel() for p in model.parameters())
        size = 384 if name.endswith("_384") else args.image_size
        core, elt = count_macs(model, size)
        notes = []
        if size != args.image_size:
            notes.append(f"@{size}px")
        if name in EXPECTED_PARAMS:
            ok = params == EXPECTED_PARAMS[name]
            mismatches += not ok
            notes.append("params OK" if ok else f"PARAMS MISMATCH (expected {EXPECTED_PARAMS[name]:,})")
        if name in PAPER_GMACS and size == 224:
            paper = PAPER_GMACS[name]
            notes.append(f"paper {paper} G ({100 * (core / 1e9 - paper) / paper:+.1f}%)")
        print(f"{name:30s} {params:12,d} {core / 1e9:15.3f} {(core + elt) / 1e9:15.3f}  {'; '.join(notes)}")
    if mismatches:
        sys.exit(f"{mismatches} parameter count mismatch(es)")


if __name__ == "__main__":
    main()
