"""The package as a whole: its import structure and its public API.

The imports are read from the source with ``ast`` (module-level *and* function-level
imports count), so a circle cannot hide inside a function body. The public API is
what the modules list in ``__all__``; ``gnnformer_lite/__init__.py`` gathers them.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gnnformer_lite as gl

PACKAGE = Path(gl.__file__).resolve().parent


def module_name(path: Path) -> str:
    """``graphs``, ``practice.harness``; a subpackage's ``__init__.py`` is the subpackage."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# every module but the package's own __init__ (which imports them all), subpackages too
MODULES = sorted(
    module_name(p) for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__"
)
FILES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")  # gl's own modules


@functools.cache
def parse(module: str) -> ast.Module:
    path = PACKAGE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(tree: ast.Module, package: tuple[str, ...] = ()) -> list[tuple[str, list[str]]]:
    """``[(imported module, [names]), ...]`` for every import of a module of the package.

    ``package``: where ``tree`` lives (``("practice",)`` for ``practice/harness.py``), to
    resolve ``from . import`` and ``from ..x import``. ``from .x import y`` with ``y`` a
    module of its own counts as an import of the module ``x.y``.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1])
            target = [*base, *node.module.split(".")] if node.module else base
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gnnformer_lite"):
            target = node.module.split(".")[1:]
        elif isinstance(node, ast.Import):
            found.extend(
                (a.name.split(".", 1)[1], [])
                for a in node.names
                if a.name.startswith("gnnformer_lite.")
            )
            continue
        else:
            continue
        names = []
        for a in node.names:
            sub = ".".join([*target, a.name])
            if sub in MODULES or node.module is None:  # from . import graphs: a module
                found.append((sub, []))
            else:
                names.append(a.name)
        if names:
            found.append((".".join(target), names))
    return found


def package_imports(module: str) -> list[tuple[str, list[str]]]:
    is_package = PACKAGE.joinpath(*module.split(".")).is_dir()
    parts = tuple(module.split("."))
    return imports_of(parse(module), parts if is_package else parts[:-1])


def dependencies() -> dict[str, set[str]]:
    return {m: {src for src, _ in package_imports(m) if src in MODULES} - {m} for m in MODULES}


def public_modules():
    """The modules of ``gnnformer_lite/*.py`` with an ``__all__``: those whose names ``gl`` gives.

    (A subpackage, e.g. ``gl.practice``, keeps its names in its own namespace.)
    """
    modules = [importlib.import_module(f"gnnformer_lite.{m}") for m in FILES]
    return [m for m in modules if hasattr(m, "__all__")]


# --- the helpers above see what they should -------------------------------------------------


def test_the_import_reader_finds_every_form_of_import():
    code = (
        "from . import _kernels, graphs\n"
        "from ._checks import as_count\n"
        "import gnnformer_lite.attention\n"
        "def f():\n"
        "    from gnnformer_lite.viz import draw_graph\n"
    )
    assert imports_of(ast.parse(code)) == [
        ("_kernels", []),
        ("graphs", []),
        ("_checks", ["as_count"]),
        ("attention", []),
        ("viz", ["draw_graph"]),
    ]
    assert imports_of(ast.parse("import numpy as np\nfrom numpy import ndarray")) == []
    inside = "from ..graphs import Graph\nfrom . import extra\nfrom .harness import _run\n"
    assert imports_of(ast.parse(inside), ("sub",)) == [
        ("graphs", ["Graph"]),
        ("sub.extra", []),
        ("sub.harness", ["_run"]),
    ]
    assert "graphs" in dependencies()["sentences"]  # and on the real source


# --- import structure ---------------------------------------------------------------------


def test_no_private_name_is_imported_from_another_module():
    offenders = [
        f"{m} imports {name} from {src}"
        for m in MODULES
        for src, names in package_imports(m)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


def test_no_private_name_of_another_module_is_used_through_it():
    """``from . import _kernels`` is fine, ``_kernels._pool`` from outside it is not."""
    offenders = []
    for m in MODULES:
        siblings = {src.split(".")[-1] for src, names in package_imports(m) if not names}
        for node in ast.walk(parse(m)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in siblings
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offenders.append(f"{m}.py:{node.lineno}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_the_modules_import_each_other_without_circles():
    deps = dependencies()
    assert deps["_checks"] == set(), "_checks is the bottom layer: it imports nothing of ours"
    assert deps["_cache"] == set(), "the per-graph caches need nothing but NumPy"
    assert deps["_sums"] == {"_cache"}, "the sums need nothing but NumPy and the caches"
    assert deps["_tiles"] == {"_cache"}, "the tiles need nothing but NumPy and the caches"
    assert deps["_kernels"] == {"_cache", "_sums", "_tiles"}, "the kernels: sums, tiles, caches"
    assert deps["_params"] == set(), "parameter trees need nothing but NumPy"
    assert deps["graphs"] == {"_checks"}, "the Graph needs only the checks"
    done, stack = set(), []

    def visit(m):  # depth-first search; a module met again on the stack closes a circle
        if m in stack:
            pytest.fail("import circle: " + " -> ".join([*stack[stack.index(m) :], m]))
        if m in done:
            return
        stack.append(m)
        for d in sorted(deps[m]):
            visit(d)
        stack.pop()
        done.add(m)

    for m in MODULES:
        visit(m)
    assert done == set(MODULES)


def test_the_textbook_modules_do_not_import_the_layers_above_them():
    """Graphs, message passing and attention are the course's first notebooks: they stand alone."""
    deps = dependencies()
    below = {
        "graphs": {"_checks"},
        "sentences": {"_checks", "graphs"},
        "message_passing": {"_checks", "_kernels", "graphs"},
        "attention": {"_checks", "_kernels", "graphs", "message_passing"},
        "positional": {"_checks", "graphs"},
    }
    for module, allowed in below.items():
        assert deps[module] <= allowed, f"{module} imports {sorted(deps[module] - allowed)}"


def test_importing_the_package_does_not_import_matplotlib():
    """The plots load matplotlib on first use: ``import gnnformer_lite`` stays fast and light."""
    code = (
        "import sys, gnnformer_lite as gl\n"
        "assert 'matplotlib' not in sys.modules, 'import gnnformer_lite imported matplotlib'\n"
        "ax = gl.draw_graph(gl.path_graph(3))\n"
        "assert 'matplotlib' in sys.modules and ax.patches, 'no plot on first use'\n"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


# --- the public API -------------------------------------------------------------------------


def test_every_public_name_resolves_and_unknown_names_raise():
    for name in gl.__all__:
        assert getattr(gl, name) is not None, name
        assert name in dir(gl), name
    with pytest.raises(AttributeError, match="has no attribute 'no_such_function'"):
        gl.no_such_function  # noqa: B018


def test_the_public_api_is_listed_once():
    """Each public name is in one module's ``__all__`` only; ``gl.__all__`` is their union."""
    owners = {}
    for module in public_modules():
        assert len(set(module.__all__)) == len(module.__all__), f"{module.__name__} repeats a name"
        for name in module.__all__:
            assert name not in owners, f"{name} is in {owners.get(name)} and {module.__name__}"
            owners[name] = module.__name__
    assert len(gl.__all__) == len(set(gl.__all__))
    missing = sorted(f"{owners[name]}.{name}" for name in set(owners) - set(gl.__all__))
    assert not missing, f"gnnformer_lite/__init__.py does not gather {missing}"
    assert set(gl.__all__) <= set(owners)


def test_every_public_name_is_listed_where_it_is_defined():
    """A function or class in ``__all__`` is defined in that module, not re-exported from another,
    and every public function or class a module defines is in its ``__all__``."""
    for module in public_modules():
        defined = {
            name
            for name, obj in vars(module).items()
            if (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
            and not name.startswith("_")
        }
        listed = {
            name
            for name in module.__all__
            if inspect.isfunction(getattr(module, name)) or inspect.isclass(getattr(module, name))
        }
        assert listed <= defined, f"{module.__name__} lists {sorted(listed - defined)}"
        helpers = {"check_graph"}  # a check other modules import; not for learners
        unlisted = defined - set(module.__all__) - helpers
        assert not unlisted, f"{module.__name__} does not list {sorted(unlisted)}"


def test_the_package_gives_each_module_and_every_public_name():
    for module in public_modules():
        short = module.__name__.split(".")[-1]
        if not short.startswith("_"):
            assert getattr(gl, short) is module  # gl.graphs, gl.attention, ...
        for name in module.__all__:
            assert getattr(gl, name) is getattr(module, name), name
