#!/usr/bin/env bash
# Set up, run the whole MSTest suite, and print the closing line `N passed, N failed[, N skipped]`
# computed from the TRX results.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
results=$(mktemp -d)
dotnet test Tests/InceptionNeXt.Tests -c Release --no-build --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [[ ! -f $trx ]]; then
  echo "test run produced no results (dotnet test exit code $status)"
  exit 1
fi
summary=$(/usr/bin/python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
c = ET.parse(sys.argv[1]).getroot().find("t:ResultSummary/t:Counters", ns).attrib
passed, failed = int(c["passed"]), int(c["failed"]) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
skipped = int(c["total"]) - passed - failed
print(f"{passed} {failed} {skipped}")
PY
)
read -r passed failed skipped <<<"$summary"
line="$passed passed, $failed failed"
((skipped > 0)) && line+=", $skipped skipped"
echo "$line"
((failed == 0 && passed > 0 && status == 0))
