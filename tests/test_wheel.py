"""The package as a user gets it: build it, check it, install the wheel in a clean venv.

Slow (a build in an isolated environment, a fresh venv, pip installs), so it runs only in
``make test-package`` (which sets ``GNNFORMER_TEST_PACKAGE=1`` and installs the ``package``
extra: build, twine). ``make test`` skips it.

- ``python -m build`` makes an sdist and, from the unpacked sdist, a wheel (so the sdist
  holds everything the build needs);
- ``twine check --strict`` accepts both (the README renders as the long description);
- the wheel's metadata (name, version, license, authors, URLs, classifiers, dependencies)
  matches pyproject.toml; the wheel holds only ``gnnformer_lite/``, the sdist the whole course;
- in a clean venv with only the wheel (and its dependencies at the pinned versions), the
  code cells of notebooks/00_quickstart.ipynb print exactly the notebook's committed outputs,
  and ``gl.__version__`` == the wheel's version == ``importlib.metadata.version``.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "notebooks" / "00_quickstart.ipynb"

pytestmark = pytest.mark.skipif(
    os.environ.get("GNNFORMER_TEST_PACKAGE") != "1",
    reason="builds the package and a venv: run `make test-package`",
)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    """Run ``cmd``; on failure show its output in the assertion message."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def source_version() -> str:
    text = (ROOT / "gnnformer_lite" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"$', text, flags=re.MULTILINE).group(1)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="module")
def metadata(dist) -> email.message.Message:
    with zipfile.ZipFile(dist["wheel"]) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(whl.read(name).decode("utf-8"))


def test_twine_check_strict(dist):
    proc = run([sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"]])
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_one_version_everywhere(dist, metadata, source_version):
    assert dist["wheel"].name.startswith(f"gnnformer_lite-{source_version}-py3-none-any")
    assert dist["sdist"].name == f"gnnformer_lite-{source_version}.tar.gz"
    assert metadata["Version"] == source_version


def test_wheel_metadata_matches_pyproject(metadata, pyproject):
    assert metadata["Name"] == pyproject["name"]
    assert metadata["Summary"] == pyproject["description"]
    assert metadata["Requires-Python"] == pyproject["requires-python"]
    assert metadata["License-Expression"] == pyproject["license"]
    assert metadata.get_all("License-File") == pyproject["license-files"]
    assert pyproject["authors"][0]["name"] in metadata["Author"]
    urls = [f"{label}, {url}" for label, url in pyproject["urls"].items()]
    assert metadata.get_all("Project-URL") == urls
    assert metadata.get_all("Classifier") == pyproject["classifiers"]
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {minor}" in metadata.get_all("Classifier")
    runtime = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert runtime == pyproject["dependencies"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert metadata.get_payload().strip() == readme.strip()


def test_wheel_holds_only_the_package(dist, source_version):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = whl.namelist()
    info = f"gnnformer_lite-{source_version}.dist-info/"
    assert all(n.startswith(("gnnformer_lite/", info)) for n in names), sorted(names)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gnnformer_lite").rglob("*.py")}
    assert modules == {n for n in names if n.startswith("gnnformer_lite/")}
    assert f"{info}licenses/LICENSE" in names


def test_sdist_holds_the_course(dist, source_version):
    """Every file tracked by git is in the sdist (a new top-level folder needs MANIFEST.in)."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    tracked = run(["git", "ls-files"], cwd=ROOT).stdout.splitlines()
    expected = {f for f in tracked if f != ".gitignore" and (ROOT / f).exists()}
    prefix = f"gnnformer_lite-{source_version}/"
    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.name.removeprefix(prefix) for m in sdist.getmembers() if m.isfile()}
    missing = sorted(expected - members)
    assert not missing, f"not in the sdist (add them to MANIFEST.in): {missing}"
    junk = sorted(m for m in members if "__pycache__" in m or ".ipynb_checkpoints" in m)
    assert not junk, junk


def quickstart_code_and_outputs() -> tuple[str, str, list[str]]:
    """The quick start's code cells as one script, its committed stdout, its figure reprs."""
    nb = json.loads(QUICKSTART.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code = "\n\n".join("".join(c["source"]) for c in cells)
    outputs = [o for c in cells for o in c["outputs"]]
    stdout = "".join(
        "".join(o["text"])
        for o in outputs
        if o["output_type"] == "stream" and o["name"] == "stdout"
    )
    figures = [
        "".join(o["data"]["text/plain"]) for o in outputs if "image/png" in o.get("data", {})
    ]
    return code, stdout, figures


def test_quickstart_runs_from_the_wheel_in_a_clean_venv(dist, tmp_path, source_version):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    py = venv / "bin" / "python"
    pip = [py, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    run([*pip, "-c", ROOT / "constraints.txt", dist["wheel"]])

    code, stdout, figures = quickstart_code_and_outputs()
    # A script has no inline backend: the figures stay open, and their reprs are printed last.
    code += "\n\nfor num in plt.get_fignums():\n    print(repr(plt.figure(num)))\n"
    script = tmp_path / "quickstart.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)
    ignore_show = "ignore:FigureCanvasAgg is non-interactive:UserWarning"  # plt.show() on Agg
    proc = run([py, "-W", "error", "-W", ignore_show, script], cwd=tmp_path, env=env)
    assert proc.stderr == ""
    printed = proc.stdout.splitlines(keepends=True)
    assert "".join(printed[: len(printed) - len(figures)]) == stdout
    assert [line.strip() for line in printed[len(printed) - len(figures) :]] == figures

    check = (
        "import importlib.metadata, pathlib, gnnformer_lite as gl; "
        "print(gl.__version__, importlib.metadata.version('gnnformer-lite'), "
        "pathlib.Path(gl.__file__).resolve().parent)"
    )
    version, installed, where = run([py, "-c", check], cwd=tmp_path, env=env).stdout.split()
    assert version == installed == source_version
    assert Path(where).is_relative_to(venv.resolve()), f"imported from {where}, not the venv"
