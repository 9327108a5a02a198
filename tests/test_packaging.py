"""Checks of the packaging and test harness (not of gnnformer_lite itself).

These keep pyproject.toml, environment.yml, constraints.txt, the nbval sanitize file, CI and
the committed notebooks consistent with each other.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MAX_NOTEBOOK_BYTES = 1_500_000
NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def norm(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = NAME_RE.match(requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return norm(match.group(1))


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ (a) environment.yml


def parse_environment_yml(text: str) -> tuple[list[str], list[str]]:
    """(conda dependencies, pip dependencies) of a simple environment.yml, without PyYAML."""
    conda, pip = [], []
    in_deps = False
    pip_indent = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_deps = line.startswith("dependencies:")
            continue
        if not in_deps:
            continue
        item = line.strip()
        assert item.startswith("- "), f"unexpected line in dependencies: {raw!r}"
        item = item[2:].strip()
        if pip_indent is not None and indent > pip_indent:
            pip.append(item)
            continue
        pip_indent = None
        if item == "pip:":
            pip_indent = indent
        else:
            conda.append(item)
    return conda, pip


def conda_name(spec: str) -> str:
    return norm(re.split(r"[=<>!~ ]", spec, maxsplit=1)[0])


def test_parse_environment_yml_helper():
    conda, pip = parse_environment_yml(
        "name: x\ndependencies:\n  - python=3.11\n  - numpy>=1.26  # c\n  - pip:\n      - -e .\n"
    )
    assert conda == ["python=3.11", "numpy>=1.26"]
    assert pip == ["-e ."]


def test_environment_yml_matches_pyproject(pyproject):
    conda, pip = parse_environment_yml((ROOT / "environment.yml").read_text(encoding="utf-8"))
    env_names = {conda_name(spec) for spec in conda} - {"python", "pip"}

    project = pyproject["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["test"] + extras["lab"]
    py_names = {requirement_name(req) for req in wanted} - {"python", "pip", "tomli"}

    assert env_names == py_names, (
        f"only in environment.yml: {sorted(env_names - py_names)}; "
        f"only in pyproject (runtime+test+lab): {sorted(py_names - env_names)}"
    )
    assert "-e ." in pip, "environment.yml must install the package itself with `- pip: [-e .]`"


def test_environment_yml_pins_python_for_binder(pyproject):
    conda, _ = parse_environment_yml((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pythons = [spec for spec in conda if conda_name(spec) == "python"]
    assert len(pythons) == 1, f"expected exactly one python entry, got {pythons}"
    match = re.fullmatch(r"python=(3)\.(\d+)", pythons[0])
    assert match, f"Binder needs `python=X.Y`, got {pythons[0]!r}"
    minimum = re.fullmatch(r">=\s*3\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum, "requires-python should be of the form >=3.N"
    assert int(match.group(2)) >= int(minimum.group(1))
    assert f"3.{match.group(2)}" in SUPPORTED_PYTHONS


def test_pytest_addopts_do_not_enable_nbval(pyproject):
    options = pyproject["tool"]["pytest"]["ini_options"]
    addopts = options.get("addopts", [])
    addopts = " ".join(addopts) if isinstance(addopts, list) else addopts
    assert "nbval" not in addopts
    assert options["testpaths"] == ["tests"]


# --------------------------------------------------------------- (b) nbval sanitize file

SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"


def nbval_sanitize(text: str, patterns) -> str:
    """Apply patterns exactly as nbval's IPyNbCell.sanitize does (ordered re.sub)."""
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


@pytest.fixture(scope="module")
def sanitize_patterns():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="utf-8"))
    assert patterns, "nbval found no regex/replace pairs in the sanitize file"
    return patterns


def test_sanitize_every_section_has_regex_and_replace():
    from nbval.plugin import get_sanitize_patterns

    text = SANITIZE_CFG.read_text(encoding="utf-8")
    sections = re.split(r"^\[[^\]\n]+\]\s*$", text, flags=re.MULTILINE)
    header, bodies = sections[0], sections[1:]
    assert bodies, "no [section] in the sanitize file"
    assert not get_sanitize_patterns(header), "patterns before the first [section]"
    for body in bodies:
        body_lines = [ln for ln in body.splitlines() if ln.strip() and not ln.startswith("#")]
        pairs = get_sanitize_patterns(body)
        assert len(pairs) == 1 and len(body_lines) == 2, f"section needs regex+replace: {body!r}"
        regex, replace = pairs[0]
        assert regex == regex.strip() and replace == replace.rstrip(), "stray whitespace"
        re.compile(regex)


def test_sanitize_figure_repr(sanitize_patterns):
    for fig in ("<Figure size 640x480 with 1 Axes>", "<Figure size 1000x412.5 with 2 Axes>"):
        assert nbval_sanitize(fig, sanitize_patterns) == "<Figure>"


def test_sanitize_memory_addresses(sanitize_patterns):
    a = nbval_sanitize("<function f at 0x7f3a2b1c9d30>", sanitize_patterns)
    b = nbval_sanitize("<function f at 0x7ffe00aa1234>", sanitize_patterns)
    assert a == b == "<function f at 0xADDRESS>"


def test_sanitize_matplotlib_object_reprs(sanitize_patterns):
    for one, two in [
        ("[<matplotlib.lines.Line2D at 0x7f01>]", "[<matplotlib.lines.Line2D at 0x7fab2>]"),
        (
            "<matplotlib.collections.PathCollection object at 0x7f3a2b1c9d30>",
            "<matplotlib.collections.PathCollection object at 0x55d1c0ffee00>",
        ),
    ]:
        clean = nbval_sanitize(one, sanitize_patterns)
        assert clean == nbval_sanitize(two, sanitize_patterns)
        assert "0x7f" not in clean and "matplotlib." in clean


def test_sanitize_leaves_ordinary_text_alone(sanitize_patterns):
    text = "loss 0.1234 after 10 epochs; Figure 1 shows attention"
    assert nbval_sanitize(text, sanitize_patterns) == text


# ------------------------------------------------------------ (c) committed notebooks


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_executed(path: Path):
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is >= 1.5 MB"
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []

    counts = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if not _source(cell).strip():
            if cell.get("execution_count") is not None or cell.get("outputs"):
                problems.append(f"cell {index}: empty code cell with a count or outputs")
            continue
        counts.append(cell.get("execution_count"))
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error" and "raises-exception" not in tags:
                problems.append(f"cell {index}: error output {output.get('ename')}")
            if kind == "stream" and output.get("name") == "stderr":
                problems.append(f"cell {index}: stderr output")
            if "image/svg+xml" in output.get("data", {}):
                problems.append(f"cell {index}: image/svg+xml output")
        if "execution" in cell.get("metadata", {}):
            problems.append(f"cell {index}: execution timings in metadata")

    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts are {counts}, expected 1..{len(counts)} in order")
    if nb.get("metadata", {}).get("kernelspec") != KERNELSPEC:
        problems.append(f"kernelspec is {nb.get('metadata', {}).get('kernelspec')}")
    if "version" in nb.get("metadata", {}).get("language_info", {}):
        problems.append("language_info.version is not stripped")

    assert not problems, f"{path.name} (re-run `make notebooks`):\n" + "\n".join(problems)


# ----------------------------------------------------------------- (d) constraints.txt

PIN_RE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][A-Za-z0-9.+!-]*)"
    r"(?:\s*;\s*(?P<marker>.+))?$"
)


@pytest.fixture(scope="module")
def constraints() -> list[tuple[str, str, str | None]]:
    pins = []
    for raw in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN_RE.match(line)
        assert match, f"not an exact `pkg==x.y.z` pin: {raw!r}"
        pins.append((norm(match["name"]), match["version"], match["marker"]))
    return pins


def test_constraints_pin_core_packages(constraints):
    names = {name for name, _, _ in constraints}
    for needed in ("numpy", "matplotlib", "networkx", "nbval", "pytest", "jupyterlab"):
        assert needed in names, f"{needed} is not pinned in constraints.txt"
    for banned in ("gnnformer-lite", "pip", "setuptools"):
        assert banned not in names, f"{banned} must not be pinned"


def test_constraints_cover_direct_dependencies(constraints, pyproject):
    names = {name for name, _, _ in constraints}
    project = pyproject["project"]
    extras = project["optional-dependencies"]
    direct = {requirement_name(r) for r in project["dependencies"] + extras["test"] + extras["lab"]}
    assert direct <= names, f"not pinned: {sorted(direct - names)}"


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_constraints_markers_are_consistent(constraints, python):
    """On every supported Python each core package has exactly one applicable pin."""
    from packaging.markers import Marker

    env = {"python_version": python, "python_full_version": f"{python}.0"}
    applicable: dict[str, list[str]] = {}
    for name, version, marker in constraints:
        if marker is None or Marker(marker).evaluate(env):
            applicable.setdefault(name, []).append(version)
    clashes = {name: versions for name, versions in applicable.items() if len(versions) > 1}
    assert not clashes, f"Python {python}: several pins apply: {clashes}"
    for needed in ("numpy", "matplotlib", "networkx", "nbval", "ipykernel"):
        assert needed in applicable, f"Python {python}: no pin of {needed} applies"


# ------------------------------------------------------------------------ (e) CI script


def test_ci_runs_make_test():
    ci = ROOT / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert text.startswith("#!") and "bash" in text.splitlines()[0]
    assert "set -euo pipefail" in lines
    assert "make test" in lines, ".ci/run must call `make test`"
    assert os.access(ci, os.X_OK), ".ci/run must be executable"


def test_ci_runs_the_reference_tests_after_make_test():
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert "make test-reference" in lines, ".ci/run must call `make test-reference`"
    assert lines.index("make test") < lines.index("make test-reference")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "GNNFORMER_REQUIRE_TORCH=1" in makefile and "tests/test_torch_*.py" in makefile


# ------------------------------------------------------------------------ (f) README


def test_readme_quick_start_mentions_make_lab_and_make_test():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md needs a `## Quick start` section"
    block = re.search(r"```[a-z]*\n(.*?)```", match.group(1), flags=re.DOTALL)
    assert block, "the Quick start section needs a code block with the commands"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make lab", "make test"], commands


def test_readme_course_table_links_every_notebook():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    course = re.search(r"^## The course\s*$(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert course, "README.md needs a `## The course` section"
    linked = set(re.findall(r"\((notebooks/[^)]+\.ipynb)\)", course.group(1)))
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk, "no notebooks found"
    assert linked == on_disk, f"README links {sorted(linked)} but notebooks/ has {sorted(on_disk)}"
