#!/usr/bin/env bash
# Issue 10's side-by-side rows: the official Microsoft.ML.OnnxRuntime package (this tree) against the hand-written C-API
# binding it replaced (an older checkout, built) and against onnxruntime-node, all on the same exported .onnx files:
#  1. logits of the old binding and the new package on the same input tensor (max abs difference);
#  2. paired step-by-step speed (tools/bench/paired_steps.py): node vs new, old vs new; median per-pair ratio and range;
#  3. JPEG folder end to end (decode + preprocess + infer), old CLI vs new CLI in alternating rounds: median ratio and
#     range, with the new decoder's JPEG backend on Auto (libturbojpeg when present) and forced to SkiaSharp.
# Usage: scripts/bench-migration.sh --old DIR [--batch-size 16] [--image-size 224] [--threads 2] [--rounds 5] [models...]
#   DIR: a checkout of commit ffcc25b (the last with the old binding) with `dotnet build -c Release` run in it.
set -euo pipefail
cd "$(dirname "$0")/.."
batch=16; size=224; threads=$(nproc); rounds=5; models=(); old=""
while (($#)); do
  case $1 in
    --old) old=$(cd "$2" && pwd); shift 2 ;;
    --batch-size) batch=$2; shift 2 ;;
    --image-size) size=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ -n $old ]] || { echo "usage: $0 --old DIR [models...]" >&2; exit 2; }
((${#models[@]})) || models=(inceptionnext_atto inceptionnext_tiny)
if [[ ! -d .cache/ort-node/node_modules/onnxruntime-node ]]; then
  mkdir -p .cache/ort-node
  (cd .cache/ort-node && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null)
fi
dotnet build tools/bench/OrtStepServer -c Release --nologo -v quiet >/dev/null
oldserver=$old/tools/bench/OrtStepServer/bin/Release/net10.0/OrtStepServer.dll
[[ -f $oldserver ]] || (cd "$old" && dotnet build tools/bench/OrtStepServer -c Release --nologo -v quiet >/dev/null)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/bench/make_photos.py "$work/images"   # 64 photo-like JPEGs, made here: nothing is downloaded
new_cli=(dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll)
old_cli=(dotnet "$old/InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll")
last() { tail -n 1 | sed -E 's/throughput: ([0-9.]+) img\/s/\1/'; }
# paired SIDE SIDE PAIRS -> "median1 median2 ratio range" (img/s of each side's median step; ratio = median per-pair speed of the second / first)
paired() {
  /usr/bin/python3 tools/bench/paired_steps.py "$batch" "$size" "$threads" "$3" "$1" "$2" | awk '
    NR == 1 { a = $4 } NR == 2 { b = $4 } /ratio range/ { q = $4 "-" $6 } /^paired ratio/ { r = $3 }
    END { print a, b, r, q }'
}
dump() { # ENGINE MODEL OUT: the first output of one run on the server's fixed input
  /usr/bin/python3 - "$@" "$batch" "$size" "$threads" <<'PY'
import subprocess, sys
engine, model, out, batch, size, threads = sys.argv[1:7]
p = subprocess.Popen(["dotnet", engine, model, batch, size, threads], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert p.stdout.readline().strip() == "ready"
p.stdin.write(f"dump {out}\n"); p.stdin.flush(); p.stdout.readline(); p.stdin.close(); p.wait()
PY
}
# median and range of B/A over alternating rounds of two commands that print `throughput: X img/s` last
alternate() {
  local a_cmd=$1 b_cmd=$2 ratios=()
  for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then a=$(eval "$a_cmd" | last); b=$(eval "$b_cmd" | last)
    else b=$(eval "$b_cmd" | last); a=$(eval "$a_cmd" | last); fi
    ratios+=("$a $b")
  done
  printf '%s\n' "${ratios[@]}" | /usr/bin/python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
r = [b / a for a, b in rows]
print(f"{statistics.median(a for a, _ in rows):.1f} {statistics.median(b for _, b in rows):.1f} {statistics.median(r):.3f} {min(r):.3f}-{max(r):.3f}")'
}
turbo=absent; [[ $(/sbin/ldconfig -p) == *libturbojpeg.so.0* ]] && turbo=present
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); libturbojpeg $turbo; date $(date -u +%F)"
echo "| model | max abs logit diff old vs new | onnxruntime-node 1.30 img/s | Microsoft.ML.OnnxRuntime 1.31.1 img/s | new / node (range) | old binding img/s | Microsoft.ML.OnnxRuntime 1.31.1 img/s | new / old (range) | e2e old img/s | e2e new (JPEG Auto) img/s | new / old (range) | e2e new (JPEG SkiaSharp) img/s | Skia / old (range) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  onnx="$work/$m.onnx"
  "${new_cli[@]}" export --model "$m" --image-size "$size" --output "$onnx" >/dev/null
  dump "$oldserver" "$onnx" "$work/old.bin"
  dump tools/bench/OrtStepServer/bin/Release/net10.0/OrtStepServer.dll "$onnx" "$work/new.bin"
  diff=$(/usr/bin/python3 -c 'import numpy as np, sys; a, b = (np.fromfile(f, np.float32) for f in sys.argv[1:]); assert a.shape == b.shape and a.size > 0; print(f"{np.abs(a - b).max():.2e}")' "$work/old.bin" "$work/new.bin")
  pairs=60; [[ $m == *tiny* || $m == *small* || $m == *base* ]] && pairs=24
  read -r node ours nr nq < <(paired "node:$onnx" "ort:$onnx" "$pairs")
  read -r oldb ours2 orr oq < <(paired "dll=$oldserver:$onnx" "ort:$onnx" "$pairs")
  iters=20; [[ $m == *tiny* || $m == *small* || $m == *base* ]] && iters=8
  e2e="benchmark --model $onnx --engine onnx --images $work/images --batch-size $batch --threads $threads --iters $iters"
  read -r eo en er eq < <(alternate "${old_cli[*]} $e2e 2>/dev/null" "${new_cli[*]} $e2e 2>/dev/null")
  read -r _ es sr sq < <(alternate "${old_cli[*]} $e2e 2>/dev/null" "${new_cli[*]} $e2e --jpeg-backend Skia 2>/dev/null")
  echo "| $m | $diff | $node | $ours | ${nr}x ($nq) | $oldb | $ours2 | ${orr}x ($oq) | $eo | $en | ${er}x ($eq) | $es | ${sr}x ($sq) |"
done
