"""Two ONNX Runtime set-ups, step by step: each loads its .onnx file in its own process and they take turns, one batch
each, so a slow spell of a noisy machine hits both alike. Prints each side's median and best step throughput and the
median of the per-pair speed ratios (second / first); the last line is `paired ratio: X`.

A side is ENGINE:MODEL.onnx, ENGINE being `node` (onnxruntime-node, ort_node_bench.js --serve), `ort` (the
Microsoft.ML.OnnxRuntime package as InceptionNeXt.ML drives it, this tree's OrtStepServer) or `dll=PATH` (another build
of OrtStepServer, e.g. an older checkout's, to compare versions of this project); all use the same session options.

Usage: /usr/bin/python3 tools/bench/paired_steps.py BATCH SIZE THREADS PAIRS SIDE SIDE
  e.g. paired_steps.py 16 224 2 60 node:atto.onnx ort:atto.onnx
"""
import statistics
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
batch, size, threads, pairs = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
sides = sys.argv[5:7]
commands = {
    "node": lambda m: ["node", str(root / "tools/bench/ort_node_bench.js"), "--serve", m, str(batch), size, threads],
    "ort": lambda m: ["dotnet", str(root / "tools/bench/OrtStepServer/bin/Release/net10.0/OrtStepServer.dll"),
                      m, str(batch), size, threads],
}


def command(engine, model):
    if engine.startswith("dll="):
        return ["dotnet", engine[4:], model, str(batch), size, threads]
    return commands[engine](model)


procs = []
for side in sides:  # started one after the other so their warm-ups do not overlap
    engine, model = side.split(":", 1)
    p = subprocess.Popen(command(engine, model), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    line = p.stdout.readline().strip()
    if line != "ready":
        sys.exit(f"{side} did not start: {line!r}")
    procs.append(p)


def step(p):
    p.stdin.write("run\n")
    p.stdin.flush()
    return float(p.stdout.readline())


times = ([], [])
ratios = []
for i in range(pairs):
    order = (0, 1) if i % 2 == 0 else (1, 0)
    t = {k: step(procs[k]) for k in order}
    times[0].append(t[0])
    times[1].append(t[1])
    ratios.append(t[0] / t[1])
for p in procs:
    p.stdin.close()
    p.wait()
for side, ts in zip(sides, times):
    print(f"{side}: median step {batch / statistics.median(ts):.2f} img/s, best step {batch / min(ts):.2f} img/s")
print(f"per-pair ratio quartiles: {' / '.join(f'{q:.3f}' for q in statistics.quantiles(ratios, n=4))}")
print(f"per-pair ratio range: {min(ratios):.3f} - {max(ratios):.3f}")
print(f"paired ratio: {statistics.median(ratios):.3f}")
