#!/usr/bin/env bash
# Set up, run the MSTest suite, and print the closing line `N passed, N failed[, N skipped]` computed from its TRX
# results. --blame names the test that was running if the test host crashes; a crashed run counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
results=$(mktemp -d)
status=0
dotnet test Tests/InceptionNeXt.Tests -c Release --no-build --blame --logger "trx;LogFileName=InceptionNeXt.Tests.trx" \
  --results-directory "$results" "$@" || status=$?
shopt -s nullglob
trx=("$results"/*.trx)
if ((${#trx[@]} != 1)); then
  echo "test run produced ${#trx[@]} of 1 result files (dotnet test exit code $status)"
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
if ((status != 0 && failed == 0)); then
  # A crashed test host: the tests it never ran are not in the counters, and the run failed.
  echo "dotnet test exited with $status with no failed test in its results: the test host crashed (the blame output above names the test)"
  failed=1
fi
line="$passed passed, $failed failed"
((skipped > 0)) && line+=", $skipped skipped"
echo "$line"
((failed == 0 && passed > 0 && status == 0))
