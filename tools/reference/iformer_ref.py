"""Plain-PyTorch reference of iFormer (Inception Transformer, NeurIPS 2022) for the C# parity tests.

Written for this project from the structure of the official code (sail-sg/iFormer,
models/inception_transformer.py); module and parameter names match it, so the official
checkpoints load strictly. Nothing here depends on timm. Runs on Debian's python3-torch 1.13.

Layout (state-dict keys): patch_embed.{proj1,norm1,proj2,norm2}, pos_embed1..4,
blocks1..4.N.{norm1, attn.{high_mixer.{conv1,proj1,proj2}, low_mixer.qkv, conv_fuse, proj},
norm2, mlp.{fc1,fc2}, layer_scale_1/2 (stages 3 and 4 only)}, patch_embed2..4.{proj,norm},
norm, head.

The models work on NHWC token maps between blocks; the mixer works on NCHW. ``forward_features``
returns the last stage's NCHW map (before the final LayerNorm) so that it lines up with the
C# models' forward_features; ``forward_head`` applies the official head (LayerNorm over the
tokens, mean over them, linear).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {
    "num_classes": 1000,
    "in_chans": 3,
    "drop_rate": 0.0,
    "drop_path_rate": 0.0,
    "ls_init_value": 1e-6,
    "img_size": 224,
    "mlp_ratios": [4, 4, 4, 4],
}


def _heads(*runs):
    out = []
    for count, heads in runs:
        out += [heads] * count
    return out


VARIANTS = {
    "iformer_small": {"family": "iformer", "depths": [3, 3, 9, 3], "dims": [96, 192, 320, 384], "num_heads": [3, 6, 10, 12],
                      "attention_heads": _heads((3, 1), (3, 3), (4, 7), (5, 9), (3, 11))},
    "iformer_base": {"family": "iformer", "depths": [4, 6, 14, 6], "dims": [96, 192, 384, 512], "num_heads": [3, 6, 12, 16],
                     "attention_heads": _heads((4, 1), (6, 3), (7, 8), (7, 10), (6, 15))},
    "iformer_large": {"family": "iformer", "depths": [4, 6, 18, 8], "dims": [96, 192, 448, 640], "num_heads": [3, 6, 14, 20],
                      "attention_heads": _heads((4, 1), (6, 3), (9, 10), (9, 12), (8, 19))},
}
for _n in list(VARIANTS):
    VARIANTS[_n + "_384"] = {**VARIANTS[_n], "img_size": 384}


def resolve_config(cfg):
    cfg = dict(cfg)
    full = {"family": "iformer", "depths": None, "dims": None, "num_heads": None, "attention_heads": None, **DEFAULTS}
    unknown = sorted(set(cfg) - set(full))
    if unknown:
        raise ValueError(f"unknown config keys for family 'iformer': {unknown}")
    full.update(cfg)
    n = len(full["depths"] or [])
    if n != 4 or len(full["dims"]) != 4 or len(full["num_heads"]) != 4 or len(full["mlp_ratios"]) != 4:
        raise ValueError("iformer needs four stages of depths, dims, num_heads and mlp_ratios")
    if len(full["attention_heads"]) != sum(full["depths"]):
        raise ValueError("attention_heads needs one entry per block")
    return full


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class Mlp(nn.Module):
    def __init__(self, dim, hidden, drop):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x):
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class FirstPatchEmbed(nn.Module):
    """Two stride-2 3x3 convs with BatchNorm (GELU between); NCHW in, NHWC out."""

    def __init__(self, in_chans, dim):
        super().__init__()
        self.proj1 = nn.Conv2d(in_chans, dim // 2, 3, stride=2, padding=1)
        self.norm1 = nn.BatchNorm2d(dim // 2)
        self.gelu1 = nn.GELU()
        self.proj2 = nn.Conv2d(dim // 2, dim, 3, stride=2, padding=1)
        self.norm2 = nn.BatchNorm2d(dim)

    def forward(self, x):
        x = self.norm2(self.proj2(self.gelu1(self.norm1(self.proj1(x)))))
        return x.permute(0, 2, 3, 1)


class PatchEmbed(nn.Module):
    """One stride-2 3x3 conv with BatchNorm; NCHW in, NHWC out."""

    def __init__(self, in_dim, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_dim, dim, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(dim)

    def forward(self, x):
        return self.norm(self.proj(x)).permute(0, 2, 3, 1)


class HighMixer(nn.Module):
    """High-frequency mixer: half the channels through 1x1 conv + depthwise 3x3, half through max-pool + 1x1 conv."""

    def __init__(self, dim):
        super().__init__()
        self.half = half = dim // 2
        self.conv1 = nn.Conv2d(half, 2 * half, 1, bias=False)
        self.proj1 = nn.Conv2d(2 * half, 2 * half, 3, padding=1, groups=2 * half, bias=False)
        self.mid_gelu1 = nn.GELU()
        self.Maxpool = nn.MaxPool2d(3, stride=1, padding=1)
        self.proj2 = nn.Conv2d(half, 2 * half, 1)
        self.mid_gelu2 = nn.GELU()

    def forward(self, x):
        cx = self.mid_gelu1(self.proj1(self.conv1(x[:, :self.half])))
        px = self.mid_gelu2(self.proj2(self.Maxpool(x[:, self.half:])))
        return torch.cat((cx, px), dim=1)


class LowMixer(nn.Module):
    """Low-frequency mixer: self-attention over (optionally 2x2 average-pooled) tokens, upsampled back (nearest)."""

    def __init__(self, dim, heads, pool_size, attn_drop=0.0):
        super().__init__()
        self.heads = heads
        self.dim = dim
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.attn_drop = nn.Dropout(attn_drop)
        self.pool_size = pool_size
        self.pool = nn.AvgPool2d(pool_size, stride=pool_size, count_include_pad=False) if pool_size > 1 else nn.Identity()
        self.uppool = nn.Upsample(scale_factor=pool_size) if pool_size > 1 else nn.Identity()

    def forward(self, x):
        b = x.shape[0]
        xa = self.pool(x)
        h, w = xa.shape[2], xa.shape[3]
        tokens = xa.permute(0, 2, 3, 1).reshape(b, h * w, self.dim)
        n = h * w
        qkv = self.qkv(tokens).reshape(b, n, 3, self.heads, self.dim // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = self.attn_drop(((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1))
        out = (attn @ v).transpose(2, 3).reshape(b, self.dim, h, w)
        return self.uppool(out)


class Mixer(nn.Module):
    """Inception mixer: high_dim channels to the HighMixer, the rest (attention_heads * head_dim) to the LowMixer."""

    def __init__(self, dim, num_heads, attention_heads, pool_size):
        super().__init__()
        head_dim = dim // num_heads
        self.low_dim = attention_heads * head_dim
        self.high_dim = dim - self.low_dim
        self.high_mixer = HighMixer(self.high_dim)
        self.low_mixer = LowMixer(self.low_dim, attention_heads, pool_size)
        fused = self.low_dim + 2 * self.high_dim
        self.conv_fuse = nn.Conv2d(fused, fused, 3, padding=1, groups=fused, bias=False)
        self.proj = nn.Conv2d(fused, dim, 1)
        self.proj_drop = nn.Dropout(0.0)

    def forward(self, x):  # NHWC
        x = x.permute(0, 3, 1, 2)
        hx = self.high_mixer(x[:, :self.high_dim])
        lx = self.low_mixer(x[:, self.high_dim:])
        x = torch.cat((hx, lx), dim=1)
        x = self.proj(x + self.conv_fuse(x))
        return x.permute(0, 2, 3, 1)


class Block(nn.Module):
    def __init__(self, dim, num_heads, attention_heads, pool_size, mlp_ratio, drop, drop_path, layer_scale):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Mixer(dim, num_heads, attention_heads, pool_size)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)
        self.use_layer_scale = layer_scale is not None
        if self.use_layer_scale:
            self.layer_scale_1 = nn.Parameter(torch.full((dim,), float(layer_scale)))
            self.layer_scale_2 = nn.Parameter(torch.full((dim,), float(layer_scale)))

    def forward(self, x):
        a = self.attn(self.norm1(x))
        if self.use_layer_scale:
            a = self.layer_scale_1 * a
        x = x + self.drop_path(a)
        m = self.mlp(self.norm2(x))
        if self.use_layer_scale:
            m = self.layer_scale_2 * m
        return x + self.drop_path(m)


class IFormerRef(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg = resolve_config(cfg)
        depths, dims = cfg["depths"], cfg["dims"]
        total = sum(depths)
        dpr = [x.item() for x in torch.linspace(0, cfg["drop_path_rate"], total)]
        grid = cfg["img_size"] // 4
        self.grids = []
        index = 0
        for s in range(4):
            embed = FirstPatchEmbed(cfg["in_chans"], dims[0]) if s == 0 else PatchEmbed(dims[s - 1], dims[s])
            setattr(self, "patch_embed" if s == 0 else f"patch_embed{s + 1}", embed)
            self.grids.append(grid)
            setattr(self, f"pos_embed{s + 1}", nn.Parameter(torch.zeros(1, grid, grid, dims[s])))
            blocks = []
            for _ in range(depths[s]):
                blocks.append(Block(dims[s], cfg["num_heads"][s], cfg["attention_heads"][index], 2 if s < 2 else 1,
                                    cfg["mlp_ratios"][s], 0.0, dpr[index],
                                    cfg["ls_init_value"] if s >= 2 else None))
                index += 1
            setattr(self, f"blocks{s + 1}", nn.Sequential(*blocks))
            grid //= 2
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head_drop = nn.Dropout(cfg["drop_rate"])
        self.head = nn.Linear(dims[-1], cfg["num_classes"]) if cfg["num_classes"] > 0 else nn.Identity()
        self.num_features = dims[-1]
        for s in range(4):
            nn.init.trunc_normal_(getattr(self, f"pos_embed{s + 1}"), std=0.02)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @staticmethod
    def _pos(pos, grid, h, w):
        # The official handling: the stored grid as is when the token count matches, else bilinear resizing.
        if h * w == grid * grid:
            return pos
        return F.interpolate(pos.permute(0, 3, 1, 2), size=(h, w), mode="bilinear").permute(0, 2, 3, 1)

    def forward_features(self, x):
        for s in range(4):
            if s > 0:
                x = x.permute(0, 3, 1, 2)
            x = getattr(self, "patch_embed" if s == 0 else f"patch_embed{s + 1}")(x)
            x = x + self._pos(getattr(self, f"pos_embed{s + 1}"), self.grids[s], x.shape[1], x.shape[2])
            x = getattr(self, f"blocks{s + 1}")(x)
        return x.permute(0, 3, 1, 2)

    def forward_head(self, x, pre_logits=False):
        x = self.norm(x.permute(0, 2, 3, 1).flatten(1, 2)).mean(1)
        if pre_logits:
            return x
        return self.head(self.head_drop(x))

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


def build_model(cfg):
    return IFormerRef(cfg)


def count_macs(model, image_size):
    """Conv and linear MACs plus the attention matmuls (q @ k^T and attn @ v), batch 1."""
    macs = [0]

    def hook(m, inputs, out):
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            macs[0] += out.numel() * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.Linear):
            macs[0] += out.numel() * m.in_features
        elif isinstance(m, LowMixer):
            n = out.shape[2] * out.shape[3] // (m.pool_size ** 2)
            macs[0] += 2 * n * n * m.dim

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(torch.zeros(1, model.cfg["in_chans"], image_size, image_size))
    for h in handles:
        h.remove()
    return macs[0]


def main():
    import argparse
    import json
    p = argparse.ArgumentParser(description="iFormer reference: counts, or a fresh model's state dict and logits")
    p.add_argument("--config", help="JSON config (see resolve_config); with --save-state")
    p.add_argument("--save-state", help="write a freshly initialised model's state_dict() here (official key names)")
    p.add_argument("--input", help="float32 NCHW tensor (or dict {'x': tensor}): also write its eval logits")
    p.add_argument("--output", help="where the eval logits go (dict {'logits': tensor})")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.save_state:
        torch.manual_seed(args.seed)
        with open(args.config) as f:
            model = build_model(json.load(f))
        with torch.no_grad():  # non-trivial norm statistics and layer scales, so that every tensor matters
            for name, t in model.state_dict().items():
                if name.endswith("running_mean"):
                    t.normal_(0, 0.1)
                elif name.endswith("running_var"):
                    t.uniform_(0.5, 1.5)
                elif "layer_scale" in name:
                    t.normal_(0, 0.3)
                elif name.endswith(("norm.weight", "norm1.weight", "norm2.weight")):
                    t.uniform_(0.5, 1.5)
        model.eval()
        torch.save(model.state_dict(), args.save_state)
        if args.input:
            x = torch.load(args.input)
            x = x["x"] if isinstance(x, dict) else x
            with torch.no_grad():
                torch.save({"logits": model(x.float()).contiguous()}, args.output)
        return
    for name, cfg in VARIANTS.items():
        model = build_model(cfg).eval()
        size = 384 if name.endswith("_384") else 224
        params = sum(p.numel() for p in model.parameters())
        print(f"{name:20s} {params:12,d} {count_macs(model, size) / 1e9:8.3f} GMACs @{size}")


if __name__ == "__main__":
    main()
