"""The package's import structure: layers without circles, no private names across modules.

Read from the source with ``ast`` (module-level *and* function-level imports count),
so a circle cannot hide inside a function body.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gnnformer_lite as gl

PACKAGE = Path(gl.__file__).resolve().parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def package_imports(module: str) -> list[tuple[str, list[str]]]:
    """``[(imported module, [names]), ...]`` for every import of a sibling module."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:  # from .x import a, b
                found.append((node.module, [a.name for a in node.names]))
            else:  # from . import x
                found.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gnnformer_lite."):
            found.append((node.module.split(".")[1], [a.name for a in node.names]))
    return found


def test_no_private_name_is_imported_from_another_module():
    offenders = [
        f"{m}.py: from .{src} import {name}"
        for m in MODULES
        for src, names in package_imports(m)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


def test_the_modules_import_each_other_without_circles():
    deps = {m: {src for src, _ in package_imports(m) if src in MODULES} for m in MODULES}
    assert deps["_checks"] == set(), "_checks is the bottom layer: it imports nothing of ours"
    assert deps["_kernels"] == set(), "the kernels need nothing but NumPy"
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


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, gnnformer_lite as gl\n"
        "assert 'matplotlib' not in sys.modules, 'import gnnformer_lite imported matplotlib'\n"
        "assert callable(gl.draw_graph) and 'matplotlib' in sys.modules\n"
        "from gnnformer_lite import setup_notebook\n"
        "assert 'draw_attention' in dir(gl)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_resolves_and_unknown_names_raise():
    for name in gl.__all__:
        assert getattr(gl, name) is not None, name
        assert name in dir(gl), name
    with pytest.raises(AttributeError, match="has no attribute 'no_such_function'"):
        gl.no_such_function  # noqa: B018
