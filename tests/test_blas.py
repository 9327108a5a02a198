"""_blas: ``blas_threads``, NumPy's OpenBLAS on a given number of threads, and its fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import _blas


def _numpy_uses_openblas() -> bool:
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # pragma: no cover - NumPy < 1.25
        return False
    return "openblas" in str(config["Build Dependencies"]["blas"]).lower()


def test_blas_threads_sets_and_restores_the_thread_count():
    found = _blas._setters()
    if _numpy_uses_openblas():  # the wheels on PyPI: the library must be found
        assert found, "OpenBLAS is NumPy's BLAS here, but blas_threads did not find it"
    with gl.blas_threads() as inside:  # one thread by default
        assert inside == (1 if found else None)
    if found:
        get, _ = found[0]
        before = get()
        with gl.blas_threads(2) as outer:
            assert outer == get() >= 1
            with gl.blas_threads(1) as inner:
                assert inner == get() == 1
            assert get() == outer  # the inner block restores the outer count
        assert get() == before
        with pytest.raises(RuntimeError, match="inside"), gl.blas_threads(1):
            raise RuntimeError("inside")
        assert get() == before  # restored on an exception too


@pytest.mark.parametrize(
    ("num_threads", "error", "match"),
    [
        (0, ValueError, "num_threads must be >= 1, got 0"),
        (-1, ValueError, "num_threads must be >= 0, got -1"),
        (1.0, TypeError, "num_threads must be an int, got float 1.0"),
        (None, TypeError, "num_threads must be an int, got NoneType"),
    ],
)
def test_blas_threads_bad_input(num_threads, error, match):
    with pytest.raises(error, match=match), gl.blas_threads(num_threads):
        pass  # pragma: no cover - never entered


def test_blas_threads_does_nothing_without_openblas(monkeypatch):
    monkeypatch.setattr(_blas, "_SETTERS", [])
    with gl.blas_threads(1) as inside:
        assert inside is None


def test_the_setters_are_looked_up_once(monkeypatch):
    calls = []
    monkeypatch.setattr(_blas, "_SETTERS", None)
    monkeypatch.setattr(_blas, "_openblas_thread_setters", lambda: calls.append(1) or ["found"])
    assert _blas._setters() == ["found"] == _blas._setters()
    assert calls == [1]


def test_blas_threads_falls_back_silently(monkeypatch):
    def refuse(path):
        raise OSError(f"cannot load {path}")

    monkeypatch.setattr(_blas.ctypes, "CDLL", refuse)
    assert _blas._openblas_thread_setters() == []
    monkeypatch.setattr(_blas.ctypes, "CDLL", lambda path: object())  # no such symbols
    assert _blas._openblas_thread_setters() == []

    def broken():
        raise RuntimeError("unexpected")

    monkeypatch.setattr(_blas, "_SETTERS", None)
    monkeypatch.setattr(_blas, "_openblas_thread_setters", broken)
    assert _blas._setters() == []
    with gl.blas_threads(1) as inside:
        assert inside is None


def test_the_plain_symbol_names_of_a_system_openblas_are_found(monkeypatch):
    """A NumPy built against the system OpenBLAS exports ``openblas_set_num_threads``."""

    class Function:
        def __call__(self, *args):
            return 3

    class SystemOpenBLAS:
        openblas_get_num_threads = Function()
        openblas_set_num_threads = Function()

    monkeypatch.setattr(_blas.glob, "glob", lambda pattern: ["/usr/lib/libopenblas.so.0"])
    monkeypatch.setattr(_blas.ctypes, "CDLL", lambda path: SystemOpenBLAS())
    [(get, set_)] = _blas._openblas_thread_setters()
    assert get is SystemOpenBLAS.openblas_get_num_threads
    assert set_ is SystemOpenBLAS.openblas_set_num_threads
