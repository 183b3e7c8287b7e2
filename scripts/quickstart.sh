#!/usr/bin/env bash
# The main job on the embedded default: set up, list the model zoo, then train inceptionnext_atto
# on generated stripe images (horizontal vs. vertical) and report its held-out accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cli=(dotnet run --project InceptionNeXt.Cli -c Release --no-build --)
"${cli[@]}" models
"${cli[@]}" demo
