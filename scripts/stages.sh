#!/usr/bin/env bash
# Run the stages of a `make` test target in order, in a virtual environment, and name the
# stage that failed:
#
#   scripts/stages.sh TARGET VENV STAGE COMMAND [STAGE COMMAND ...]
#
# Each COMMAND is a shell command run with VENV/bin first on PATH (`python`, `ruff` are the
# venv's). Prints the venv's versions, then before each stage
#   ==> make TARGET: [2/4 format] COMMAND
# and after it its time; the first failing stage stops the run with
#   *** make TARGET: stage [2/4 format] FAILED (exit 1)
# and its exit status.
set -euo pipefail

if (($# < 4 || $# % 2)); then
    echo "usage: $0 TARGET VENV STAGE COMMAND [STAGE COMMAND ...]" >&2
    exit 2
fi
target=$1 venv=$2
shift 2
[[ -x $venv/bin/python ]] || { echo "*** $venv/bin/python not found: make setup" >&2; exit 1; }
VIRTUAL_ENV=$(cd "$venv" && pwd)
export VIRTUAL_ENV PATH=$VIRTUAL_ENV/bin:$PATH

versions='import sys, numpy, matplotlib, networkx
print("Python", sys.version.split()[0], "| NumPy", numpy.__version__,
      "| matplotlib", matplotlib.__version__, "| networkx", networkx.__version__)'
echo "==> make $target in $venv: $(python -c "$versions" 2>/dev/null || python --version)"

total=$(($# / 2)) n=0
while (($#)); do
    n=$((n + 1)) stage="$n/$total $1" command=$2
    shift 2
    echo
    echo "==> make $target: [$stage] $command"
    start=$SECONDS
    rc=0
    bash -c "$command" || rc=$?
    if ((rc)); then
        echo
        echo "*** make $target: stage [$stage] FAILED (exit $rc)" >&2
        exit "$rc"
    fi
    echo "==> make $target: [$stage] passed in $((SECONDS - start)) s"
done
echo
echo "==> make $target: all stages passed"
