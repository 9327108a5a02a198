"""The repository around the package: environments, pins, committed notebooks, the commands.

Not tests of gnnformer_lite (those mirror its modules) but of what a contributor, Binder and CI
rely on, each checked by its behaviour where there is one:

(a) environment.yml (conda, Binder) agrees with pyproject.toml and follows repo2docker's rules;
(b) the constraints files pin what pyproject.toml declares (the oldest file its lower bounds);
(c) every notebook is committed executed, and nbval's sanitize file hides what varies;
(d) plain ``pytest`` runs the unit tests, not tests/course (``make test-course``);
(e) the Makefile (``make help``, ``make -n``: the commands it would run), the scripts it calls
    (run on temporary directories, with fake interpreters, apt-get and make) and .ci/run;
(f) the README's quick start and Binder badge.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MAX_NOTEBOOK_BYTES = 1_500_000


def norm(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def course_requirements(project: dict) -> list[Requirement]:
    """What `make setup` and Binder install: the runtime, [test] and [lab] requirements."""
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in project["dependencies"] + extras["test"] + extras["lab"]]


# ---------------------------------------------------------------- (a) environment.yml


@pytest.fixture(scope="module")
def environment_yml() -> dict:
    import yaml  # jupytext's dependency, so in every test environment

    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def test_environment_yml_matches_pyproject(environment_yml, project):
    """The same packages with the same version bounds; the package itself from `pip -e .`."""
    conda = {}
    for spec in environment_yml["dependencies"]:
        if isinstance(spec, str):
            name = norm(re.split(r"[=<>!~ ]", spec, maxsplit=1)[0])
            conda[name] = spec.replace(" ", "")
    wanted = {}
    for req in course_requirements(project):
        if req.marker is None:  # e.g. tomli on Python 3.10: not on Binder's Python
            wanted[norm(req.name)] = norm(req.name) + ",".join(sorted(map(str, req.specifier)))
    listed = {name: spec for name, spec in conda.items() if name not in ("python", "pip")}
    assert listed == wanted, "environment.yml and pyproject.toml (runtime + test + lab) differ"


# Binder builds the repository with repo2docker's conda buildpack. Its rules, as in
# repo2docker/buildpacks/conda/__init__.py and repo2docker/utils.py:
# * configuration is read from binder/ or .binder/ if either exists, else from the root;
# * the file is exactly `environment.yml`, a YAML mapping;
# * the Python version is the first string dependency matching PYTHON_REGEX, cut to X.Y,
#   and must be one repo2docker ships a base environment for;
# * it runs `mamba env update -p <prefix> --file environment.yml`: `name` is not used there;
# * a pip line referring to a local path (`-e .`) makes it install the environment after
#   copying the repository (not before), so `-e .` finds pyproject.toml.
R2D_PYTHON_REGEX = re.compile(r"python\s*=+\s*([\d\.]*)")
R2D_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def test_environment_yml_builds_on_binder(environment_yml, project):
    for folder in ("binder", ".binder"):
        assert not (ROOT / folder).exists(), f"{folder}/ would hide the root environment.yml"
    assert not (ROOT / "environment.yaml").exists(), "repo2docker reads only environment.yml"
    env = environment_yml
    assert isinstance(env, dict), "environment.yml must be a mapping"
    assert set(env) <= {"name", "channels", "dependencies"}, sorted(env)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", env["name"]), env["name"]
    assert env["channels"] == ["conda-forge"]

    strings = [d for d in env["dependencies"] if isinstance(d, str)]
    mappings = [d for d in env["dependencies"] if not isinstance(d, str)]
    pythons = [d for d in strings if R2D_PYTHON_REGEX.match(d)]
    assert len(pythons) == 1 and re.fullmatch(r"python=3\.\d+", pythons[0]), pythons
    version = ".".join(R2D_PYTHON_REGEX.match(pythons[0]).group(1).split(".")[:2])
    assert version in R2D_PYTHONS and version in SUPPORTED_PYTHONS, version
    assert Version(version) in Requirement(f"x{project['requires-python']}").specifier

    # One `- pip:` section holding only the local package (installed after the copy).
    assert mappings == [{"pip": ["-e ."]}], mappings
    assert "pip" in strings, "list `pip` itself as a conda dependency when using `- pip:`"


# ------------------------------------------------------------- (b) the constraints files

PIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][A-Za-z0-9.+!-]*(\s*;\s*.+)?$")


def pins(name: str) -> dict[str, list[Requirement]]:
    """``{name: [requirement, ...]}`` of a constraints file (several when markers differ)."""
    found: dict[str, list[Requirement]] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert PIN_RE.match(line.strip()), f"{name}: not an exact `pkg==x.y.z` pin: {line!r}"
            req = Requirement(line)
            found.setdefault(norm(req.name), []).append(req)
    return found


def exact(req: Requirement) -> Version:
    (spec,) = req.specifier
    assert spec.operator == "==", f"{req} is not an exact pin"
    return Version(spec.version)


def test_constraints_pin_every_direct_dependency(project):
    main = pins("constraints.txt")
    direct = {norm(req.name) for req in course_requirements(project)}
    assert direct <= set(main), f"not pinned in constraints.txt: {sorted(direct - set(main))}"
    for banned in ("gnnformer-lite", "pip", "setuptools"):
        assert banned not in main, f"{banned} must not be pinned"


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_constraints_markers_are_consistent(python):
    """On every supported Python each package has exactly one applicable pin."""
    env = {"python_version": python, "python_full_version": f"{python}.0"}
    applicable = {
        name: [req for req in reqs if req.marker is None or req.marker.evaluate(env)]
        for name, reqs in pins("constraints.txt").items()
    }
    clashes = {name: [str(r) for r in reqs] for name, reqs in applicable.items() if len(reqs) > 1}
    assert not clashes, f"Python {python}: several pins apply: {clashes}"
    for needed in ("numpy", "matplotlib", "networkx", "nbval", "ipykernel"):
        assert applicable[needed], f"Python {python}: no pin of {needed} applies"


@pytest.mark.parametrize(
    ("name", "extra"), [("constraints-site.txt", "site"), ("constraints-package.txt", "package")]
)
def test_extra_constraints_pin_their_extra_once(project, name, extra):
    """An extra's file pins it and what it pulls in, nothing constraints.txt already pins."""
    found, main = pins(name), pins("constraints.txt")
    for reqs in found.values():
        assert len(reqs) == 1 and reqs[0].marker is None, reqs
        exact(reqs[0])
    wanted = {norm(Requirement(r).name) for r in project["optional-dependencies"][extra]}
    assert wanted <= set(found), f"not pinned in {name}: {sorted(wanted - set(found))}"
    both = sorted(set(found) & set(main))
    assert not both, f"pinned in constraints.txt and {name}: {both}"


def test_oldest_pins_the_declared_lower_bounds(project):
    """constraints-oldest.txt (`make test-oldest`): one Python 3.10 environment, no markers,
    each runtime dependency at exactly the lower bound pyproject.toml declares."""
    oldest = pins("constraints-oldest.txt")
    for name, reqs in oldest.items():
        assert len(reqs) == 1 and reqs[0].marker is None, f"{name}: one plain pin, no markers"
        exact(reqs[0])
    for dependency in project["dependencies"]:
        req = Requirement(dependency)
        (spec,) = req.specifier
        assert spec.operator == ">=", f"{dependency}: declare a lower bound name>=X"
        (pin,) = oldest[norm(req.name)]
        assert exact(pin) == Version(spec.version), (
            f"constraints-oldest.txt pins {pin} but pyproject.toml declares {dependency}: "
            f"run `make constraints-oldest`"
        )
    for needed in ("pytest", "nbval", "ipykernel", "hypothesis", "tomli"):
        assert needed in oldest, f"{needed} is not pinned in constraints-oldest.txt"
    for banned in ("gnnformer-lite", "pip", "setuptools"):
        assert banned not in oldest
    header = (ROOT / "constraints-oldest.txt").read_text(encoding="utf-8").splitlines()[:8]
    assert any(re.search(r"made with 3\.10\.\d+", line) for line in header), header


# -------------------------------------------- (c) committed notebooks, the sanitize file


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


SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"


def test_sanitize_file_is_regex_replace_pairs():
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


def test_sanitize_hides_what_changes_between_runs():
    """Applied as nbval's IPyNbCell.sanitize does (ordered re.sub): figure sizes and memory
    addresses vanish, ordinary text stays."""
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="utf-8"))

    def sanitize(text: str) -> str:
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    for figure in ("<Figure size 640x480 with 1 Axes>", "<Figure size 1000x412.5 with 2 Axes>"):
        assert sanitize(figure) == "<Figure>"
    for function in ("<function f at 0x7f3a2b1c9d30>", "<function f at 0x7ffe00aa1234>"):
        assert sanitize(function) == "<function f at 0xADDRESS>"
    for one, two in [
        ("[<matplotlib.lines.Line2D at 0x7f01>]", "[<matplotlib.lines.Line2D at 0x7fab2>]"),
        (
            "<matplotlib.collections.PathCollection object at 0x7f3a2b1c9d30>",
            "<matplotlib.collections.PathCollection object at 0x55d1c0ffee00>",
        ),
    ]:
        assert sanitize(one) == sanitize(two)
        assert "0x7f" not in sanitize(one) and "matplotlib." in sanitize(one)
    text = "loss 0.1234 after 10 epochs; Figure 1 shows attention"
    assert sanitize(text) == text


# ------------------------------------------------- (d) what plain `pytest` collects


def collect(where: Path, *args: str) -> list[str]:
    """The test ids ``pytest --collect-only ARGS`` finds in ``where`` (no plugins: nbval's
    import alone takes a second)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=where,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: nothing collected
    return [line for line in proc.stdout.splitlines() if "::" in line]


def test_plain_pytest_runs_the_unit_tests_only(tmp_path):
    """With this pyproject.toml, `pytest` (and `make test`'s unit stage) runs tests/ but not
    tests/course, which runs when named (`make test-course`); and a run on notebooks/ (`make
    test`'s nbval stage) skips JupyterLab's copies in notebooks/.ipynb_checkpoints/."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    files = [
        "tests/test_unit.py",
        "tests/course/test_slow.py",
        "notebooks/test_nb.py",
        "notebooks/.ipynb_checkpoints/test_nb_checkpoint.py",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("def test_it():\n    pass\n")

    assert collect(tmp_path) == ["tests/test_unit.py::test_it"]
    assert collect(tmp_path, "tests/course") == ["tests/course/test_slow.py::test_it"]
    assert collect(tmp_path, "notebooks/") == ["notebooks/test_nb.py::test_it"]


# ------------------------------------------- (e) the Makefile, its scripts and .ci/run

needs_make = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("bash") is None, reason="needs make and bash"
)
# A `make test` that runs these tests must not hand its flags and settings to the makes below.
SETTINGS = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHON", "NB", "LAB_ARGS"}
SETTINGS |= {"TORCH_PIP_ARGS", "COV_FAIL_UNDER", "NBVAL_CELL_TIMEOUT", "PY310", "PY313"}
SETTINGS |= {"CHROMIUM", "TORCH_VERSION", "PYG_VERSION"}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {**env, **extra}


def run(cmd: list, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        check=False,
    )


def dry_run(*args: str, env: dict | None = None) -> list[list[str]]:
    """The commands `make ARGS` would run, every file taken as out of date (`-n -B`), without
    the `touch` of the venvs' stamp files."""
    proc = run(["make", "--no-print-directory", "-n", "-B", *args], env=env)
    assert proc.returncode == 0, proc.stderr
    commands = [shlex.split(line) for line in proc.stdout.replace("\\\n", " ").splitlines()]
    return [command for command in commands if command and command[0] != "touch"]


def stages(command: list[str]) -> tuple[str, str, dict[str, list[str]]]:
    """(target, venv, {stage: argv}) of a `scripts/stages.sh TARGET VENV STAGE CMD ...` call."""
    assert command[0] == "scripts/stages.sh", command
    target, venv, *pairs = command[1:]
    return target, venv, {pairs[k]: shlex.split(pairs[k + 1]) for k in range(0, len(pairs), 2)}


def fake(path: Path, script: str) -> Path:
    """An executable bash script at ``path`` (a stand-in for python, apt-get, make, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(script), encoding="utf-8")
    path.chmod(0o755)
    return path


@needs_make
def test_make_help_describes_every_target():
    database = run(["make", "-pq", "help"]).stdout
    (phony,) = [ln for ln in database.splitlines() if ln.startswith(".PHONY:")]
    listed = {}
    for line in run(["make", "-s", "help"]).stdout.splitlines():
        match = re.fullmatch(r"  make (\S+) +(\S.*)", line)
        assert match, f"`make help` line without a description: {line!r}"
        listed[match.group(1)] = match.group(2)
    assert sorted(listed) == sorted(phony.split()[1:]), "every command has one help line"
    assert run(["make", "-s"]).stdout == run(["make", "-s", "help"]).stdout, "the default goal"

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `make ([a-z0-9-]+)", readme, flags=re.MULTILINE))
    assert documented and documented <= set(listed), sorted(documented - set(listed))


@needs_make
def test_make_test_runs_four_stages_in_dot_venv():
    commands = dry_run("test", "COV_FAIL_UNDER=90", "NBVAL_CELL_TIMEOUT=7")
    assert commands[0][:3] == ["scripts/venv.sh", ".venv", "python3"], "setup comes first"
    target, venv, run_stages = stages(commands[-1])
    assert (target, venv) == ("test", ".venv")
    assert list(run_stages) == ["lint", "format", "unit tests", "notebooks"]
    assert run_stages["lint"] == ["ruff", "check", "."]
    assert run_stages["format"] == ["ruff", "format", "--check", "."]
    unit, notebooks = run_stages["unit tests"], run_stages["notebooks"]
    assert unit[:4] == ["PYTHONHASHSEED=0", "python", "-m", "pytest"]
    assert "--cov=gnnformer_lite" in unit and "--cov-fail-under=90" in unit
    assert not [a for a in unit if a.startswith(("tests", "notebooks"))], "pyproject's testpaths"
    assert notebooks[:3] == ["env", "-u", "MPLBACKEND"], "the inline backend in the kernel"
    assert {"--nbval", "--nbval-cell-timeout=7", "tests/nbval_sanitize.cfg"} <= set(notebooks)
    assert notebooks[-1] == "notebooks/"


@needs_make
def test_the_other_test_targets_run_their_tests_after_their_installs():
    setup, course = dry_run("test-course")
    assert setup[:2] == ["scripts/venv.sh", ".venv"]
    (command,) = stages(course)[2].values()
    assert command[-1] == "tests/course"

    _, torch, reference = dry_run("test-reference", "TORCH_PIP_ARGS=--index-url x")
    assert torch == ["scripts/install_torch.sh", ".venv", "--index-url", "x"]
    (command,) = stages(reference)[2].values()
    assert "GNNFORMER_REQUIRE_TORCH=1" in command and command[-1] == "tests/test_torch_*.py"
    assert list(ROOT.glob("tests/test_torch_*.py")), "the reference stage would find no file"

    *install, chromium, site = dry_run("test-site")
    assert any(
        c[:2] == ["scripts/venv.sh", "--min-python"] and "test,lab,site" in c for c in install
    )
    assert chromium == ["scripts/install_chromium.sh"]
    (command,) = stages(site)[2].values()
    assert "GNNFORMER_SITE_TEST=1" in command and command[-1] == "tests/test_site.py"

    *install, package = dry_run("test-package")
    assert any("test,lab,package" in c and "constraints-package.txt" in c for c in install)
    (command,) = stages(package)[2].values()
    assert "GNNFORMER_TEST_PACKAGE=1" in command and command[-1] == "tests/test_wheel.py"


@needs_make
def test_matrix_targets_use_their_interpreter_and_pins():
    for target, venv, python, constraints in [
        ("test-oldest", ".venv-oldest", "PY310", "constraints-oldest.txt"),
        ("test-py313", ".venv-py313", "PY313", "constraints.txt"),
    ]:
        install, test = dry_run(target, f"{python}=/opt/python")
        assert install == ["scripts/venv.sh", "--fresh", venv, "/opt/python", "test", constraints]
        name, where, run_stages = stages(test)
        assert (name, where, list(run_stages)) == (target, venv, ["unit tests", "notebooks"])
        assert "--nbval" in run_stages["notebooks"]


@needs_make
def test_settings_reach_the_commands(tmp_path):
    commands = dry_run("notebooks", "lab", "NB=notebooks/00_quickstart.ipynb", "LAB_ARGS=--port 1")
    assert [
        ".venv/bin/python",
        "scripts/run_notebooks.py",
        "notebooks/00_quickstart.ipynb",
    ] in commands
    (lab,) = [c for c in commands if c[0] == ".venv/bin/jupyter"]
    assert lab[-2:] == ["--port", "1"]
    assert ("--allow-root" in lab) == (os.geteuid() == 0), "only root needs --allow-root"

    fake(tmp_path / "bin" / "id", "echo 1000\n")  # `id -u` says: not root
    env = clean_env(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    (lab,) = [c for c in dry_run("lab", env=env) if c[0] == ".venv/bin/jupyter"]
    assert "--allow-root" not in lab


@needs_make
def test_setup_reinstalls_only_when_the_pins_change(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    stamp = venv / ".installed"
    stamp.touch()
    up_to_date = run(["make", "-n", "setup", f"VENV={venv}"])
    assert "scripts/venv.sh" not in up_to_date.stdout, up_to_date.stdout
    os.utime(stamp, (0, 0))  # older than pyproject.toml and constraints.txt
    stale = run(["make", "-n", "setup", f"VENV={venv}"])
    assert f"scripts/venv.sh {venv} python3 test,lab constraints.txt" in stale.stdout


@pytest.fixture
def venv_dir(tmp_path) -> Path:
    """A stand-in venv whose `python` is the interpreter running these tests."""
    fake(tmp_path / "venv" / "bin" / "python", f'exec {shlex.quote(sys.executable)} "$@"\n')
    return tmp_path / "venv"


def test_stages_name_the_stage_that_failed(venv_dir):
    proc = run(
        [ROOT / "scripts" / "stages.sh", "demo", venv_dir]
        + ["first", "command -v python", "second", "echo broken; exit 3", "third", "echo never"]
    )
    assert proc.returncode == 3
    assert "==> make demo in " in proc.stdout and "Python" in proc.stdout
    assert "==> make demo: [1/3 first] command -v python" in proc.stdout
    assert f"{venv_dir}/bin/python\n" in proc.stdout, "stages run with the venv's bin/ first"
    assert "==> make demo: [2/3 second] echo broken; exit 3\nbroken\n" in proc.stdout
    assert "*** make demo: stage [2/3 second] FAILED (exit 3)" in proc.stderr
    assert "[3/3 third]" not in proc.stdout, "the run stops at the failed stage"

    passed = run([ROOT / "scripts" / "stages.sh", "demo", venv_dir, "only", "true"])
    assert passed.returncode == 0 and "==> make demo: all stages passed" in passed.stdout
    missing = run([ROOT / "scripts" / "stages.sh", "demo", venv_dir / "nowhere", "only", "true"])
    assert missing.returncode == 1 and "make setup" in missing.stderr


def test_venv_script_says_what_is_missing(tmp_path):
    venv_sh = ROOT / "scripts" / "venv.sh"
    target = tmp_path / "venv"

    no_python = run([venv_sh, target, "no-such-python3", "test", "constraints.txt"])
    assert no_python.returncode == 1
    assert "no-such-python3 not found: install Python 3.10-3.13" in no_python.stderr

    no_interpreter = run([venv_sh, "--fresh", target, "", "test", "constraints.txt"])
    assert no_interpreter.returncode == 1 and "no Python interpreter for" in no_interpreter.stderr

    # A Python without its venv module (Debian's python3 without python3-venv).
    python = fake(
        tmp_path / "bin" / "python3",
        """\
        case $1 in
            --version) echo Python 3.11.0 ;;
            -m) echo "No module named venv" >&2; exit 1 ;;
        esac
        """,
    )
    no_venv = run([venv_sh, target, python, "test", "constraints.txt"])
    assert no_venv.returncode == 1
    assert "sudo apt install python3-venv" in no_venv.stderr
    assert not target.exists(), "a half-made venv is removed"

    usage = run([venv_sh, target, python])
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_venv_script_keeps_a_working_venv_and_checks_its_python(tmp_path):
    """An existing venv whose pip works is not re-created; --min-python refuses an old one."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    fake(
        venv / "bin" / "python",
        """\
        case $1 in
            --version) echo Python 3.10.0 ;;
            -m) exit 0 ;;  # pip --version: pip works
            -c) exit 1 ;;  # sys.exit(sys.version_info < (3, 11)): it is older
        esac
        """,
    )
    proc = run([ROOT / "scripts" / "venv.sh", "--min-python", "3.11", venv, "python3", "site", "x"])
    assert proc.returncode == 1
    assert "has Python 3.10.0, this needs Python >= 3.11" in proc.stderr
    assert "make clean setup PYTHON=python3.11" in proc.stderr
    assert "creating" not in proc.stdout and (venv / "bin" / "python").exists()


def test_find_python_finds_an_interpreter_by_version(tmp_path):
    fake(tmp_path / "bin" / "python3.97", "exit 0\n")
    fake(tmp_path / "bin" / "python3.98", "exit 1\n")  # a pyenv shim of a missing version
    env = clean_env(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}", HOME=str(tmp_path))
    found = run([ROOT / "scripts" / "find_python.sh", "3.97"], env=env)
    assert (found.returncode, found.stdout) == (0, f"{tmp_path}/bin/python3.97\n")
    missing = run([ROOT / "scripts" / "find_python.sh", "3.98"], env=env)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "no working Python 3.98" in missing.stderr


def test_install_chromium_installs_only_when_missing_and_root(tmp_path):
    log = tmp_path / "apt.log"
    fake(tmp_path / "bin" / "id", 'echo "$FAKE_UID"\n')
    fake(tmp_path / "bin" / "apt-get", f'echo "$*" >> {log}\n')  # installs nothing
    browser = fake(tmp_path / "chromium", "exit 0\n")
    env = clean_env(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}", FAKE_UID="0")
    script = ROOT / "scripts" / "install_chromium.sh"

    there = run([script], env={**env, "CHROMIUM": str(browser)})
    assert there.returncode == 0 and str(browser) in there.stdout
    assert not log.exists(), "no apt-get when chromium is there"

    user = run([script], env={**env, "CHROMIUM": f"{tmp_path}/none", "FAKE_UID": "1000"})
    assert user.returncode == 1 and "sudo apt-get install chromium" in user.stderr
    assert not log.exists(), "no apt-get when not root"

    root = run([script], env={**env, "CHROMIUM": f"{tmp_path}/none"})
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert root.returncode == 1 and "not at" in root.stderr  # the fake apt-get installed nothing


def test_install_torch_pins_torch_and_pyg(tmp_path):
    """The pins (TORCH_VERSION / PYG_VERSION override them), TORCH_PIP_ARGS for torch only,
    PyG's dependencies held by constraints.txt, and the CPU index when the plain install fails."""
    script = ROOT / "scripts" / "install_torch.sh"
    env = clean_env(TORCH_VERSION="9.9", PYG_VERSION="8.8")
    torch = "-m pip install --quiet torch==9.9"
    cpu = f"{torch} --index-url https://download.pytorch.org/whl/cpu"
    pyg = "-m pip install --quiet --constraint constraints.txt torch_geometric==8.8"
    fail = '[[ "$*" == *torch==* && "$*" != *--index-url* ]] && exit 1\n'
    runs = {False: [f"{torch} --pre", pyg], True: [f"{torch} --pre", cpu, pyg]}
    for plain_install_fails, pip_calls in runs.items():
        log = tmp_path / f"pip-{plain_install_fails}.log"
        python = f'echo "$*" >> {log}\n' + (fail if plain_install_fails else "") + "exit 0\n"
        fake(tmp_path / "venv" / "bin" / "python", python)
        proc = run([script, tmp_path / "venv", "--pre"], env=env)
        assert proc.returncode == 0, proc.stderr
        calls = log.read_text().splitlines()
        assert calls[: len(pip_calls)] == pip_calls
        assert calls[len(pip_calls)].startswith("-c import torch, torch_geometric")


def test_ci_runs_every_stage_after_make_test(tmp_path):
    """.ci/run with a fake `make`: the stages in order, each timed; the first failure stops it."""
    fake(
        tmp_path / "bin" / "make",
        """\
        [[ $1 == --version ]] && { echo "GNU Make (fake)"; exit 0; }
        echo "$1" >> "$MAKE_LOG"
        [[ $1 != "$MAKE_FAILS" ]]
        """,
    )
    env = clean_env(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    every = ["test", "test-course", "test-reference", "test-site", "test-oldest", "test-py313"]
    every.append("test-package")

    log = tmp_path / "passes.log"
    passes = run([ROOT / ".ci" / "run"], env={**env, "MAKE_LOG": str(log), "MAKE_FAILS": ""})
    assert passes.returncode == 0, passes.stderr
    assert log.read_text().split() == every
    assert re.search(r"make test-course +\d+ s", passes.stdout), passes.stdout
    assert re.search(r"all stages passed in \d+ s", passes.stdout), passes.stdout

    log = tmp_path / "fails.log"
    fails = run(
        [ROOT / ".ci" / "run"], env={**env, "MAKE_LOG": str(log), "MAKE_FAILS": "test-site"}
    )
    assert fails.returncode != 0
    assert log.read_text().split() == every[: every.index("test-site") + 1]


# ------------------------------------------------------------------------ (f) README


def test_readme_quick_start_is_make_lab_and_make_test():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md needs a `## Quick start` section"
    block = re.search(r"```[a-z]*\n(.*?)```", match.group(1), flags=re.DOTALL)
    assert block, "the Quick start section needs a code block with the commands"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make lab", "make test"], commands


def test_readme_binder_badge_opens_the_course():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]"
        r"\((https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/HEAD\?urlpath=lab/tree/([^)\s]+))\)",
        text,
    )
    assert match, "README.md needs a Binder badge linking mybinder.org/v2/gh/OWNER/REPO/HEAD"
    assert (ROOT / match.group(2)).is_file(), f"the badge opens {match.group(2)}: no such file"
