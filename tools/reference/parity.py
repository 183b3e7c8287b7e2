#!/usr/bin/python3
"""Run the reference model on given weights/input and dump outputs for the C# parity tests.

Output (torch.save dict):
  logits      model output
  features    forward_features(x), raw NCHW
  loss        0-dim tensor: cross_entropy(logits, target) with --target, else logits.pow(2).mean()
  grad.NAME   gradient of loss for each --grad-params name (only when given)
  state.NAME  full state_dict after the forward pass (train mode: updated BN running stats)

Features and logits come from one forward pass, so BN running stats are updated exactly once.
Train-mode parity is only deterministic with drop_path_rate = 0 and drop_rate = 0 (the
default); non-zero rates are rejected in train mode.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metanext_ref import build_model  # noqa: E402


def load_tensor(path, key):
    """torch.load a tensor, or a dict holding it under `key` (or as its only entry)."""
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, dict):
        if key in obj:
            obj = obj[key]
        elif len(obj) == 1:
            obj = next(iter(obj.values()))
    if not torch.is_tensor(obj):
        sys.exit(f"error: {path} holds {type(obj).__name__}, expected a tensor or a dict with '{key}'")
    return obj


def load_state_dict(model, path):
    try:
        sd = torch.load(path, map_location="cpu")
    except Exception as e:  # report any unreadable-file error uniformly to the C# caller
        sys.exit(f"error: cannot torch.load weights '{path}': {type(e).__name__}: {e}")
    if not isinstance(sd, dict):
        sys.exit(f"error: weights '{path}' hold {type(sd).__name__}, expected a state dict")
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        sys.exit(f"error: state dict '{path}' does not match the config's model:\n{e}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="JSON config dict (see metanext_ref.resolve_config)")
    p.add_argument("--weights", required=True, help="state dict saved by torch.save / the C# side")
    p.add_argument("--input", required=True, help="float32 NCHW tensor, or dict {'x': tensor}")
    p.add_argument("--mode", choices=("train", "eval"), required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--grad-params", default="",
                   help="comma-separated parameter names to return gradients for, or 'all'")
    p.add_argument("--target", help="int64 class-index tensor, or dict {'target': tensor}")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    with open(args.config) as f:
        cfg = json.load(f)
    try:
        model = build_model(cfg)
    except ValueError as e:
        sys.exit(f"error: bad config '{args.config}': {e}")
    if args.mode == "train" and (model.cfg["drop_path_rate"] > 0 or model.cfg["drop_rate"] > 0):
        sys.exit("error: train-mode parity needs drop_path_rate = 0 and drop_rate = 0 (stochastic otherwise)")
    load_state_dict(model, args.weights)
    model.train(args.mode == "train")

    params = dict(model.named_parameters())
    if args.grad_params == "all":
        grad_names = list(params)
    else:
        grad_names = [n for n in args.grad_params.split(",") if n]
    unknown = [n for n in grad_names if n not in params]
    if unknown:
        sys.exit(f"error: not parameters of the model: {unknown}")

    x = load_tensor(args.input, "x").float()
    features = model.forward_features(x)
    logits = model.forward_head(features)
    if args.target:
        loss = F.cross_entropy(logits, load_tensor(args.target, "target").long())
    else:
        loss = logits.float().pow(2).mean()

    out = {"logits": logits.detach(), "features": features.detach(), "loss": loss.detach()}
    if grad_names:
        grads = torch.autograd.grad(loss, [params[n] for n in grad_names])
        out.update({f"grad.{n}": g for n, g in zip(grad_names, grads)})
    out.update({f"state.{k}": v.detach().clone() for k, v in model.state_dict().items()})
    torch.save({k: v.contiguous() for k, v in out.items()}, args.output)


if __name__ == "__main__":
    main()
