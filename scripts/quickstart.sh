#!/usr/bin/env bash
# The main job on the embedded default: set up, list the model zoo, then train inceptionnext_atto
# on generated shapes and report its accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cli=(dotnet run --project InceptionNeXt.Cli -c Release --no-build --)
"${cli[@]}" models
"${cli[@]}" demo
