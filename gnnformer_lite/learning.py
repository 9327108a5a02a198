r"""Learning in pure NumPy: the model's two ends, a loss, and a gradient check.

Every layer of the course has a backward function next to its forward
(``gnn_layer`` / ``gnn_layer_backward``, ...). This module adds what a model needs
around the layers, each forward with its backward beside it:

- ``embed`` (a row lookup; backward: a scatter-add of rows) and ``readout``
  (pick one row per sentence, or average each graph's nodes);
- ``linear`` (the classifier on top), ``softmax_cross_entropy`` and ``accuracy``;
- ``classification_loss``: forward, cross-entropy, backward -- every model's loss;
- ``gradient_check``: central finite differences against the analytic gradients.

Adam, the learning-rate schedule and the training loop are in ``optimisation``.

Parameters are trees of arrays (dicts, and lists for stacks of layers) with the
settings ``init_*`` recorded; gradients are trees of the same shape without them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    as_count,
    as_float_array,
    as_index_array,
    as_rng,
    check_cache,
    check_range,
    check_upstream,
    get_param,
)
from ._params import check_tree, glorot, tree_map
from .message_passing import segment_mean, segment_sum

__all__ = [
    "accuracy",
    "classification_loss",
    "embed",
    "embed_backward",
    "gradient_check",
    "init_linear",
    "linear",
    "linear_backward",
    "readout",
    "readout_backward",
    "softmax_cross_entropy",
]

Tree = dict  # nested dicts and lists with np.ndarray leaves (and settings)


# --- the model's two ends: embedding, readout, classifier, loss --------------------------


def embed(table: ArrayLike, tokens: ArrayLike, *, cache: dict | None = None) -> np.ndarray:
    r"""Look up one row of ``table`` per token: the embedding layer.

    .. math:: h_i = E_{t_i}

    ``table: (vocab_size, d)`` holds one learned vector per token id; ``tokens`` are ints
    in ``[0, vocab_size)`` of any shape, e.g. ``(n,)`` or ``(B, L)``; the result is
    ``(*tokens.shape, d)``. ``cache``: if a dict, filled with what ``embed_backward`` needs.
    """
    table = as_float_array(table, "table", ndim=2)
    tok = np.asarray(tokens)
    if tok.dtype.kind not in "iu" and tok.size:
        raise TypeError(f"tokens must be an integer array, got dtype {tok.dtype}")
    tok = check_range(
        tok.astype(np.int64), "tokens", table.shape[0], f"a table of shape {table.shape}"
    )
    if cache is not None:
        cache.update(tokens=tok, vocab_size=table.shape[0], d=table.shape[1])
    return table[tok]


def embed_backward(cache: dict, d_out: np.ndarray) -> tuple[np.ndarray, None]:
    r"""Gradient of ``embed``: ``(d_table, None)`` -- a scatter-add of rows; tokens have none.

    .. math:: \frac{\partial L}{\partial E_t} = \sum_{i : t_i = t} \frac{\partial L}{\partial h_i}

    a segment sum of the rows of ``d_out`` by token id (a token used twice gets
    both rows' gradients; an unused token gets 0). The table is the parameter and
    the integer tokens the input, which has no gradient: hence ``None``.
    """
    cache = check_cache(cache, ("tokens", "vocab_size", "d"), "embed")
    tokens = cache["tokens"]
    d_out = check_upstream(d_out, (*tokens.shape, cache["d"]), "embed")
    return segment_sum(d_out.reshape(-1, cache["d"]), tokens.reshape(-1), cache["vocab_size"]), None


def readout(
    h: ArrayLike,
    rows: ArrayLike | None = None,
    *,
    node_graph: ArrayLike | None = None,
    num_graphs: int | None = None,
    cache: dict | None = None,
) -> np.ndarray:
    r"""One vector per sentence (graph), ``(B, d)``: pick one row each, or average each graph's.

    .. math:: r_b = h_{\text{rows}[b]} \qquad\text{or}\qquad
        r_b = \frac{1}{n_b} \sum_{i \in \text{graph } b} h_i

    Args:
        h: ``(N, d)`` node features of a batch (one disjoint graph, or a padded
            ``(B, L, d)`` batch reshaped to ``(B * L, d)``).
        rows: ``(B,)`` the node to read in each sentence (e.g. the main verb).
        node_graph: ``(N,)`` instead of ``rows``: the graph of each node, as
            returned by ``batch_graphs``; the readout is then the mean.
        num_graphs: ``B`` for ``node_graph`` (default: ``node_graph.max() + 1``).
        cache: if a dict, filled with what ``readout_backward`` needs.
    """
    h = as_float_array(h, "h", ndim=2)
    if (rows is None) == (node_graph is None):
        raise ValueError("readout takes exactly one of rows= and node_graph=")
    if rows is not None:
        rows = check_range(
            as_index_array(rows, "rows"), "rows", h.shape[0], f"h of shape {h.shape}"
        )
        if cache is not None:
            cache.update(rows=rows, num_nodes=h.shape[0], d=h.shape[1])
        return h[rows]
    ids = as_index_array(node_graph, "node_graph")
    if num_graphs is None:
        num_graphs = int(ids.max()) + 1 if ids.size else 0
    out = segment_mean(h, ids, num_graphs)  # checks the lengths and the range of ids
    if cache is not None:
        cache.update(node_graph=ids, count=np.bincount(ids, minlength=num_graphs), d=h.shape[1])
    return out


def readout_backward(cache: dict, d_out: np.ndarray) -> np.ndarray:
    r"""Gradient of ``readout`` with respect to ``h``.

    Picked rows: the gradient goes back to the rows it came from (a scatter-add,
    a segment sum by ``rows``), every other row gets 0. Mean per graph: each node
    gets its graph's gradient divided by the graph's size,
    :math:`\partial L / \partial h_i = \frac{1}{n_b} \partial L / \partial r_b`.
    """
    if isinstance(cache, dict) and "rows" in cache:
        cache = check_cache(cache, ("rows", "num_nodes", "d"), "readout")
        d_out = check_upstream(d_out, (cache["rows"].size, cache["d"]), "readout")
        return segment_sum(d_out, cache["rows"], cache["num_nodes"])
    cache = check_cache(cache, ("node_graph", "count", "d"), "readout")
    d_out = check_upstream(d_out, (cache["count"].size, cache["d"]), "readout")
    ids = cache["node_graph"]
    return d_out[ids] / cache["count"][ids, None]


def init_linear(
    rng: np.random.Generator, d_in: int, d_out: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``linear``: ``W: (d_in, d_out)`` (Glorot uniform), ``b: (d_out,)`` (zeros)."""
    rng = as_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    return {"W": glorot(rng, d_in, d_out, dtype), "b": np.zeros(d_out, dtype=dtype)}


def linear(params: dict, x: ArrayLike, *, cache: dict | None = None) -> np.ndarray:
    r"""An affine map, e.g. the classifier on top of the readout: :math:`y = x W + b`.

    ``params``: ``W (d_in, d_out)``, ``b (d_out,)``; ``x: (..., d_in)``.
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d_in)")
    d_out = get_param(params, "W", None, x.dtype, "(d_in, d_out)").shape[1]
    ctx = f"x has d_in={x.shape[-1]} (and W has d_out={d_out})"
    W = get_param(params, "W", (x.shape[-1], d_out), x.dtype, ctx)
    b = get_param(params, "b", (d_out,), x.dtype, ctx)
    if cache is not None:
        cache.update(params=params, x=x)
    return x @ W + b


def linear_backward(cache: dict, d_out: np.ndarray) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``linear``: ``(d_params, d_x)``.

    .. math:: \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial y}, \quad
        \frac{\partial L}{\partial b} = \sum_i \frac{\partial L}{\partial y_i}, \quad
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^\top
    """
    cache = check_cache(cache, ("params", "x"), "linear")
    params, x = cache["params"], cache["x"]
    d_out = check_upstream(d_out, (*x.shape[:-1], np.shape(params["W"])[1]), "linear")
    x2, d2 = x.reshape(-1, x.shape[-1]), d_out.reshape(-1, d_out.shape[-1])
    return {"W": x2.T @ d2, "b": d2.sum(axis=0)}, d_out @ params["W"].T


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> tuple[float, np.ndarray]:
    r"""Mean cross-entropy of ``softmax(logits)`` against integer ``labels``, and its gradient.

    .. math:: L = -\frac{1}{B} \sum_b \log p_{b, y_b}, \quad
        p_b = \operatorname{softmax}(z_b), \qquad
        \frac{\partial L}{\partial z_b} = \frac{1}{B} (p_b - \text{onehot}(y_b))

    for ``logits: (B, C)`` (a row of class scores per example) and ``labels: (B,)``, ints
    in ``[0, C)``; returns ``(loss, d_logits)``, a float and ``(B, C)``. Computed with
    log-sum-exp, so large logits neither overflow nor give ``log(0)``.
    """
    z = as_float_array(logits, "logits", ndim=2)
    y = as_index_array(labels, "labels")
    B, C = z.shape
    if y.shape != (B,):
        raise ValueError(f"labels has shape {y.shape} but logits has shape {z.shape}; need ({B},)")
    if B == 0:
        raise ValueError("logits has no rows: the mean loss of an empty batch is undefined")
    check_range(y, "labels", C, f"{C} classes")
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(B), y].mean()
    d_logits = np.exp(log_p)
    d_logits[np.arange(B), y] -= 1
    return float(loss), d_logits / B


def accuracy(logits: ArrayLike, labels: ArrayLike) -> float:
    """The share of rows whose largest score is at the label: ``mean(argmax(logits) == labels)``."""
    z = as_float_array(logits, "logits", ndim=2, finite=False)
    y = as_index_array(labels, "labels")
    if y.shape != (z.shape[0],):
        raise ValueError(
            f"labels has shape {y.shape} but logits has shape {z.shape}; need ({len(z)},)"
        )
    return float((z.argmax(axis=1) == y).mean())


def classification_loss(
    forward: Callable, backward: Callable, params: Tree, *inputs, labels: ArrayLike
) -> tuple[float, float, Tree]:
    r"""Every model's loss: the forward pass, the cross-entropy, and the backward pass.

    .. math:: z = f(\theta; \text{inputs}), \quad L = \text{CE}(z, y), \quad
        \frac{\partial L}{\partial \theta} = f^\top\Big(\frac{\partial L}{\partial z}\Big)

    ``forward(params, *inputs, cache=cache)`` gives the class scores and fills the
    cache; ``backward(cache, d_scores)`` gives ``(d_params, d_input)`` (the
    convention of every layer). Returns ``(loss, accuracy, d_params)``: what
    ``train`` expects of a loss function.
    """
    cache: dict = {}
    scores = forward(params, *inputs, cache=cache)
    loss, d_scores = softmax_cross_entropy(scores, labels)
    d_params, _ = backward(cache, d_scores)
    return loss, accuracy(scores, labels), d_params


# --- gradient check ----------------------------------------------------------------------


def gradient_check(
    f: Callable[[Tree], float], params: Tree, grads: Tree, eps: float = 1e-6, scale: float = 1.0
):
    r"""Compare analytic gradients with central finite differences, parameter by parameter.

    For every entry :math:`\theta` of every array in ``params``, with :math:`\epsilon` = ``eps``:

    .. math:: g^\text{num} = \frac{f(\theta + \epsilon) - f(\theta - \epsilon)}{2 \epsilon},
        \qquad \text{error} = \max \frac{|g - g^\text{num}|}{\max(|g|,\ |g^\text{num}|,\
        \text{scale})}

    i.e. the relative error, turned into the absolute error for entries smaller than
    ``scale`` (finite differences cannot resolve tiny gradients to many digits: their
    round-off is about :math:`10^{-16} |f| / \epsilon`). In float64 with ``eps=1e-6``
    a correct gradient gives errors around 1e-9 or less.

    Args:
        f: the scalar function, ``f(params) -> float``; it must not modify ``params``.
        params: an array or a (nested) dict of float64 arrays, e.g. ``{"layer": params,
            "h": h}`` to check the gradient of the input as well.
        grads: the analytic gradients, same structure and shapes as ``params``.

    Returns:
        The max error per array, a float (or a dict of floats shaped like ``params``).
    """
    check_tree(params, "params")
    check_tree(grads, "grads", settings=False)
    work = tree_map(lambda p: np.array(p, dtype=np.float64), params)  # perturbed in place

    def check(p, g):
        if g.shape != p.shape:
            raise ValueError(f"a gradient has shape {g.shape} but its parameter has {p.shape}")
        num = np.zeros(p.shape)
        flat = p.reshape(-1)  # a view into `work`
        for idx in range(flat.size):
            old = flat[idx]
            flat[idx] = old + eps
            f_plus = f(work)
            flat[idx] = old - eps
            f_minus = f(work)
            flat[idx] = old
            num.reshape(-1)[idx] = (f_plus - f_minus) / (2 * eps)
        if not p.size:
            return 0.0
        denom = np.maximum(np.maximum(np.abs(g), np.abs(num)), scale)
        return float(np.max(np.abs(g - num) / denom))

    return tree_map(check, work, grads, keep_settings=False)
