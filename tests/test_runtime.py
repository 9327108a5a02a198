"""_runtime: ``blas_threads``, NumPy's OpenBLAS on a given number of threads, and its fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import _runtime


def _numpy_uses_openblas() -> bool:
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # pragma: no cover - NumPy < 1.25
        return False
    return "openblas" in str(config["Build Dependencies"]["blas"]).lower()


def test_runtime_threads_sets_and_restores_the_thread_count():
    found = _runtime._setters()
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
def test_runtime_threads_bad_input(num_threads, error, match):
    with pytest.raises(error, match=match), gl.blas_threads(num_threads):
        pass  # pragma: no cover - never entered


def test_runtime_threads_does_nothing_without_openblas(monkeypatch):
    monkeypatch.setattr(_runtime, "_SETTERS", [])
    with gl.blas_threads(1) as inside:
        assert inside is None


def test_the_setters_are_looked_up_once(monkeypatch):
    calls = []
    monkeypatch.setattr(_runtime, "_SETTERS", None)
    monkeypatch.setattr(_runtime, "_openblas_thread_setters", lambda: calls.append(1) or ["found"])
    assert _runtime._setters() == ["found"] == _runtime._setters()
    assert calls == [1]


def test_runtime_threads_falls_back_silently(monkeypatch):
    def refuse(path):
        raise OSError(f"cannot load {path}")

    monkeypatch.setattr(_runtime.ctypes, "CDLL", refuse)
    assert _runtime._openblas_thread_setters() == []
    monkeypatch.setattr(_runtime.ctypes, "CDLL", lambda path: object())  # no such symbols
    assert _runtime._openblas_thread_setters() == []

    def broken():
        raise RuntimeError("unexpected")

    monkeypatch.setattr(_runtime, "_SETTERS", None)
    monkeypatch.setattr(_runtime, "_openblas_thread_setters", broken)
    assert _runtime._setters() == []
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

    monkeypatch.setattr(_runtime.glob, "glob", lambda pattern: ["/usr/lib/libopenblas.so.0"])
    monkeypatch.setattr(_runtime.ctypes, "CDLL", lambda path: SystemOpenBLAS())
    [(get, set_)] = _runtime._openblas_thread_setters()
    assert get is SystemOpenBLAS.openblas_get_num_threads
    assert set_ is SystemOpenBLAS.openblas_set_num_threads


def test_keep_freed_memory_tunes_glibc_once_and_reports_it(monkeypatch):
    monkeypatch.setattr(_runtime, "_MALLOC_TUNED", [])
    first = _runtime.keep_freed_memory()
    assert first in (True, False) and _runtime.keep_freed_memory() is first  # once per process


def test_keep_freed_memory_does_nothing_without_glibc(monkeypatch):
    class NoLibc:
        def __init__(self, name):
            raise OSError("no C library here")

    monkeypatch.setattr(_runtime, "_MALLOC_TUNED", [])
    monkeypatch.setattr(_runtime.ctypes, "CDLL", NoLibc)
    assert _runtime.keep_freed_memory() is False
