#!/usr/bin/env bash
# Create a virtual environment (if it is missing or broken) and install the course into it:
# `pip install -e ".[EXTRAS]"` pinned by the constraints files, then warm matplotlib's font
# cache (else the first notebook cell that plots prints "building the font cache" on stderr).
#
#   scripts/venv.sh [--fresh] [--min-python 3.X] DIR PYTHON EXTRAS CONSTRAINTS...
#
#   --fresh           delete DIR first (the version-matrix venvs: nothing left from old pins)
#   --min-python 3.X  fail unless DIR's Python is at least 3.X (the [site] extra: 3.11)
#
# The Makefile calls it when pyproject.toml or a constraints file is newer than its stamp
# file (DIR/.installed...), so an up-to-date venv is not touched.
set -euo pipefail

fresh=0 min_python=
while [[ ${1:-} == --* ]]; do
    case $1 in
        --fresh) fresh=1; shift ;;
        --min-python) min_python=$2; shift 2 ;;
        *) echo "*** $0: unknown option $1" >&2; exit 2 ;;
    esac
done
if (($# < 4)); then
    echo "usage: $0 [--fresh] [--min-python 3.X] DIR PYTHON EXTRAS CONSTRAINTS..." >&2
    exit 2
fi
dir=$1 python=$2 extras=$3
shift 3
py=$dir/bin/python
pins=()
for file in "$@"; do pins+=(--constraint "$file"); done
cd "$(dirname "$0")/.."  # DIR, the constraints files and `-e .` are relative to the repository

die() { echo "*** $*" >&2; exit 1; }

((fresh)) && rm -rf "$dir"
# (Re-)create DIR unless it is a venv whose pip works.
if ! { [[ -f $dir/pyvenv.cfg ]] && "$py" -m pip --version >/dev/null 2>&1; }; then
    [[ -n $python ]] || die "no Python interpreter for $dir: install it (e.g. with pyenv)"
    command -v "$python" >/dev/null || die "$python not found: install Python 3.10-3.13"
    echo "==> creating $dir with $("$python" --version 2>&1) ($(command -v "$python"))"
    rm -rf "$dir"
    if ! "$python" -m venv "$dir"; then
        rm -rf "$dir"
        echo "*** '$python -m venv' failed." >&2
        die "On Debian/Ubuntu install the venv module first: sudo apt install python3-venv"
    fi
    "$py" -m pip install --quiet --upgrade pip
fi

# 3.11 -> sys.version_info < (3, 11)
if [[ -n $min_python ]] &&
    ! "$py" -c "import sys; sys.exit(sys.version_info < (${min_python/./, }))"; then
    die "$dir has $("$py" --version 2>&1), this needs Python >= $min_python;" \
        "recreate it: make clean setup PYTHON=python$min_python"
fi

echo "==> installing .[$extras] into $dir (pinned by $*)"
"$py" -m pip install --quiet "${pins[@]}" -e ".[$extras]"
"$py" -c "import matplotlib.pyplot"
echo "==> $dir is ready"
