#!/usr/bin/env bash
# Disk a CI run takes: clones HEAD into a temporary folder, runs .ci/run there, samples the used space of that folder's
# file system every 2 s, and prints the peak and the end above the start (the NuGet cache and apt packages already in
# place are not counted). Run it on an otherwise idle machine: anything else written meanwhile counts too.
# Usage: tools/bench/ci-disk.sh   (takes as long as CI, ~8 minutes on a 2-core VM)
cd "$(dirname "$0")/../.."
set -uo pipefail
tmp=$(mktemp -d); trap 'kill "$sampler" 2>/dev/null; rm -rf "$tmp"' EXIT
git clone -q . "$tmp/repo"
( while true; do df --output=used -k "$tmp" | tail -1; sleep 2; done ) > "$tmp/used.txt" &
sampler=$!
(cd "$tmp/repo" && bash .ci/run > "$tmp/ci.log" 2>&1); status=$?
kill "$sampler"
echo "machine: $(nproc) cores, $(df -h --output=size "$tmp" | tail -1 | xargs) disk; commit $(git rev-parse --short HEAD); $(date -u +%F)"
echo "ci: $(tail -1 "$tmp/ci.log") (exit $status)"
awk 'NR == 1 {start = $1} {if ($1 > peak) peak = $1; last = $1}
     END {printf "disk above the start: peak +%.2f GB, at the end +%.2f GB (%d samples)\n", (peak - start) / 1e6, (last - start) / 1e6, NR}' "$tmp/used.txt"
