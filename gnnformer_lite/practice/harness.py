"""How a practice check runs: cases smallest first, compare with the package, name the mistake.

A check is ``check(fn)`` for one blank of a practice notebook. It calls ``run_check``
with

- ``cases``: ``[(label, args), ...]`` from a hand-sized example up to random graphs
  with isolated nodes and uneven in-degrees, float32 input, large logits and
  batches -- the first case that fails is the smallest input that shows the mistake;
- ``reference``: what ``gnnformer_lite`` computes from the same ``args``;
- ``mistakes``: the catalogue, ``[(name, why, wrong_fn), ...]``: each entry is a
  typical error *written as code*. When the learner's result differs from the
  reference, the check runs every catalogued mistake on the failing case; the one
  whose result equals the learner's is the diagnosis.

A pass prints one line, ``✔ segment_softmax: 7 cases agree with gl.segment_softmax``.
A failure raises ``PracticeError`` with the likely mistake by name, the input, what
was expected and what came back. A blank that is not written yet raises its own
``NotImplementedError`` again, unchanged. A wrong return type or shape is one plain
sentence, never a NumPy traceback from inside the check. The inputs that several checks
share are in ``cases.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np

from .. import _checks
from ..graphs import Graph

__all__ = [
    "NO_MISTAKE",
    "PracticeError",
    "call",
    "compare",
    "describe",
    "diagnose",
    "edge_list",
    "indent",
    "likely_mistake",
    "run_check",
    "show",
]

Case = tuple[str, tuple]  # (label, positional arguments)
Mistake = tuple[str, str, Callable]  # (name, what to do instead, the mistake as code)


NO_MISTAKE = (
    "No mistake of the catalogue gives this result: compare your lines with the equation "
    "above the cell, entry by entry, on this input."
)


class PracticeError(AssertionError):
    """A blank was written, but its result differs from the package's: the message says how."""


def run_check(
    name: str,
    fn,
    cases: Sequence[Case],
    reference: Callable,
    reference_name: str,
    mistakes: Sequence[Mistake] = (),
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    same_dtype: bool = False,
    compare_with: Callable | None = None,
) -> None:
    """Run ``fn`` on every case, compare with ``reference``; print ✔ or raise ``PracticeError``.

    Args:
        name: the blank, e.g. ``"segment_softmax"``.
        fn: the learner's function.
        cases: ``(label, args)`` pairs, smallest first; ``args`` are positional.
        reference: the package's computation, called with the same ``args``.
        reference_name: how the message names it, e.g. ``"gl.segment_softmax"``.
        mistakes: the catalogue of typical errors, ``(name, why, wrong_fn)``.
        atol, rtol: the tolerance of the comparison (``np.allclose``).
        same_dtype: the result must keep the input's float dtype (float32 in, float32 out).
        compare_with: ``compare_with(expected, got) -> None | str`` instead of ``compare``,
            for results that are right in more than one way (an eigenvector's sign).
    """
    __tracebackhide__ = True
    if not callable(fn):
        raise TypeError(
            f"check_{name} takes your function itself, e.g. check_{name}(my_{name}); "
            f"got {describe(fn)}"
        )
    for k, (label, args) in enumerate(cases, start=1):
        expected = reference(*copy.deepcopy(args))
        given = copy.deepcopy(args)
        got = call(fn, given)
        if compare_with is not None and not isinstance(got, Exception):
            problem = compare_with(expected, got)
        else:
            problem = compare(expected, got, atol=atol, rtol=rtol, same_dtype=same_dtype)
        if problem is None:
            problem = _changed_input(args, given)
        if problem is None:
            continue
        where = f"✘ {name}, case {k} of {len(cases)} ({label})"
        diagnosis = diagnose(mistakes, args, got, expected, atol=atol, rtol=rtol, given=given)
        if diagnosis == NO_MISTAKE and _not_about_values(problem):
            diagnosis = ""  # a dtype, shape, type or in-place problem: its sentence says it all
        raise PracticeError(
            f"{where}: {problem}\n"
            + (f"{diagnosis}\n" if diagnosis else "")
            + _inputs(fn, args)
            + f"\nexpected ({reference_name}):\n{indent(show(expected))}"
            + f"\ngot:\n{indent(show(got))}"
        ) from None
    print(f"✔ {name}: {len(cases)} cases agree with {reference_name}")


def _not_about_values(problem: str) -> bool:
    """Is ``problem`` (a sentence of ``compare``) about the result's dtype, shape or type, or an
    argument changed in place -- not about its numbers?"""
    markers = ("returned dtype", "returned shape", "should return", "returned None", "in place")
    return any(marker in problem for marker in markers)


def call(fn, args):
    """``fn(*args)``; an exception it raises is the result (a NotImplementedError goes up)."""
    __tracebackhide__ = True
    try:
        return fn(*args)
    except NotImplementedError:  # the blank is not written yet: its own error, from its own line
        raise
    except Exception as err:  # noqa: BLE001 -- any error of the learner's code is a result
        return err


def compare(expected, got, *, atol: float, rtol: float, same_dtype: bool = False) -> str | None:
    """``None`` if ``got`` matches ``expected``; else one plain sentence saying how it does not."""
    if isinstance(got, Exception):
        return f"your function raised {type(got).__name__}: {got}"
    if isinstance(expected, tuple):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return (
                f"it should return a tuple of {len(expected)} values, but returned {describe(got)}"
            )
        for k, (e, g) in enumerate(zip(expected, got, strict=True)):
            problem = compare(e, g, atol=atol, rtol=rtol, same_dtype=same_dtype)
            if problem is not None:
                return f"in the returned value number {k + 1}, {problem}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or sorted(got) != sorted(expected):
            return f"it should return a dict with keys {sorted(expected)}, got {describe(got)}"
        for key in sorted(expected):
            problem = compare(expected[key], got[key], atol=atol, rtol=rtol, same_dtype=same_dtype)
            if problem is not None:
                return f"in [{key!r}], {problem}"
        return None
    if got is None:
        return "it returned None: did you forget the `return`?"
    if isinstance(expected, Graph):
        return _compare_graphs(expected, got)
    if np.ndim(expected) == 0 and not isinstance(got, np.ndarray | list | tuple):
        try:
            value = float(got)
        except (TypeError, ValueError):
            return f"it should return a number, but returned {describe(got)}"
        if not np.isclose(value, float(expected), atol=atol, rtol=rtol, equal_nan=True):
            return f"it returned {value:.6g}, expected {float(expected):.6g}"
        return None
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        return f"it should return an array of shape {expected.shape}, but returned {describe(got)}"
    if got.shape != expected.shape:
        return f"it returned shape {got.shape}, expected {expected.shape}"
    if expected.dtype == bool or got.dtype == bool:
        if not np.array_equal(got, expected):
            return f"the entries differ, first at {_first_difference(expected, got)}"
        return None
    if same_dtype and expected.dtype.kind == "f" and got.dtype != expected.dtype:
        return f"it returned dtype {got.dtype} for {expected.dtype} input: keep the input's dtype"
    if np.isnan(got.astype(float)).any() and not np.isnan(expected.astype(float)).any():
        nan = tuple(int(i) for i in np.argwhere(np.isnan(got.astype(float)))[0])
        return f"it returned NaN, first at entry {list(nan)}: expected {expected[nan]:.6g}, got nan"
    if not np.allclose(got, expected, atol=atol, rtol=rtol):
        return f"the entries differ, first at {_first_difference(expected, got, atol, rtol)}"
    return None


def _compare_graphs(expected, got) -> str | None:
    if not isinstance(got, Graph):
        return f"it should return a gl.Graph, but returned {describe(got)}"
    if got.num_nodes != expected.num_nodes:
        return f"it returned a graph on {got.num_nodes} nodes, expected {expected.num_nodes}"
    want, have = set(edge_list(expected)), set(edge_list(got))
    if want == have:
        return None
    missing, extra = sorted(want - have), sorted(have - want)
    parts = [f"{len(missing)} edges missing, e.g. {_edges(missing)}"] if missing else []
    parts += [f"{len(extra)} edges too many, e.g. {_edges(extra)}"] if extra else []
    return "; ".join(parts) + " (an edge j -> i is sender j, receiver i)"


def edge_list(graph) -> list[tuple[int, int]]:
    """``[(j, i), ...]``: the edges j -> i of a graph as Python ints."""
    return list(zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True))


def _edges(pairs, most: int = 5) -> str:
    shown = ", ".join(f"{j} -> {i}" for j, i in pairs[:most])
    return shown + (", ..." if len(pairs) > most else "")


def diagnose(mistakes: Sequence[Mistake], args, got, expected, *, atol, rtol, given=None) -> str:
    """The catalogued mistake that gives what the learner got on ``args`` (or says none does).

    A mistake matches when its result equals the learner's and differs from ``expected``;
    or, when ``given`` (the learner's copy of ``args`` after the call) shows an argument
    changed in place, when its result equals the learner's and it changes the same
    arguments the same way (a gradient check that leaves ``x`` perturbed, an Adam step
    that updates ``m`` in place: the result can be right and the mistake still there).
    """
    changed = given is not None and _changed_input(args, given) is not None
    for mistake, why, wrong in mistakes:
        trial = copy.deepcopy(args)
        with np.errstate(all="ignore"):  # a mistake's overflow is the check's, not the learner's
            result = call(wrong, trial)
        if not _same(result, got, atol=atol, rtol=rtol):
            continue
        if not _same(result, expected, atol=atol, rtol=rtol) or (
            changed and _same_changes(args, trial, given, atol=atol, rtol=rtol)
        ):
            return likely_mistake(mistake, why)
    return NO_MISTAKE


def likely_mistake(name: str, why: str) -> str:
    """The diagnosis: the mistake by name, then what to do instead, indented."""
    return f"Likely mistake: {name}.\n{indent(why)}"


def _same(a, b, *, atol, rtol) -> bool:
    """The same result: equal arrays (NaN matching NaN), or the same exception (type and message:
    a mistake that raises another ValueError is another mistake)."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(
            _same(x, y, atol=atol, rtol=rtol) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, Graph) or isinstance(b, Graph):
        return isinstance(a, Graph) and isinstance(b, Graph) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return sorted(a) == sorted(b) and all(_same(a[k], b[k], atol=atol, rtol=rtol) for k in a)
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True))


def _same_changes(before, trial, given, *, atol, rtol) -> bool:
    """``trial`` (a mistake's arguments after its call) changed in place like ``given``."""
    if _changed_input(before, trial) is None:
        return False
    return all(
        _same(t, g, atol=atol, rtol=rtol)
        for t, g in zip(trial, given, strict=True)
        if isinstance(t, np.ndarray)
    )


def _changed_input(before, after) -> str | None:
    """A sentence if the learner's function modified one of its array arguments in place."""
    for k, (a, b) in enumerate(zip(before, after, strict=True)):
        if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            return (
                f"the result is right, but your function changed its argument number {k + 1} "
                f"in place: compute a new array instead (e.g. x = x - m, not x -= m)"
            )
    return None


def _first_difference(expected, got, atol=0.0, rtol=0.0) -> str:
    e, g = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    bad = ~np.isclose(g, e, atol=atol, rtol=rtol, equal_nan=False) | (np.isnan(g) != np.isnan(e))
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
    return f"entry {list(index)}: expected {e[index]:.6g}, got {g[index]:.6g}"


def _inputs(fn, args) -> str:
    names = getattr(getattr(fn, "__code__", None), "co_varnames", ())[: len(args)]
    names = names if len(names) == len(args) else [f"argument {k + 1}" for k in range(len(args))]
    lines = []
    for name, value in zip(names, args, strict=True):
        text = show(value)
        one_line = "\n" not in text and len(text) + len(name) < 96
        lines.append(f"{name} = {text}" if one_line else f"{name} =\n{indent(text)}")
    return "input:\n" + indent("\n".join(lines))


def show(x) -> str:
    """A value as the message prints it: arrays rounded to 4 decimals, long ones shortened."""
    if isinstance(x, Exception):
        return f"{type(x).__name__}: {x}"
    if isinstance(x, np.ndarray):
        body = np.array2string(x, precision=4, suppress_small=True, threshold=60, edgeitems=4)
        return f"{body}   (shape {x.shape}, {x.dtype})"
    if isinstance(x, tuple):
        return "\n".join(f"[{k}] {show(v)}" for k, v in enumerate(x))
    if isinstance(x, dict):  # a nested dict (a layer's parts) on its own lines, indented
        return "\n".join(
            f"{key!r}:\n{indent(show(v))}" if isinstance(v, dict) else f"{key!r}: {show(v)}"
            for key, v in x.items()
        )
    if isinstance(x, Graph):
        return f"{x!r}: edges {_edges(edge_list(x), most=30)}"
    if callable(x) and hasattr(x, "__name__"):  # an activation: its name, not its address
        return _function_name(x)
    return repr(x)[:200]


def _function_name(fn) -> str:
    """``gl.relu``, ``np.tanh``, ``lambda``: how a function given as an argument is printed."""
    module = getattr(fn, "__module__", None) or ("numpy" if isinstance(fn, np.ufunc) else "")
    prefix = {"gnnformer_lite": "gl.", "numpy": "np."}.get(module.split(".")[0], "")
    return "lambda" if fn.__name__ == "<lambda>" else prefix + fn.__name__


def describe(x) -> str:
    """``an ndarray of shape (3,) and dtype float64``, ``a list of length 3``, ``float 0.5``."""
    return _checks.describe(x, article=True, limit=100)


def indent(text: str, spaces: int = 4) -> str:
    """Every line of ``text`` indented by ``spaces`` (a blank line too)."""
    return "\n".join(" " * spaces + line for line in text.splitlines())
