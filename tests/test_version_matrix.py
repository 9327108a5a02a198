"""The version matrix and the packaging tools are pinned the way the Makefile and CI use them.

- constraints-oldest.txt (``make test-oldest``) pins each runtime dependency at exactly the
  lower bound pyproject.toml declares, so what is declared is what is tested;
- constraints-package.txt (``make test-package``) pins the ``package`` extra and adds no
  second pin for anything constraints.txt pins;
- .ci/run runs the matrix and the package test after ``make test``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, list[Requirement]]:
    """``{name: [requirement, ...]}`` of a constraints file (several when markers differ)."""
    found: dict[str, list[Requirement]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            found.setdefault(norm(req.name), []).append(req)
    return found


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def exact(req: Requirement) -> Version:
    (spec,) = req.specifier
    assert spec.operator == "==", f"{req} is not an exact pin"
    return Version(spec.version)


def test_oldest_pins_the_declared_lower_bounds(project):
    oldest = pins(ROOT / "constraints-oldest.txt")
    for dependency in project["dependencies"]:
        req = Requirement(dependency)
        (spec,) = req.specifier
        assert spec.operator == ">=", f"{dependency}: declare a lower bound name>=X"
        (pin,) = oldest[norm(req.name)]
        assert exact(pin) == Version(spec.version), (
            f"constraints-oldest.txt pins {pin} but pyproject.toml declares {dependency}: "
            f"run `make constraints-oldest`"
        )


def test_oldest_is_one_exact_environment():
    oldest = pins(ROOT / "constraints-oldest.txt")
    for name, reqs in oldest.items():
        assert len(reqs) == 1 and reqs[0].marker is None, f"{name}: one plain pin, no markers"
        exact(reqs[0])
    for needed in ("pytest", "nbval", "ipykernel", "hypothesis", "tomli"):
        assert needed in oldest, f"{needed} is not pinned in constraints-oldest.txt"
    for banned in ("gnnformer-lite", "pip", "setuptools"):
        assert banned not in oldest


def test_oldest_header_names_python_310():
    header = (ROOT / "constraints-oldest.txt").read_text(encoding="utf-8").splitlines()[:8]
    assert any(re.search(r"made with 3\.10\.\d+", line) for line in header), header


def test_package_tools_are_pinned_once(project):
    package = pins(ROOT / "constraints-package.txt")
    main = pins(ROOT / "constraints.txt")
    for tool in project["optional-dependencies"]["package"]:
        assert norm(Requirement(tool).name) in package, f"{tool} is not in constraints-package.txt"
    both = sorted(set(package) & set(main))
    assert not both, f"pinned in constraints.txt and constraints-package.txt: {both}"
    for reqs in package.values():
        exact(reqs[0])


def test_ci_runs_the_matrix_and_the_package_after_make_test():
    lines = [ln.split("#", 1)[0].strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    steps = ["make test", "make test-oldest", "make test-py313", "make test-package"]
    assert all(step in lines for step in steps), lines
    assert [lines.index(step) for step in steps] == sorted(lines.index(step) for step in steps)


def test_makefile_matrix_targets_use_their_interpreters_and_constraints():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(call matrix_venv,$(OLDEST),$(PY310),constraints-oldest.txt)" in text
    assert "$(call matrix_venv,$(PY313_VENV),$(PY313),constraints.txt)" in text
    assert "PY310 ?= $(call find_python,3.10)" in text
    assert "PY313 ?= $(call find_python,3.13)" in text
