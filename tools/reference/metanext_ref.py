"""Small, self-contained PyTorch reference for InceptionNeXt (MetaNeXt) and ConvNeXt.

Written for this project's parity tests and benchmarks against the C# port. Module
names (and therefore state-dict keys) follow timm's ``inception_next_*`` / ``convnext_*``
layout so that checkpoints are interchangeable, but nothing here depends on timm.

Entry point: ``build_model(cfg)`` where ``cfg`` is a JSON-style dict (see ``_DEFAULTS``
and ``_FAMILY_KEYS``); ``VARIANTS`` holds the named configurations.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Keys shared by both families, with defaults. mlp_ratios default depends on family.
_DEFAULTS = {
    "num_classes": 1000,
    "in_chans": 3,
    "stem_stride": 4,
    "drop_rate": 0.0,
    "drop_path_rate": 0.0,
    "ls_init_value": 1e-6,
    "isotropic": False,
}
# Family-specific keys, with defaults.
_FAMILY_KEYS = {
    "inceptionnext": {
        "mlp_ratios": [4, 4, 4, 3],
        "square_kernel_size": 3,
        "band_kernel_size": 11,
        "branch_ratio": 0.125,
    },
    "convnext": {
        "mlp_ratios": [4, 4, 4, 4],
        "kernel_size": 7,
        "partial_ratio": 1.0,
        "conv_mlp": False,
    },
}

_T = [3, 3, 9, 3]
_S = [3, 3, 27, 3]
_ATTO = [2, 2, 6, 2]
_D96 = [96, 192, 384, 768]
_D128 = [128, 256, 512, 1024]


_ISO = {"isotropic": True, "stem_stride": 16, "ls_init_value": 0.0}


def _inx(depths, dims, **kw):
    return {"family": "inceptionnext", "depths": depths, "dims": dims, **kw}


def _cnx(depths, dims, **kw):
    return {"family": "convnext", "depths": depths, "dims": dims, **kw}


VARIANTS = {
    "inceptionnext_atto": _inx(_ATTO, [40, 80, 160, 320], band_kernel_size=9, branch_ratio=0.25),
    "inceptionnext_tiny": _inx(_T, _D96),
    "inceptionnext_small": _inx(_S, _D96),
    "inceptionnext_base": _inx(_S, _D128),
    "inceptionnext_base_384": _inx(_S, _D128),
    "convnext_atto": _cnx(_ATTO, [40, 80, 160, 320], conv_mlp=True),
    "convnext_femto": _cnx(_ATTO, [48, 96, 192, 384], conv_mlp=True),
    "convnext_pico": _cnx(_ATTO, [64, 128, 256, 512], conv_mlp=True),
    "convnext_nano": _cnx([2, 2, 8, 2], [80, 160, 320, 640], conv_mlp=True),
    "convnext_tiny": _cnx(_T, _D96),
    "convnext_small": _cnx(_S, _D96),
    "convnext_base": _cnx(_S, _D128),
    "convnext_tiny_k5": _cnx(_T, _D96, kernel_size=5),
    "convnext_tiny_k3": _cnx(_T, _D96, kernel_size=3),
    "convnext_tiny_k3_par1_2": _cnx(_T, _D96, kernel_size=3, partial_ratio=0.5),
    "convnext_tiny_k3_par3_8": _cnx(_T, _D96, kernel_size=3, partial_ratio=0.375),
    "convnext_tiny_k3_par1_4": _cnx(_T, _D96, kernel_size=3, partial_ratio=0.25),
    "convnext_tiny_k3_par1_8": _cnx(_T, _D96, kernel_size=3, partial_ratio=0.125),
    "convnext_tiny_k3_par1_16": _cnx(_T, _D96, kernel_size=3, partial_ratio=0.0625),
    # InceptionNeXt paper Table 3: ConvNeXt's isotropic design (16x16 patchify, 18 blocks, no layer scale).
    "convnext_isotropic_small": _cnx([18], [384], mlp_ratios=[4], **_ISO),
    "convnext_isotropic_base": _cnx([18], [768], mlp_ratios=[4], **_ISO),
    "inceptionnext_isotropic_small": _inx([18], [384], mlp_ratios=[4], **_ISO),
    "inceptionnext_isotropic_base": _inx([18], [768], mlp_ratios=[4], **_ISO),
}


def resolve_config(cfg):
    """Return a complete config: optional "variant" base, family defaults, then overrides.

    Unknown keys raise, so a typo (or a key of the other family) cannot silently fall
    back to a default and produce a model that differs from the C# one.
    """
    cfg = dict(cfg)
    if "variant" in cfg:
        variant = cfg.pop("variant")
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
        cfg = {**VARIANTS[variant], **cfg}
    family = cfg.get("family")
    if family not in _FAMILY_KEYS:
        raise ValueError(f"config 'family' must be one of {sorted(_FAMILY_KEYS)}, got {family!r}")
    full = {"family": family, "depths": None, "dims": None, **_DEFAULTS, **_FAMILY_KEYS[family]}
    unknown = sorted(set(cfg) - set(full))
    if unknown:
        raise ValueError(f"unknown config keys for family {family!r}: {unknown}")
    full.update(cfg)
    n = len(full["depths"] or [])
    if n == 0 or len(full["dims"] or []) != n or len(full["mlp_ratios"]) != n:
        raise ValueError("config needs non-empty 'depths', 'dims' and 'mlp_ratios' of equal length")
    if full["isotropic"]:
        if n != 1:
            raise ValueError(f"an isotropic model has one stage, got {n}")
        if full["stem_stride"] not in (2, 4, 8, 16):
            raise ValueError(f"isotropic patch size (stem_stride) must be 16, 8, 4 or 2, got {full['stem_stride']}")
        if family == "convnext" and (full["partial_ratio"] < 1.0 or full["conv_mlp"]):
            raise ValueError("isotropic ConvNeXt needs partial_ratio 1 and conv_mlp false")
    elif full["stem_stride"] not in (1, 2, 4):
        raise ValueError(f"stem_stride must be 4, 2 or 1, got {full['stem_stride']}")
    return full


class DropPath(nn.Module):
    """Stochastic depth: drop whole residual branches per sample, rescale survivors."""

    def __init__(self, drop_prob):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep_prob = 1.0 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
        return x * mask.div_(keep_prob)


def _drop_path(rate):
    return DropPath(rate) if rate > 0.0 else nn.Identity()


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel dim of an NCHW tensor (normalise in NHWC, permute back)."""

    def __init__(self, num_channels, eps=1e-6):
        super().__init__(num_channels, eps=eps)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvMlp(nn.Module):
    """1x1-conv MLP on NCHW (timm also has a parameter-free mlp.norm = Identity; omitted)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Mlp(nn.Module):
    """Linear MLP on channels-last input (ConvNeXt blocks without conv_mlp)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def _stem(in_chans, dim, stride, norm):
    if stride == 1:
        conv = nn.Conv2d(in_chans, dim, 3, stride=1, padding=1)
    else:
        conv = nn.Conv2d(in_chans, dim, stride, stride=stride)
    return nn.Sequential(conv, norm(dim))


def _downsample(in_dim, out_dim, norm):
    return nn.Sequential(norm(in_dim), nn.Conv2d(in_dim, out_dim, 2, stride=2))


class Stage(nn.Module):
    def __init__(self, downsample, blocks):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.downsample(x))


def _drop_path_rates(rate, depths):
    # Linear ramp over all blocks of the network, split per stage (as in timm).
    return [r.tolist() for r in torch.linspace(0, rate, sum(depths)).split(depths)]


def _init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


# --------------------------------------------------------------------------- InceptionNeXt


class InceptionDWConv2d(nn.Module):
    """Channel split: identity | square dw | horizontal band dw | vertical band dw."""

    def __init__(self, dim, square_kernel_size, band_kernel_size, branch_ratio):
        super().__init__()
        gc = int(dim * branch_ratio)
        self.dwconv_hw = nn.Conv2d(gc, gc, square_kernel_size, padding=square_kernel_size // 2, groups=gc)
        self.dwconv_w = nn.Conv2d(gc, gc, (1, band_kernel_size), padding=(0, band_kernel_size // 2), groups=gc)
        self.dwconv_h = nn.Conv2d(gc, gc, (band_kernel_size, 1), padding=(band_kernel_size // 2, 0), groups=gc)
        self.split_indexes = (dim - 3 * gc, gc, gc, gc)

    def forward(self, x):
        x_id, x_hw, x_w, x_h = torch.split(x, self.split_indexes, dim=1)
        return torch.cat((x_id, self.dwconv_hw(x_hw), self.dwconv_w(x_w), self.dwconv_h(x_h)), dim=1)


class MetaNeXtBlock(nn.Module):
    def __init__(self, dim, mlp_ratio, drop_path, ls_init_value, cfg):
        super().__init__()
        self.token_mixer = InceptionDWConv2d(
            dim, cfg["square_kernel_size"], cfg["band_kernel_size"], cfg["branch_ratio"])
        self.norm = nn.BatchNorm2d(dim)
        self.mlp = ConvMlp(dim, int(mlp_ratio * dim))
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim))
        self.drop_path = _drop_path(drop_path)

    def forward(self, x):
        shortcut = x
        x = self.mlp(self.norm(self.token_mixer(x)))
        x = x.mul(self.gamma.reshape(1, -1, 1, 1))
        return self.drop_path(x) + shortcut


class MlpClassifierHead(nn.Module):
    """avg-pool -> fc1 (3x) -> GELU -> LayerNorm -> dropout -> fc2."""

    def __init__(self, dim, num_classes, drop_rate, mlp_ratio=3):
        super().__init__()
        hidden = int(mlp_ratio * dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(hidden, eps=1e-6)
        self.drop = nn.Dropout(drop_rate)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x, pre_logits=False):
        x = x.mean((2, 3))
        x = self.drop(self.norm(self.act(self.fc1(x))))
        return x if pre_logits else self.fc2(x)


# --------------------------------------------------------------------------- ConvNeXt


class PartialConv2d(nn.Module):
    """Depthwise conv on the LAST cc = int(dim*ratio) channels; the rest pass through."""

    def __init__(self, dim, kernel_size, ratio):
        super().__init__()
        cc = int(dim * ratio)
        self.conv = nn.Conv2d(cc, cc, kernel_size, padding=kernel_size // 2, groups=cc)
        self.split_indexes = (dim - cc, cc)

    def forward(self, x):
        x_id, x_conv = torch.split(x, self.split_indexes, dim=1)
        return torch.cat((x_id, self.conv(x_conv)), dim=1)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, mlp_ratio, drop_path, ls_init_value, cfg):
        super().__init__()
        k = cfg["kernel_size"]
        if cfg["partial_ratio"] < 1.0:
            self.conv_dw = PartialConv2d(dim, k, cfg["partial_ratio"])
        else:
            self.conv_dw = nn.Conv2d(dim, dim, k, padding=k // 2, groups=dim)
        self.conv_mlp = cfg["conv_mlp"]
        hidden = int(mlp_ratio * dim)
        if self.conv_mlp:
            self.norm = LayerNorm2d(dim)
            self.mlp = ConvMlp(dim, hidden)
        else:
            self.norm = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = Mlp(dim, hidden)
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim))
        self.drop_path = _drop_path(drop_path)

    def forward(self, x):
        shortcut = x
        x = self.conv_dw(x)
        if self.conv_mlp:
            x = self.mlp(self.norm(x))
        else:
            x = self.mlp(self.norm(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        x = x.mul(self.gamma.reshape(1, -1, 1, 1))
        return self.drop_path(x) + shortcut


class NormClassifierHead(nn.Module):
    """avg-pool (keepdim) -> LayerNorm2d -> flatten -> dropout -> fc."""

    def __init__(self, dim, num_classes, drop_rate):
        super().__init__()
        self.norm = LayerNorm2d(dim)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x, pre_logits=False):
        x = self.norm(x.mean((2, 3), keepdim=True)).flatten(1)
        x = self.drop(x)
        return x if pre_logits else self.fc(x)


# --------------------------------------------------------------------------- model

_FAMILY_PARTS = {
    # family: (norm layer for stem/downsample, block class, head class)
    "inceptionnext": (nn.BatchNorm2d, MetaNeXtBlock, MlpClassifierHead),
    "convnext": (LayerNorm2d, ConvNeXtBlock, NormClassifierHead),
}


class MetaNeXtRef(nn.Module):
    """stem -> stages -> head; shared skeleton of both families."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg = resolve_config(cfg)
        norm, block, head = _FAMILY_PARTS[cfg["family"]]
        depths, dims = cfg["depths"], cfg["dims"]
        self.stem = _stem(cfg["in_chans"], dims[0], cfg["stem_stride"], norm)
        dp_rates = _drop_path_rates(cfg["drop_path_rate"], depths)
        stages = []
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            downsample = nn.Identity() if i == 0 else _downsample(dims[i - 1], dim, norm)
            blocks = [block(dim, cfg["mlp_ratios"][i], dp_rates[i][j], cfg["ls_init_value"], cfg)
                      for j in range(depth)]
            stages.append(Stage(downsample, blocks))
        self.stages = nn.Sequential(*stages)
        self.num_features = dims[-1]
        self.head = head(dims[-1], cfg["num_classes"], cfg["drop_rate"])
        self.apply(_init_weights)

    def forward_features(self, x):
        return self.stages(self.stem(x))

    def forward_head(self, x, pre_logits=False):
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


# --------------------------------------------------------------------------- isotropic

class IsotropicBlock(nn.Module):
    """ConvNeXt-iso block (official ConvNeXt names): dwconv -> NHWC LayerNorm -> pwconv1 -> GELU -> pwconv2
    -> optional gamma (none when ls_init_value is 0) -> drop path -> residual. InceptionNeXt puts its
    Inception depthwise mixer in place of the k x k depthwise conv, under the same name."""

    def __init__(self, dim, mlp_ratio, drop_path, ls_init_value, cfg):
        super().__init__()
        if cfg["family"] == "inceptionnext":
            self.dwconv = InceptionDWConv2d(
                dim, cfg["square_kernel_size"], cfg["band_kernel_size"], cfg["branch_ratio"])
        else:
            k = cfg["kernel_size"]
            self.dwconv = nn.Conv2d(dim, dim, k, padding=k // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, int(mlp_ratio * dim))
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(int(mlp_ratio * dim), dim)
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim)) if ls_init_value > 0 else None
        self.drop_path = _drop_path(drop_path)

    def forward(self, x):
        shortcut = x
        x = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x).permute(0, 2, 3, 1)))))
        if self.gamma is not None:
            x = self.gamma * x
        return shortcut + self.drop_path(x.permute(0, 3, 1, 2))


class IsotropicRef(nn.Module):
    """ConvNeXt's isotropic model (convnext_isotropic.py): stem (patchify conv, no norm) -> blocks
    -> global average pool -> norm (LayerNorm) -> head (Linear)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg = resolve_config(cfg)
        dim, depth, p = cfg["dims"][0], cfg["depths"][0], cfg["stem_stride"]
        self.stem = nn.Conv2d(cfg["in_chans"], dim, p, stride=p)
        rates = _drop_path_rates(cfg["drop_path_rate"], [depth])[0]
        self.blocks = nn.Sequential(*[IsotropicBlock(dim, cfg["mlp_ratios"][0], rates[i], cfg["ls_init_value"], cfg)
                                      for i in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head_drop = nn.Dropout(cfg["drop_rate"])
        self.head = nn.Linear(dim, cfg["num_classes"])
        self.num_features = dim
        self.apply(_init_weights)

    def forward_features(self, x):
        return self.blocks(self.stem(x))

    def forward_head(self, x, pre_logits=False):
        x = self.head_drop(self.norm(x.mean((2, 3))))
        return x if pre_logits else self.head(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


def build_model(cfg):
    """Build a reference model from a JSON-style config dict (or {"variant": NAME, ...}).

    iFormer configs ({"family": "iformer", ...} or an iformer_* variant) go to iformer_ref.
    """
    variant = cfg.get("variant", "")
    if cfg.get("family") == "iformer" or variant.startswith("iformer"):
        import iformer_ref
        if variant:
            cfg = {**iformer_ref.VARIANTS[variant], **{k: v for k, v in cfg.items() if k != "variant"}}
        return iformer_ref.build_model(cfg)
    full = resolve_config(cfg)
    return IsotropicRef(full) if full["isotropic"] else MetaNeXtRef(full)
