#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh Debian machine for the whole solution and its tests: system packages
# for the reference checks, the OpenMP OpenBLAS for their PyTorch, and a Release build.
# The library needs none of this: ONNX Runtime, SkiaSharp and TorchSharp (with its libtorch) come from NuGet.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libopenblas0-openmp               # BLAS for python3-torch's (Debian libtorch's) Linear layers; shares the OpenMP pool
  python3-torch python3-numpy       # reference checks (parity tests, PyTorch benchmarks)
  python3-onnx python3-pil          # reference checks for export and preprocessing
  libturbojpeg0                     # optional JPEG accelerator; the tests check it decodes exactly as SkiaSharp
  dataset-fashion-mnist             # benchmark data (Fashion-MNIST training and transfer benchmarks)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# python3-torch (Debian's libtorch) takes BLAS from the libblas.so.3 alternative; the reference BLAS is ~30x slower,
# which would skew the PyTorch side of the parity tests' run time and of the benchmarks. TorchSharp bundles its own.
openblas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [[ -e $openblas ]] && [[ $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3) != "$(readlink -f $openblas)" ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO update-alternatives --quiet --set libblas.so.3-x86_64-linux-gnu "$openblas"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Solution.sln -c Release -nologo -clp:ErrorsOnly -v:quiet
