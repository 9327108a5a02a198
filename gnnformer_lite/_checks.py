"""Input checks shared by the module: clear errors instead of broadcasting tracebacks.

Every public function validates what it is given with these helpers, so a wrong
shape or a NaN is reported where it enters, naming the argument and its shape.
"""

from __future__ import annotations

import numpy as np


def as_index_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D int64 array; an empty list of any dtype is accepted."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def as_count(x, name: str) -> int:
    """Return ``x`` as a non-negative Python int (bools and floats are refused)."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r}")
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return int(x)


def as_float_array(x, name: str, ndim: int | None = None, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a floating array (ints become float64), checking ndim and NaN/inf."""
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN/inf (shape {arr.shape})")
    return arr


def check_graph(graph, num_nodes: int | None = None, h_name: str = "h", name: str = "graph"):
    """Check that ``graph`` is a Graph (whose node count matches the rows of ``h``)."""
    from .graphs import Graph

    if not isinstance(graph, Graph):
        raise TypeError(f"{name} must be a gnnformer_lite.Graph, got {type(graph).__name__}")
    if num_nodes is not None and graph.num_nodes != num_nodes:
        raise ValueError(f"graph has num_nodes={graph.num_nodes} but {h_name} has {num_nodes} rows")
    return graph


def _lookup(params, key: str) -> np.ndarray:
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    if key not in params:
        raise ValueError(
            f"params is missing key {key!r} (has {sorted(params)}); did you pass the "
            f"params of another layer?"
        )
    return as_float_array(params[key], key)


def param_shape(params, key: str, expected: str) -> tuple:
    """The shape of ``params[key]`` (to read sizes from), checked to be 2-D like ``expected``."""
    arr = _lookup(params, key)
    if arr.ndim != 2:
        raise ValueError(f"{key} must be 2-D {expected}, got shape {arr.shape}")
    return arr.shape


def get_param(params, key: str, shape: tuple, dtype, context: str) -> np.ndarray:
    """Fetch ``params[key]``, check its shape, and cast it to the compute dtype."""
    arr = _lookup(params, key)
    if arr.shape != shape:
        raise ValueError(f"{key} has shape {arr.shape} but {context}, so {key} must be {shape}")
    return arr.astype(dtype, copy=False)
