#!/usr/bin/env bash
# Print the first working interpreter of a Python version, for the version matrix and
# `make constraints`: pythonX.Y on PATH, else one from pyenv (~/.pyenv/versions/X.Y.*).
#
#   scripts/find_python.sh 3.10      ->  /root/.pyenv/versions/3.10.13/bin/python3.10
#
# Prints nothing and says so on stderr (exit 1) when there is none.
set -euo pipefail

version=${1:?usage: $0 X.Y}
for python in "python$version" "$HOME"/.pyenv/versions/"$version".*/bin/"python$version"; do
    # `import sys` also rules out pyenv shims of versions that are not installed.
    if "$python" -c "import sys" >/dev/null 2>&1; then
        command -v "$python"
        exit 0
    fi
done
echo "*** find_python.sh: no working Python $version on PATH or in ~/.pyenv/versions" >&2
exit 1
