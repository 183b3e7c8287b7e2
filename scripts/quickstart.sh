#!/usr/bin/env bash
# The main job on the embedded default, on a machine with only the .NET SDK (no apt, no npm: ONNX Runtime and
# SkiaSharp come from NuGet): Samples/QuickStart classifies the bundled sample images with the bundled
# Fashion-MNIST model (Models/), then an ML.NET pipeline trains, evaluates, saves and reloads a head on its features.
# The same on any OS: dotnet run --project Samples/QuickStart -c Release
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet run --project Samples/QuickStart -c Release
