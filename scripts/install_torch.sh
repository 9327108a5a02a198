#!/usr/bin/env bash
# Install the pinned CPU builds of torch and torch_geometric into a venv, for the equivalence
# tests tests/test_torch_*.py (`make test-reference`) and the comparison columns of `make bench`.
#
#   scripts/install_torch.sh VENV [PIP_ARGS...]
#
# PIP_ARGS go to `pip install torch` (the Makefile's TORCH_PIP_ARGS). The plain pin takes the CPU
# build from this machine's wheel cache; where PyPI would serve the CUDA build (several GB), pass
#   --index-url https://download.pytorch.org/whl/cpu
# If the plain install fails, the CPU index is tried. TORCH_VERSION / PYG_VERSION override the
# pins from the environment.
set -euo pipefail

torch_version=${TORCH_VERSION:-2.13.0}
pyg_version=${PYG_VERSION:-2.8.1}
cpu_index=https://download.pytorch.org/whl/cpu

if (($# < 1)); then
    echo "usage: $0 VENV [PIP_ARGS...]" >&2
    exit 2
fi
venv=$1
py=$venv/bin/python
shift
cd "$(dirname "$0")/.."  # VENV and constraints.txt are relative to the repository

echo "==> installing torch==$torch_version and torch_geometric==$pyg_version into $venv"
echo "$py -m pip install --quiet torch==$torch_version $*"
if ! "$py" -m pip install --quiet "torch==$torch_version" "$@"; then
    echo "*** pip install torch==$torch_version failed: trying the CPU index $cpu_index" >&2
    "$py" -m pip install --quiet "torch==$torch_version" --index-url "$cpu_index"
fi
# torch_geometric's own dependencies stay at the versions constraints.txt pins.
"$py" -m pip install --quiet --constraint constraints.txt "torch_geometric==$pyg_version"
"$py" -c "import torch, torch_geometric
print('torch', torch.__version__, '| torch_geometric', torch_geometric.__version__)"
