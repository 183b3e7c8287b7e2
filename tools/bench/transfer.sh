#!/usr/bin/env bash
# Transfer benchmark (issue: transfer learning): pretrain inceptionnext_atto (stem stride 2) on Fashion-MNIST
# classes 0-4, then learn classes 5-9 from 100 labelled images each, three ways, and test on all 5000 test images
# of classes 5-9:
#   (a) a head on frozen features   `inceptionnext image-classification --pretrained`
#   (b) fine-tuning the whole model `inceptionnext train --pretrained`
#   (c) training from scratch       `inceptionnext train`
# Usage: tools/bench/transfer.sh [WORK_DIR] [PRETRAIN_BUDGET=6m] [FINETUNE_EPOCHS=30]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/inceptionnext-transfer}
budget=${2:-6m}
epochs=${3:-30}
cli=(dotnet InceptionNeXt.Cli/bin/Release/net10.0/InceptionNeXt.Cli.dll)
mkdir -p "$work"
[[ -d $work/data/few ]] || /usr/bin/python3 tools/bench/make_fmnist_transfer.py /usr/share/datasets/fashion-mnist "$work/data" 100
secs() { echo $(( $(date +%s) - $1 )); }
top1() { "${cli[@]}" validate --model "$1" --data "$work/data/test" | grep '^top-1: ' | sed -E 's/top-1: ([0-9.]+).*/\1%/'; }

t=$(date +%s)
[[ -f $work/pretrain/best.pth ]] || "${cli[@]}" train --data "$work/data/pretrain" --model inceptionnext_atto --stem-stride 2 \
  --time-budget "$budget" --output "$work/pretrain" > "$work/pretrain.log"
echo "pretrain (classes 0-4, $budget): $(tail -1 "$work/pretrain.log")"

t=$(date +%s)
rm -rf "$work/a"
"${cli[@]}" image-classification --dataset "$work/data/few" --pretrained "$work/pretrain/best.pth" --model inceptionnext_atto \
  --train-time 60 --output "$work/a" --name Transfer --cache "$work/cache" > "$work/a.log"
a_time=$(secs "$t"); a_top1=$(top1 "$work/a/model.onnx")

t=$(date +%s)
rm -rf "$work/b"
"${cli[@]}" train --data "$work/data/few" --model inceptionnext_atto --stem-stride 2 --pretrained "$work/pretrain/best.pth" \
  --epochs "$epochs" -b 32 --val-fraction 0.1 --output "$work/b" > "$work/b.log"
b_time=$(secs "$t"); b_top1=$(top1 "$work/b/best.pth")

t=$(date +%s)
rm -rf "$work/c"
"${cli[@]}" train --data "$work/data/few" --model inceptionnext_atto --stem-stride 2 \
  --epochs "$epochs" -b 32 --val-fraction 0.1 --output "$work/c" > "$work/c.log"
c_time=$(secs "$t"); c_top1=$(top1 "$work/c/best.pth")

echo "| method | test top-1, classes 5-9 (5000 images) | time (s) |"
echo "|---|---|---|"
echo "| (a) head on frozen features (image-classification) | $a_top1 | $a_time |"
echo "| (b) fine-tuning, $epochs epochs | $b_top1 | $b_time |"
echo "| (c) from scratch, $epochs epochs | $c_top1 | $c_time |"
