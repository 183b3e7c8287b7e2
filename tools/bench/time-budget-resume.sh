#!/usr/bin/env bash
# Issue 14: a --time-budget run stopped mid-run by SIGTERM (exit 143, resumable last.pth) and resumed with --resume,
# against the same run uninterrupted (twice per round, before and after the split run, since each run fits its own
# schedule to the speed it measures): the resumed run must keep the fitted schedule and end within 1 point.
# Data: a Fashion-MNIST subset (first 12,000 training and 2,000 test images of Debian's dataset-fashion-mnist) as an
# IDX folder; inceptionnext_atto with the small-image recipe (32 px, stem stride 2), 2 threads, seed 1.
# usage: tools/bench/time-budget-resume.sh [ROUNDS=1] [BUDGET_SECONDS=120]   (build Release first)
set -euo pipefail
rounds=${1:-1}; budget=${2:-120}
cd "$(dirname "$0")/../.."
cli=InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll
src=/usr/share/datasets/fashion-mnist
work=${WORK:-/tmp/time-budget-resume}
mkdir -p "$work"
if [[ ! -f $work/data/t10k-labels-idx1-ubyte.gz ]]; then
  /usr/bin/python3 - "$src" "$work/data" <<'PY'
import gzip, os, struct, sys
src, dst = sys.argv[1:]
os.makedirs(dst, exist_ok=True)
for split, n in (("train", 12000), ("t10k", 2000)):
    with gzip.open(f"{src}/{split}-images-idx3-ubyte.gz") as f: images = f.read()
    with gzip.open(f"{src}/{split}-labels-idx1-ubyte.gz") as f: labels = f.read()
    _, _, rows, cols = struct.unpack(">IIII", images[:16])
    with gzip.open(f"{dst}/{split}-images-idx3-ubyte.gz", "wb") as f: f.write(struct.pack(">IIII", 2051, n, rows, cols) + images[16:16 + n * rows * cols])
    with gzip.open(f"{dst}/{split}-labels-idx1-ubyte.gz", "wb") as f: f.write(struct.pack(">II", 2049, n) + labels[8:8 + n])
PY
fi
common=(--data "$work/data" --model inceptionnext_atto --threads 2 --workers 1 --seed 1 --time-budget "${budget}s")
top1() { sed -nE 's/^top-1: ([0-9.]+)%.*/\1/p' "$1" | tail -1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); budget ${budget}s; date $(date -u +%F)"
for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/whole" "$work/whole-2" "$work/split"
  dotnet "$cli" train "${common[@]}" --output "$work/whole" > "$work/whole.log" 2>&1
  # The same run, sent SIGTERM 40% into its budget, then resumed.
  dotnet "$cli" train "${common[@]}" --output "$work/split" > "$work/split-1.log" 2>&1 &
  pid=$!
  sleep $((budget * 2 / 5))
  kill -TERM "$pid"
  code=0; wait "$pid" || code=$?
  dotnet "$cli" train --data "$work/data" --model inceptionnext_atto --threads 2 --workers 1 --seed 1 \
    --output "$work/split" --resume "$work/split/last.pth" > "$work/split-2.log" 2>&1
  dotnet "$cli" train "${common[@]}" --output "$work/whole-2" > "$work/whole-2.log" 2>&1
  fit() { grep -m1 -oE 'about [0-9]+ updates' "$1" || echo "?"; }
  echo "round $r: uninterrupted top-1 $(top1 "$work/whole.log")% ($(fit "$work/whole.log")) and $(top1 "$work/whole-2.log")% ($(fit "$work/whole-2.log")); SIGTERM exit $code at $(grep -oE 'stopped at epoch [0-9]+, batch [0-9]+' "$work/split-1.log" || echo '?'), resumed top-1 $(top1 "$work/split-2.log")% ($(fit "$work/split-1.log"); $(grep -oE 'schedule [0-9]+ updates, warmup [0-9]+' "$work/split-2.log" || echo 'schedule ?'))"
done
