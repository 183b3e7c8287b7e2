"""Linear probes on the transfer benchmark's pretrained backbone (run tools/bench/transfer.sh first): which frozen
features could a head use? Pooled features of each stage, spatial maps, and the head's pre-logits, each with a
multinomial logistic regression (L-BFGS, L2) fitted on the 500 labelled images and scored on the 5000 test images.
Usage: /usr/bin/python3 tools/bench/transfer_probe.py [WORK_DIR=/tmp/inceptionnext-transfer]"""
import json, os, sys, glob, numpy as np, torch, torch.nn.functional as F
from PIL import Image
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from metanext_ref import build_model
torch.set_num_threads(2)
WORK = sys.argv[1] if len(sys.argv) > 1 else "/tmp/inceptionnext-transfer"
ck = torch.load(WORK + "/pretrain/best.pth", map_location="cpu")
cfg = json.loads(ck["model_config"])
m = build_model(cfg); m.load_state_dict(ck["model"]); m.eval()
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
def load(folder):
    classes = sorted(os.listdir(folder)); xs, ys = [], []
    for c, name in enumerate(classes):
        for f in sorted(glob.glob(f"{folder}/{name}/*.png")):
            xs.append(np.asarray(Image.open(f).convert("RGB").resize((32, 32), Image.BICUBIC), np.float32) / 255); ys.append(c)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2)
    return (x - mean) / std, torch.tensor(ys)
def feats(x, flip=False):
    out = {}
    with torch.no_grad():
        if flip: x = x.flip(3)
        h = m.stem(x)
        for i, s in enumerate(m.stages):
            h = s(h); out[f"s{i}"] = h.mean((2, 3)); out[f"s{i}sp"] = h.flatten(1)
        out["pre"] = m.head(h, pre_logits=True)
    return out
xa, ya = load(WORK + "/data/few"); xt, yt = load(WORK + "/data/test")
fa, ft = feats(xa), feats(xt)

def probe(A, T, l2):
    mu, sd = A.mean(0), A.std(0).clamp_min(1e-6); A = (A - mu) / sd; T = (T - mu) / sd
    W = torch.zeros(A.shape[1], 5, dtype=torch.float64, requires_grad=True); b = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    A, T = A.double(), T.double()
    opt = torch.optim.LBFGS([W, b], max_iter=300, line_search_fn="strong_wolfe")
    def closure():
        opt.zero_grad(); loss = F.cross_entropy(A @ W + b, ya) + 0.5 * l2 * (W * W).sum(); loss.backward(); return loss
    opt.step(closure)
    return ((T @ W + b).argmax(1) == yt).double().mean().item() * 100
for name, keys in [("s3 (current)", ["s3"]), ("s2", ["s2"]), ("s2+s3", ["s2", "s3"]), ("s1+s2+s3", ["s1", "s2", "s3"]), ("s3 spatial", ["s3sp"]), ("s2+s3 spatial", ["s2sp", "s3sp"]), ("pre", ["pre"])]:
    A = torch.cat([fa[k] for k in keys], 1); T = torch.cat([ft[k] for k in keys], 1)
    res = [f"l2={l2}: {probe(A, T, l2):.2f}" for l2 in (1e-3, 1e-2, 1e-1)]
    print(name, A.shape[1], *res, flush=True)

