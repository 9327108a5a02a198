"""Input checks shared by the package: clear errors instead of broadcasting tracebacks.

Every public function validates what it is given with one call at the top of its
body, built from these helpers, so a wrong shape or a NaN is reported where it
enters, naming the argument and its shape. The checks are cheap (a few
microseconds): they look at shapes and dtypes and make one pass for NaN/inf.

Each helper sets ``__tracebackhide__``, which IPython and pytest honour: a
learner's traceback shows their own line and the message, not the package's
checking frames. This module imports nothing else of the package.
"""

from __future__ import annotations

import math

import numpy as np


def as_index_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D int64 array; an empty list of any dtype is accepted."""
    __tracebackhide__ = True
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} contains {arr.max()}, too large for an index")
    return arr.astype(np.int64, copy=False)


def check_range(idx: np.ndarray, name: str, upper: int, what: str, lower: int = 0) -> np.ndarray:
    """``idx`` (ints) must lie in ``[lower, upper)``; the error names the first entry that does not.

    ``what`` finishes the sentence: ``"segment_ids contains 7, out of range for num_segments=5"``.
    """
    __tracebackhide__ = True
    if idx.size and (idx.min() < lower or idx.max() >= upper):
        bad = idx[(idx < lower) | (idx >= upper)].flat[0]
        raise ValueError(f"{name} contains {bad}, out of range for {what}")
    return idx


def setting(params: dict, key: str, given, default):
    """The value of a model setting: what ``init_*`` recorded in ``params[key]``.

    A model remembers how it was built: ``init_*`` stores its settings (``num_heads``,
    ``norm``, ...) in the params dict beside the arrays. A value given again at call
    time must agree; a different one is an error, never a silent run with a model
    it was not built as. Params made by hand, without the key, take ``given`` (or
    ``default`` when that is ``UNSET`` too).
    """
    __tracebackhide__ = True
    if key not in params:
        return default if given is UNSET else given
    built = params[key]
    if given is not UNSET and given != built:
        raise ValueError(
            f"{key}={given!r}, but these params were built with {key}={built!r}: drop "
            f"the argument (the model knows its settings), or build one with {key}={given!r}"
        )
    return built


class _Unset:
    """The default of a setting a caller did not give: then the params' own value is used."""

    def __repr__(self) -> str:
        return "<from params>"


UNSET = _Unset()


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``np.random.Generator``; every random draw goes through one."""
    __tracebackhide__ = True
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a seeded np.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng


def as_count(x, name: str) -> int:
    """Return ``x`` as a non-negative Python int (bools and floats are refused)."""
    __tracebackhide__ = True
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r}")
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return int(x)


def as_flag(x, name: str) -> bool:
    """Return ``x`` as a Python bool; anything but ``True`` / ``False`` is refused."""
    __tracebackhide__ = True
    if not isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {type(x).__name__} {x!r}")
    return bool(x)


def as_float_array(x, name: str, ndim: int | None = None, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a floating array (ints become float64), checking ndim and NaN/inf."""
    __tracebackhide__ = True
    arr = x if type(x) is np.ndarray else np.asarray(x)
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(np.float64)
    elif kind != "f":
        hint = ""
        if isinstance(x, dict):
            hint = "; it looks like a params dict: the order is layer(params, h, graph)"
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}{hint}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN/inf (shape {arr.shape})")
    return arr


def all_finite(arr: np.ndarray) -> bool:
    """True when no entry of ``arr`` is NaN or +-inf.

    For float32/float64 one BLAS pass decides: ``x . x`` is finite unless some entry is
    NaN or inf -- or the squares overflow (entries above ~1e154, ~1e19 in float32),
    when the entry-by-entry test below decides. Twice as fast as ``np.isfinite(x).all()``,
    which a training step pays for every array it is given.
    """
    if arr.dtype.char in "fd" and math.isfinite(np.vdot(arr, arr)):
        return True
    return bool(np.isfinite(arr).all())


def no_nan_or_plus_inf(arr: np.ndarray) -> bool:
    """True when no entry of ``arr`` is NaN or +inf; -inf (a masked score) is allowed."""
    return all_finite(arr) or bool((arr < np.inf).all())  # one pass: False for NaN and +inf


def as_features(h, batched: bool = False) -> np.ndarray:
    """``h`` as a float array ``(n, d)`` (``batched``: also ``(..., n, d)``, a padded batch)."""
    __tracebackhide__ = True
    h = as_float_array(h, "h")
    if h.ndim != 2 and not (batched and h.ndim > 2):
        expected = "(num_nodes, d) or a padded batch (..., n, d)" if batched else "(num_nodes, d)"
        raise ValueError(f"h must be {expected}, got shape {h.shape}")
    return h


def check_params(params, layer: str) -> dict:
    """``params`` must be the dict of arrays that ``init_<layer>`` makes.

    The most common slip is passing the arguments in the wrong order,
    ``layer(h, params, graph)``; the message says what the order is.
    """
    __tracebackhide__ = True
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict of arrays (made by init_{layer}), got {describe(params)}. "
            f"The order is {layer}(params, h, graph)"
        )
    return params


def get_param(params: dict, key: str, shape: tuple | None, dtype, context: str) -> np.ndarray:
    """Fetch ``params[key]``, check its shape (None: only 2-D), cast it to the compute dtype."""
    __tracebackhide__ = True
    arr = params.get(key)
    if type(arr) is np.ndarray and arr.dtype == dtype and arr.shape == shape:
        if math.isfinite(np.vdot(arr, arr)):  # what init_* made: all below would pass
            return arr  # (as all_finite; not finite or overflowing: the checks below decide)
    if key not in params:
        raise ValueError(
            f"params is missing key {key!r} (has {sorted(params)}); did you pass the "
            f"params of another layer?"
        )
    arr = as_float_array(params[key], key)
    if shape is None:
        if arr.ndim != 2:
            raise ValueError(f"{key} must be 2-D {context}, got shape {arr.shape}")
    elif arr.shape != shape:
        raise ValueError(f"{key} has shape {arr.shape} but {context}, so {key} must be {shape}")
    return arr.astype(dtype, copy=False)


def check_model_inputs(params, batch, model: str, batch_maker: str, keys: tuple) -> dict:
    """``params`` made by ``init_<model>`` (with ``layers``), ``batch`` by ``batch_maker``."""
    __tracebackhide__ = True
    if not isinstance(params, dict) or "layers" not in params:
        raise TypeError(
            f"params must be the dict made by init_{model}; the order is {model}(params, batch)"
        )
    if not isinstance(batch, dict) or any(key not in batch for key in keys):
        got = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise TypeError(
            f"batch must be the dict made by {batch_maker} ({', '.join(keys)}), got {got}"
        )
    return batch


def check_cache(cache, keys: tuple, forward: str) -> dict:
    """``cache`` must be the dict that ``forward(..., cache=cache)`` filled in."""
    __tracebackhide__ = True
    if not isinstance(cache, dict) or any(key not in cache for key in keys):
        has = sorted(cache) if isinstance(cache, dict) else describe(cache)
        raise ValueError(
            f"cache must be the dict filled in by {forward}(..., cache=cache); it needs "
            f"{sorted(keys)} but has {has}"
        )
    return cache


def check_upstream(d_out, shape: tuple, forward: str) -> np.ndarray:
    """``d_out``, the gradient of the loss with respect to ``forward``'s output, has its shape."""
    __tracebackhide__ = True
    d_out = as_float_array(d_out, "d_out")
    if d_out.shape != tuple(shape):
        raise ValueError(
            f"d_out has shape {d_out.shape} but the output of {forward} had shape "
            f"{tuple(shape)}: d_out is the gradient of the loss with respect to that output"
        )
    return d_out


# --- the plots' arguments (viz) ------------------------------------------------------


def check_words(
    words, n: int, owner: str | None = None, *, name: str = "words", unit: str = "node"
) -> list[str] | None:
    """``words`` as a list of ``n`` strings, one per ``unit`` of ``owner`` (None stays None)."""
    __tracebackhide__ = True
    if words is None:
        return None
    if isinstance(words, str):
        raise TypeError(f"{name} must be a sequence of strings (one per {unit}), not one string")
    labels = [str(w) for w in words]
    if len(labels) != n:
        owner = owner or f"the graph, which has n={n} nodes"
        raise ValueError(f"{name} has {len(labels)} entries but needs one per {unit} of {owner}")
    return labels


def check_node(node, n: int, name: str) -> int | None:
    """``node`` as a node index ``0 <= node < n`` (None stays None)."""
    __tracebackhide__ = True
    if node is None:
        return None
    if isinstance(node, bool | np.bool_) or not isinstance(node, int | np.integer):
        raise TypeError(
            f"{name} must be a node index (an int, e.g. words.index('sat')), "
            f"got {type(node).__name__} {node!r}"
        )
    if not 0 <= node < n:
        raise ValueError(f"{name}={node} is out of range for a graph of n={n} nodes")
    return int(node)


def check_alpha(alpha, num_edges: int, head) -> np.ndarray:
    """The ``(E,)`` weights of head ``head`` of ``alpha: (E,) | (E, H)``, non-negative."""
    __tracebackhide__ = True
    a = as_float_array(alpha, "alpha")
    E = num_edges
    if a.ndim not in (1, 2) or a.shape[0] != E:
        raise ValueError(
            f"alpha has shape {a.shape} but the graph has {E} edges; expected (E,) = ({E},) "
            f"or (E, H) = ({E}, H)"
        )
    a = a if a.ndim == 2 else a[:, None]
    head = as_count(head, "head")
    if head >= a.shape[1]:
        raise ValueError(
            f"head={head} is out of range: alpha of shape {a.shape} has H={a.shape[1]}"
        )
    if E and a.min() < 0:
        raise ValueError(f"alpha must be non-negative (attention weights), min is {a.min():.3g}")
    return a[:, head]


def check_matrix(values) -> np.ndarray:
    """A 2-D float array; masked entries become NaN (blank cells), inf is refused."""
    __tracebackhide__ = True
    if np.ma.isMaskedArray(values):
        values = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    m = as_float_array(values, "values", finite=False)
    if m.ndim != 2:
        hint = "; pick one, e.g. values[0]" if m.ndim == 3 else ""
        raise ValueError(f"values must be a 2-D (rows, columns) matrix, got shape {m.shape}{hint}")
    if np.isinf(m).any():
        raise ValueError("values contains inf; use NaN (or a masked array) for a blank cell")
    return m


def check_weights(weights) -> np.ndarray:
    """An ``(n, n)`` attention matrix with values in ``[0, 1]``."""
    __tracebackhide__ = True
    w = as_float_array(weights, "weights")
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        hint = "; pick one head, e.g. weights[0]" if w.ndim == 3 else ""
        raise ValueError(f"weights must be a square (n, n) matrix, got shape {w.shape}{hint}")
    if w.size and (w.min() < -1e-9 or w.max() > 1 + 1e-9):
        raise ValueError(
            f"weights must lie in [0, 1] (attention weights), got values from {w.min():.3g} "
            f"to {w.max():.3g}; apply the softmax first"
        )
    return w


def check_layer_size(d) -> int:
    """``d``, the features per word of ``draw_layers``: an int ``>= 1``."""
    __tracebackhide__ = True
    d = as_count(d, "d")
    if d < 1:
        raise ValueError(f"d must be >= 1 (features per word), got {d}")
    return d


def describe(x, article: bool = False, limit: int = 80) -> str:
    """``ndarray of shape (10, 8) and dtype float64``, ``list of length 3``, ``str 'abc'``.

    ``article``: ``an ndarray ...``, ``a list ...`` (for the practice checks' sentences);
    a value's repr is cut after ``limit`` characters.
    """
    if isinstance(x, np.ndarray):
        return f"{'an ' * article}ndarray of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, list | tuple):
        return f"{'a ' * article}{type(x).__name__} of length {len(x)}"
    return f"{type(x).__name__} {x!r}"[:limit]
