#!/usr/bin/env bash
# The main job on the embedded default: set up, then Samples/QuickStart: the bundled Fashion-MNIST model
# (Models/) classifies the bundled sample images, and an ML.NET-style pipeline trains, evaluates, saves and
# reloads a head on its features.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet run --project Samples/QuickStart -c Release --no-build
