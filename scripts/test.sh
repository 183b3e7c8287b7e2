#!/usr/bin/env bash
# Set up, run the MSTest suites, and print the closing line `N passed, N failed[, N skipped]` computed from the TRX
# results of both test projects. They run as separate processes on purpose: InceptionNeXt.TorchSharp.Tests loads
# libtorch 2.10 (TorchSharp), InceptionNeXt.Tests the old libtorch 1.13 binding, and the two cannot share a process.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
results=$(mktemp -d)
status=0
for project in Tests/InceptionNeXt.Tests Tests/InceptionNeXt.TorchSharp.Tests; do
  name=$(basename "$project")
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=$?
done
shopt -s nullglob
trx=("$results"/*.trx)
if ((${#trx[@]} != 2)); then
  echo "test run produced ${#trx[@]} of 2 result files (dotnet test exit code $status)"
  exit 1
fi
summary=$(/usr/bin/python3 - "${trx[@]}" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in sys.argv[1:]:
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns).attrib
    p, f = int(c["passed"]), int(c["failed"]) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    passed, failed, skipped = passed + p, failed + f, skipped + int(c["total"]) - p - f
print(f"{passed} {failed} {skipped}")
PY
)
read -r passed failed skipped <<<"$summary"
line="$passed passed, $failed failed"
((skipped > 0)) && line+=", $skipped skipped"
echo "$line"
((failed == 0 && passed > 0 && status == 0))
