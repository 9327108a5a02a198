#!/usr/bin/env python3
"""Regenerate constraints-oldest.txt or constraints-package.txt (``make constraints-oldest``, ...).

``oldest``: ``constraints-oldest.txt`` for ``make test-oldest``, which tests the package
against the oldest versions it declares: Python 3.10 and, for every runtime dependency
``name>=X`` in pyproject.toml, exactly ``name==X``. It finds one consistent environment for
that and freezes it:

1. a throwaway venv of ``--python`` (3.10);
2. ``pip install -e ".[test]" numpy==1.26 matplotlib==3.7 networkx==3.0 ...`` (the lower
   bounds, read from pyproject.toml), with every other package held to its pin in
   constraints.txt (its Python 3.10 alternative) or to a HOLD below;
3. ``pip freeze`` of that venv, minus the project and pip, written with a header.

``package``: ``constraints-package.txt`` for ``make test-package``: the ``package`` extra
(build, twine) installed with ``-c constraints.txt`` in a throwaway venv of ``--python``
(3.11, as CI), frozen, minus everything constraints.txt already pins.

Only the pip client is used (PyPI via the machine's normal pip configuration).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = {"gnnformer-lite", "pip", "setuptools", "wheel"}
# Packages held below their constraints.txt pin, with the reason.
HOLD = {
    # matplotlib 3.7 calls pyparsing's camelCase names, which pyparsing 3.3 deprecates
    # (a PyparsingDeprecationWarning at import); 3.2.5 is the newest release without it.
    "pyparsing": "3.2.5",
}
LOWER_BOUND_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][0-9.]*)\s*$")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lower_bounds() -> dict[str, str]:
    """``{name: X}`` for every runtime dependency ``name>=X`` of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = {}
    for requirement in project["dependencies"]:
        match = LOWER_BOUND_RE.match(requirement)
        if not match:
            raise SystemExit(f"cannot read a lower bound from {requirement!r} (want name>=X)")
        bounds[norm(match.group(1))] = match.group(2)
    return bounds


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def pinned_names(path: Path) -> set[str]:
    return {norm(re.split(r"[=<>!~;\s]", line, maxsplit=1)[0]) for line in requirements(path)}


def requirements(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def fresh_venv(python: str, where: Path) -> str:
    run([python, "-m", "venv", str(where)])
    py = str(where / "bin" / "python")
    run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    return py


def freeze(py: str) -> list[str]:
    out = run(
        [py, "-m", "pip", "freeze", "--exclude-editable", "--all"], capture_output=True, text=True
    )
    return [line for line in out.stdout.splitlines() if norm(line.split("==")[0]) not in EXCLUDE]


def python_version(py: str) -> str:
    code = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    return run([py, "-c", code], capture_output=True, text=True).stdout.strip()


def oldest(python: str, tmp: Path) -> tuple[list[str], list[str]]:
    bounds = lower_bounds()
    held = set(bounds) | set(HOLD)
    others = tmp / "others.txt"
    kept = [
        line
        for line in requirements(ROOT / "constraints.txt")
        if norm(re.split(r"[=<>!~;\s]", line, maxsplit=1)[0]) not in held
    ]
    others.write_text("\n".join(kept) + "\n", encoding="utf-8")
    py = fresh_venv(python, tmp / "venv")
    pins = [f"{name}=={version}" for name, version in {**bounds, **HOLD}.items()]
    run([py, "-m", "pip", "install", "-q", "-c", str(others), "-e", ".[test]", *pins], cwd=ROOT)
    header = [
        "# Exact versions for `make test-oldest`, which runs",
        '#     pip install -c constraints-oldest.txt -e ".[test]"',
        f"# on Python 3.10 (made with {python_version(py)}). The runtime dependencies sit at",
        "# the lower bounds declared in pyproject.toml: "
        + ", ".join(f"{name}=={v}" for name, v in bounds.items())
        + ".",
        *(f"# Held back: {name}=={v} (see HOLD in the script)." for name, v in HOLD.items()),
        "# Regenerate (a throwaway venv): make constraints-oldest",
        "# Do not edit by hand.",
    ]
    return header, freeze(py)


def package(python: str, tmp: Path) -> tuple[list[str], list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    tools = project["optional-dependencies"]["package"]
    py = fresh_venv(python, tmp / "venv")
    run([py, "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), *tools])
    pinned = pinned_names(ROOT / "constraints.txt")
    header = [
        "# Exact versions of the packaging tools for `make test-package`, with constraints.txt:",
        '#     pip install -c constraints.txt -c constraints-package.txt -e ".[test,lab,package]"',
        f"# = the package extra ({', '.join(tools)}) and what it needs that constraints.txt does",
        f"# not pin (made with Python {python_version(py)}, as CI).",
        "# Regenerate (a throwaway venv): make constraints-package",
        "# Do not edit by hand.",
    ]
    return header, [line for line in freeze(py) if norm(line.split("==")[0]) not in pinned]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("which", choices=["oldest", "package"])
    ap.add_argument("--python", required=True, help="the interpreter: 3.10 for oldest")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        header, pins = (oldest if args.which == "oldest" else package)(args.python, Path(tmp))
    out = ROOT / f"constraints-{args.which}.txt"
    out.write_text("\n".join(header + pins) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}: {len(pins)} pins")


if __name__ == "__main__":
    main()
