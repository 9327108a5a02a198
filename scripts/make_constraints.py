#!/usr/bin/env python3
"""Regenerate ``constraints.txt`` (run via ``make constraints``).

What it does
------------
1. Creates a throwaway venv with the *primary* interpreter (the one running this script;
   CI uses Python 3.11), upgrades pip, runs ``pip install -e ".[test,lab]"`` and takes
   ``pip freeze`` (minus the project itself and pip/setuptools/wheel). These are exact
   versions; the committed notebook outputs are produced with them.
2. For every ``--alt-python`` (older interpreters, e.g. 3.10) it asks pip, in a throwaway
   venv of that interpreter, what ``.[test,lab]`` resolves to there (``--dry-run --report``,
   nothing is installed). Where the resolution differs (a pinned release dropped that Python,
   or an extra backport is needed), it writes environment-marker alternatives::

       numpy==2.4.6; python_version >= "3.11"
       numpy==2.2.6; python_version == "3.10"

3. For every ``--check-python`` it verifies, again with a dry run, that
   ``pip install -c constraints.txt ".[test,lab]"`` resolves on that interpreter and that
   every package it would install is pinned.

Only the pip client is used (PyPI via the machine's normal pip configuration).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = {"gnnformer-lite", "pip", "setuptools", "wheel"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def make_venv(python: str, where: Path) -> Path:
    run([python, "-m", "venv", str(where)])
    py = where / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    return py


def minor_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def vkey(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def freeze_primary(extras: str, tmp: Path) -> dict[str, tuple[str, str]]:
    """Install into a fresh venv of sys.executable and return {norm: (name, version)}."""
    py = make_venv(sys.executable, tmp / "primary")
    run([str(py), "-m", "pip", "install", "-q", "-e", f".[{extras}]"], cwd=ROOT)
    out = subprocess.run(
        [str(py), "-m", "pip", "freeze", "--exclude-editable", "--all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pins = {}
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue
        name, version = line.split("==", 1)
        if norm(name) in EXCLUDE:
            continue
        pins[norm(name)] = (name, version)
    return pins


def dry_run(python: str, extras: str, tmp: Path, tag: str, constraints: Path | None = None):
    """Return {norm: (name, version)} that pip would install for .[extras] on `python`."""
    py = make_venv(python, tmp / f"venv-{tag}")
    report = tmp / f"report-{tag}.json"
    cmd = [str(py), "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed"]
    cmd += ["--report", str(report)]
    if constraints is not None:
        cmd += ["-c", str(constraints)]
    cmd.append(f".[{extras}]")
    run(cmd, cwd=ROOT)
    data = json.loads(report.read_text())
    got = {}
    for item in data["install"]:
        meta = item["metadata"]
        if norm(meta["name"]) in EXCLUDE:
            continue
        got[norm(meta["name"])] = (meta["name"], meta["version"])
    return got


HEADER = """\
# Exact versions for `pip install -c constraints.txt -e ".[test,lab]"` (what `make setup` does).
# These are the versions the committed notebook outputs were produced with (Python {primary}),
# so reprs and numbers cannot drift under `make test`.
#
# Regenerate (throwaway venvs, nothing in .venv is touched), then re-run `make notebooks`
# and review the diff of the outputs:
#     make constraints                      # = python3 scripts/make_constraints.py ...
# Lines with a python_version marker are alternatives for interpreters on which the pinned
# release is not available (resolved by pip on {alts}).
# Do not edit by hand unless you also re-run the notebooks.
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-o", "--output", default=str(ROOT / "constraints.txt"))
    ap.add_argument("--extras", default="test,lab")
    ap.add_argument("--alt-python", action="append", default=[], help="older interpreter")
    ap.add_argument("--check-python", action="append", default=[], help="verify on this one")
    args = ap.parse_args()

    primary = "{}.{}".format(*sys.version_info[:2])
    if primary != "3.11":
        print(f"warning: primary Python is {primary}; CI and the notebooks use 3.11", flush=True)

    with tempfile.TemporaryDirectory(prefix="gnnformer-constraints-") as t:
        tmp = Path(t)
        pins = freeze_primary(args.extras, tmp)

        # alt[norm][minor] = version
        alt: dict[str, dict[str, str]] = {}
        names = {k: v[0] for k, v in pins.items()}
        alt_versions = []
        for python in args.alt_python:
            minor = minor_version(python)
            if vkey(minor) >= vkey(primary):
                ap.error(f"--alt-python must be older than {primary}: {python} is {minor}")
            alt_versions.append(minor)
            for k, (name, version) in dry_run(python, args.extras, tmp, minor).items():
                names.setdefault(k, name)
                alt.setdefault(k, {})[minor] = version

        lines = []
        for k in sorted(names):
            name = names[k]
            own = pins.get(k)
            others = {m: v for m, v in alt.get(k, {}).items() if own is None or v != own[1]}
            if own is not None and not others:
                lines.append(f"{name}=={own[1]}")
                continue
            if own is not None:
                lines.append(f'{name}=={own[1]}; python_version >= "{primary}"')
            for m, v in sorted(others.items(), key=lambda mv: vkey(mv[0])):
                lines.append(f'{name}=={v}; python_version == "{m}"')

        out = Path(args.output)
        header = HEADER.format(primary=primary, alts=", ".join(alt_versions) or "none")
        text = header + "\n".join(lines) + "\n"
        if out.exists() and out.read_text() == text:
            print(f"{out} is up to date ({len(lines)} lines)")
        else:  # only touch the file on change: its mtime triggers `make setup`
            out.write_text(text)
            print(f"wrote {out} ({len(lines)} lines)")

        failed = False
        for python in args.check_python:
            minor = minor_version(python)
            got = dry_run(python, args.extras, tmp, f"check-{minor}", constraints=out)
            unpinned = sorted(k for k in got if k not in names)
            status = "OK" if not unpinned else f"UNPINNED: {', '.join(unpinned)}"
            print(f"check Python {minor}: {len(got)} packages resolve; {status}")
            failed |= bool(unpinned)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
