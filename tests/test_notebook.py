"""Notebook helpers: setup_notebook sets print options and plot style; show_error prints errors."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gnnformer_lite as gl  # noqa: E402
from gnnformer_lite.notebook import setup_notebook, show_error  # noqa: E402


@pytest.fixture(autouse=True)
def restore_global_state():
    """Every test leaves NumPy's print options and rcParams as it found them."""
    saved = np.get_printoptions()
    with matplotlib.rc_context():
        yield
    np.set_printoptions(**saved)


# --- setup_notebook -------------------------------------------------------------------


def test_setup_notebook_sets_print_options_and_prints_nothing(capsys):
    assert setup_notebook() is None
    assert capsys.readouterr() == ("", "")
    assert repr(np.float64(0.5)) == "0.5"
    assert str(np.float64(0.5)) == "0.5"
    opts = np.get_printoptions()
    assert opts["precision"] == 4
    assert opts["suppress"] is True
    assert repr(np.array([1e-9, 1 / 3])) == "array([0.    , 0.3333])"


def test_setup_notebook_on_numpy_1_needs_no_legacy_printing(monkeypatch):
    calls = []
    monkeypatch.setattr(np, "__version__", "1.26.0")
    monkeypatch.setattr(np, "set_printoptions", lambda **options: calls.append(options))
    setup_notebook()
    assert calls == [{"precision": 4, "suppress": True}]


def test_setup_notebook_sets_lean_deterministic_matplotlib_defaults():
    setup_notebook()
    rc = matplotlib.rcParams
    assert tuple(rc["figure.figsize"]) == (6.4, 4.0)
    assert 80 <= rc["figure.dpi"] <= 100
    assert 80 <= rc["savefig.dpi"] <= 100
    assert rc["svg.hashsalt"] == "gnnformer-lite"
    assert rc["axes.grid"] is True


def test_setup_notebook_is_idempotent():
    setup_notebook()
    opts, rc = np.get_printoptions(), dict(matplotlib.rcParams)
    setup_notebook()
    assert np.get_printoptions() == opts
    assert dict(matplotlib.rcParams) == rc


def test_setup_notebook_overrides_a_changed_style():
    matplotlib.rcParams["figure.dpi"] = 300
    matplotlib.rcParams["lines.linewidth"] = 7
    np.set_printoptions(precision=8)
    setup_notebook()
    assert matplotlib.rcParams["figure.dpi"] == 90
    assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsDefault["lines.linewidth"]
    assert np.get_printoptions()["precision"] == 4


def test_setup_notebook_asks_ipython_for_png(monkeypatch):
    import IPython
    import matplotlib_inline.backend_inline as inline

    calls = []
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *f: calls.append(f))
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    setup_notebook()
    assert calls == []  # outside IPython: nothing to configure
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    setup_notebook()
    assert calls == [("png",)]


def test_setup_notebook_without_ipython(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)  # makes `import IPython` fail
    setup_notebook()
    assert np.get_printoptions()["precision"] == 4


# --- show_error -------------------------------------------------------------------------


def fail(error: Exception):
    """A function of no arguments that raises ``error``."""

    def make():
        raise error

    return make


def test_show_error_prints_the_error_under_its_label_and_returns_nothing(capsys):
    error = ValueError("heads must have exactly one root (-1), found 2: [0 2]")
    assert show_error(fail(error), "two roots") is None
    assert capsys.readouterr().out == (
        "two roots:\n    ValueError: heads must have exactly one root (-1), found 2: [0 2]\n"
    )


def test_show_error_without_a_label_prints_the_error_alone(capsys):
    error = TypeError("senders must be an integer array, got dtype float64")
    assert show_error(fail(error)) is None
    assert (
        capsys.readouterr().out
        == "TypeError: senders must be an integer array, got dtype float64\n"
    )


def test_show_error_says_no_error_when_the_call_succeeds(capsys):
    calls = []
    assert show_error(lambda: calls.append("ran"), "the real tree") is None
    assert show_error(lambda: calls.append("ran")) is None
    assert capsys.readouterr().out == "the real tree: no error\nno error\n"
    assert calls == ["ran", "ran"]  # called once each time


def test_show_error_prints_what_the_package_raises(capsys):
    """The output of notebook 01's own show_error, for the package's real messages."""
    words, heads = gl.example_sentence()
    two_roots = heads.copy()
    two_roots[9] = -1
    show_error(lambda: gl.dependency_graph(two_roots), "two roots ('tired' too)")
    assert capsys.readouterr().out == (
        "two roots ('tired' too):\n    ValueError: heads must have exactly one root (-1), "
        "found 2: [2 9]\n"
    )
    show_error(lambda: gl.Graph(np.array([0.0]), np.array([1.0]), 2), "float indices")
    assert capsys.readouterr().out == (
        "float indices:\n    TypeError: senders must be an integer array, got dtype float64\n"
    )


@pytest.mark.parametrize("error", [KeyError("W_Q"), ZeroDivisionError("1 / 0"), AssertionError()])
def test_show_error_lets_other_exceptions_through(error, capsys):
    with pytest.raises(type(error)):
        show_error(fail(error), "a real bug")
    assert capsys.readouterr().out == ""


def test_show_error_needs_a_function_not_its_result():
    with pytest.raises(TypeError, match=r"make must be a function of no arguments .* got Graph$"):
        show_error(gl.path_graph(3))  # called already: nothing left to catch
    with pytest.raises(TypeError, match=r"got str; the label comes second"):
        show_error("two roots", lambda: None)
