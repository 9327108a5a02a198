r"""Scaled dot-product attention, dense (all pairs) and sparse (along a graph's edges).

The Transformer updates word i as an attention-weighted sum over words j:

.. math::
    h_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, v_j, \qquad
    \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
        \left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right)

with ``q = h W_Q``, ``k = h W_K``, ``v = h W_V``. With ``N(i) = S`` (every word)
this is the dense matrix form ``softmax(Q K^T / sqrt(d)) V``; with a graph it is a
GAT-style layer that scores and sums along edges. On the complete graph the two
are the same computation, which is the claim of the course.

Shapes: ``q, k, v: (n, H, d_head)`` -- node, head, feature.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels
from ._checks import as_float_array, check_cache, check_upstream, no_nan_or_plus_inf
from .graphs import Graph, check_graph
from .message_passing import (
    propagate,
    propagate_backward,
    segment_softmax,
    segment_softmax_backward,
    segment_sum,
)

__all__ = [
    "edge_weights_to_dense",
    "graph_attention",
    "graph_attention_backward",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "self_attention",
    "softmax",
    "softmax_backward",
]


def scaled_dot_product_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    cache: dict | None = None,
    check_input: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Dense attention: every query i against every key j (optionally masked).

    .. math:: \text{out}_i = \sum_j \operatorname{softmax}_j
        \left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right) v_j

    Args:
        q: ``(..., n, H, d_head)`` queries.
        k: ``(..., m, H, d_head)`` keys (``m = n`` for self-attention).
        v: ``(..., m, H, d_v)`` values.
        mask: optional boolean ``(n, m)`` or broadcastable to ``(..., n, m)``;
            ``mask[i, j] = True`` means query i may attend to key j (the
            orientation of ``g.adjacency()``). A query with nothing to attend to
            gets output 0, never NaN.
        cache: if a dict, filled with what ``scaled_dot_product_attention_backward``
            needs (then the textbook lines below always run).
        check_input: ``False`` skips the checks of ``q, k, v`` (not of ``mask``), for
            callers that made them from arrays they checked (``multi_head_attention``
            does: inputs are checked once, where they enter the package).

    Returns:
        ``(out, weights)``: ``out: (..., n, H, d_v)``, ``weights: (..., H, n, m)``.
    """
    q, k, v, mask = _check_sdpa(q, k, v, mask, check_input)
    big = math.prod(q.shape[:-1]) * k.shape[-3] >= _kernels.MIN_ATTENTION_WEIGHTS  # (..., n, H) x m
    if big and cache is None:
        return _kernels.dense_attention(q, k, v, mask)  # long sentences: same numbers, faster
    # heads first: (..., H, n, d)
    q, k, v = q.swapaxes(-3, -2), k.swapaxes(-3, -2), v.swapaxes(-3, -2)
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(max(q.shape[-1], 1))  # q_i . k_j / sqrt(d)
    if mask is not None:
        scores = np.where(mask[..., None, :, :], scores, -np.inf)  # same mask for every head
    weights = _softmax(scores)  # softmax over the keys j
    if cache is not None:
        cache.update(q=q, k=k, v=v, weights=weights)  # heads first: (..., H, n, d)
    return (weights @ v).swapaxes(-3, -2), weights


def scaled_dot_product_attention_backward(
    cache: dict, d_out: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of ``scaled_dot_product_attention``: ``(d_q, d_k, d_v)``.

    With :math:`S = Q K^\top / \sqrt{d}`, :math:`A = \operatorname{softmax}(S)`,
    :math:`O = A V` for each head, and :math:`G = \partial L / \partial O`:

    .. math::
        \frac{\partial L}{\partial V} = A^\top G, \quad
        \frac{\partial L}{\partial A} = G V^\top, \quad
        \frac{\partial L}{\partial S} = A \odot \Big(\frac{\partial L}{\partial A}
            - \operatorname{rowsum}\big(A \odot \frac{\partial L}{\partial A}\big)\Big),

    .. math::
        \frac{\partial L}{\partial Q} = \frac{1}{\sqrt{d}} \frac{\partial L}{\partial S} K,
        \qquad
        \frac{\partial L}{\partial K} = \frac{1}{\sqrt{d}}
            \Big(\frac{\partial L}{\partial S}\Big)^\top Q.

    Masked pairs have weight 0 and get gradient 0.

    Args:
        cache: the dict given to ``scaled_dot_product_attention(..., cache=cache)``.
        d_out: ``(..., n, H, d_v)``, the gradient of the loss with respect to ``out``.

    Returns:
        ``(d_q, d_k, d_v)`` shaped like ``q, k, v``.
    """
    cache = check_cache(cache, ("q", "k", "v", "weights"), "scaled_dot_product_attention")
    q, k, v, weights = cache["q"], cache["k"], cache["v"], cache["weights"]  # (..., H, n, d)
    shape = (*q.shape[:-3], q.shape[-2], q.shape[-3], v.shape[-1])
    G = np.moveaxis(check_upstream(d_out, shape, "scaled_dot_product_attention"), -2, -3)
    d_v = np.swapaxes(weights, -1, -2) @ G  # out = weights @ v
    d_weights = G @ np.swapaxes(v, -1, -2)
    d_scores = _softmax_backward(weights, d_weights) / math.sqrt(max(q.shape[-1], 1))
    d_q = d_scores @ k  # scores = q k^T / sqrt(d)
    d_k = np.swapaxes(d_scores, -1, -2) @ q
    return tuple(np.moveaxis(x, -3, -2) for x in (d_q, d_k, d_v))


def softmax(scores: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax along ``axis``; ``-inf`` entries get weight 0.

    .. math:: \operatorname{softmax}(x)_j = \frac{\exp(x_j - m)}{\sum_{j'} \exp(x_{j'} - m)},
        \qquad m = \max_{j'} x_{j'}

    A slice that is all ``-inf`` (nothing to attend to) gives zeros, not NaN.
    """
    return _softmax(_check_scores(scores), axis)


def _softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """The body of ``softmax``, for callers in this module whose scores are checked."""
    lowest = np.finfo(scores.dtype).min  # (a row of only -inf, or of no keys, gets a finite m:
    m = scores.max(axis=axis, keepdims=True, initial=lowest)  # exp(-inf - m) = 0, never NaN)
    e = np.exp(scores - m)
    total = e.sum(axis=axis, keepdims=True)  # >= 1 wherever a key is finite: exp(max - m) = 1
    return e / np.maximum(total, 1)  # (nothing to attend to: total 0, weights 0, not 0/0)


def softmax_backward(weights: ArrayLike, d_weights: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Gradient of ``softmax``: from :math:`\partial L / \partial w` to the scores.

    .. math:: \frac{\partial L}{\partial x_j} = w_j \Big(\frac{\partial L}{\partial w_j}
        - \sum_{j'} w_{j'} \frac{\partial L}{\partial w_{j'}}\Big)

    (the Jacobian of the softmax is :math:`\operatorname{diag}(w) - w w^\top`).

    Args:
        weights: the output of ``softmax(scores, axis)``.
        d_weights: the gradient of the loss with respect to ``weights``, same shape.
        axis: the axis the softmax ran over.
    """
    weights = as_float_array(weights, "weights")
    d_weights = as_float_array(d_weights, "d_weights")
    if d_weights.shape != weights.shape:
        raise ValueError(f"d_weights has shape {d_weights.shape} but weights has {weights.shape}")
    return _softmax_backward(weights, d_weights, axis)


def _softmax_backward(weights: np.ndarray, d_weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """The body of ``softmax_backward``, for callers in this module."""
    return weights * (d_weights - (weights * d_weights).sum(axis=axis, keepdims=True))


def self_attention(
    h: ArrayLike, W_Q: ArrayLike, W_K: ArrayLike, W_V: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    r"""One head of self-attention over all words: the talk's Transformer update.

    .. math:: h_i' = \sum_{j \in S} \operatorname{softmax}_j
        \left(\frac{q_i \cdot k_j}{\sqrt{d_k}}\right) v_j,
        \qquad q_i = h_i W_Q,\ k_j = h_j W_K,\ v_j = h_j W_V

    (the talk writes :math:`Q h_i`; features here are row vectors).

    Args:
        h: ``(n, d)`` word features.
        W_Q, W_K: ``(d, d_k)``; W_V: ``(d, d_v)``.

    Returns:
        ``(h', alpha)``: ``h': (n, d_v)`` and ``alpha: (n, n)``, row i = receiver (query).
    """
    h, W_Q, W_K, W_V = _check_self_attention(h, W_Q, W_K, W_V)
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = _softmax(q @ k.T / math.sqrt(max(k.shape[1], 1)))  # alpha_ij: row i sums to 1
    return alpha @ v, alpha


def graph_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    graph: Graph,
    *,
    cache: dict | None = None,
    check_input: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sparse attention along the edges of ``graph``: node i attends to its neighbours j.

    .. math:: \text{out}_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij} v_j, \qquad
        \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
        \left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right)

    In message-passing terms, as the body reads: gather (``q[receivers]``,
    ``k[senders]``) -> score -> ``segment_softmax`` -> ``propagate``. Never builds
    an ``n x n`` array: memory grows with the number of edges. (Big graphs run the
    same computation one bucket of equal in-degree nodes at a time, in ``_kernels``.)

    Args:
        q, k: ``(n, H, d_head)``; v: ``(n, H, d_v)``.
        graph: a ``Graph`` on ``n`` nodes (self loops if a word should see itself).
        cache: if a dict, filled with what ``graph_attention_backward`` needs
            (then the textbook lines below always run).
        check_input: ``False`` skips the checks, for callers that made ``q, k, v``
            from arrays they checked, for this graph (as ``multi_head_attention``).

    Returns:
        ``(out, alpha)``: ``out: (n, H, d_v)`` (0 at a node with no incoming
        edge), ``alpha: (E, H)`` in the graph's edge order.
    """
    if check_input:
        q, k, v = _check_graph_attention(q, k, v, graph)
    big = graph.num_edges * q.shape[1] >= _kernels.MIN_EDGE_HEADS
    if big and cache is None:  # big graphs: same numbers, faster
        return _kernels.graph_attention(q, k, v, graph.senders, graph.indptr)
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    scores = np.einsum("ehd,ehd->eh", q[r], k[s]) / math.sqrt(max(q.shape[-1], 1))  # gather, score
    alpha = segment_softmax(scores, r, n, graph.indptr, check_input=False)  # over each N(i)
    out = propagate(graph, alpha[:, :, None] * v[s])  # sum alpha_ij v_j into each receiver
    if cache is not None:
        cache.update(q=q, k=k, v=v, alpha=alpha, graph=graph)
    return out, alpha


def graph_attention_backward(
    cache: dict, d_out: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of ``graph_attention``: message passing backwards, on the reversed graph.

    With :math:`s_e = q_i \cdot k_j / \sqrt{d}` for edge :math:`e: j \to i` and
    :math:`G_i = \partial L / \partial\, \text{out}_i`:

    .. math::
        \frac{\partial L}{\partial \alpha_e} = G_i \cdot v_j, \qquad
        \frac{\partial L}{\partial v_j} = \sum_{i : j \in \mathcal{N}(i)} \alpha_{ij} G_i,
        \qquad \frac{\partial L}{\partial s} =
            \texttt{segment\_softmax\_backward}(\alpha, \partial L / \partial \alpha),

    .. math::
        \frac{\partial L}{\partial q_i} = \frac{1}{\sqrt{d}}
            \sum_{j \in \mathcal{N}(i)} \frac{\partial L}{\partial s_{ij}} k_j, \qquad
        \frac{\partial L}{\partial k_j} = \frac{1}{\sqrt{d}}
            \sum_{i : j \in \mathcal{N}(i)} \frac{\partial L}{\partial s_{ij}} q_i.

    The backward of ``propagate`` is a gather by receivers (``propagate_backward``);
    the backward of the gathers ``v[senders]``, ``k[senders]`` is a segment sum over
    senders, i.e. ``propagate`` on the reversed graph; the backward of the gather
    ``q[receivers]`` is ``propagate`` itself.

    Args:
        cache: the dict given to ``graph_attention(..., cache=cache)`` (it holds the graph).
        d_out: ``(n, H, d_v)``, the gradient of the loss with respect to ``out``.

    Returns:
        ``(d_q, d_k, d_v)`` shaped like ``q, k, v``.
    """
    cache = check_cache(cache, ("q", "k", "v", "alpha", "graph"), "graph_attention")
    q, k, v, alpha, graph = (cache[key] for key in ("q", "k", "v", "alpha", "graph"))
    G = check_upstream(d_out, (*q.shape[:-1], v.shape[-1]), "graph_attention")
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    d_messages = propagate_backward(graph, G)  # (E, H, d_v): each edge gets G of its receiver
    d_alpha = np.einsum("ehd,ehd->eh", d_messages, v[s])  # message = alpha_ij v_j
    d_v = segment_sum(alpha[:, :, None] * d_messages, s, n)  # sum over senders: reversed graph
    d_scores = segment_softmax_backward(alpha, d_alpha, r, n) / math.sqrt(max(q.shape[-1], 1))
    d_q = propagate(graph, d_scores[:, :, None] * k[s])  # backward of the gather q[receivers]
    d_k = segment_sum(d_scores[:, :, None] * q[r], s, n)  # backward of the gather k[senders]
    return d_q, d_k, d_v


def edge_weights_to_dense(graph: Graph, alpha: ArrayLike) -> np.ndarray:
    """Scatter per-edge weights into dense matrices, for plotting and checking.

    Args:
        graph: a ``Graph``.
        alpha: ``(E, H)`` (or ``(E,)``) weights in the graph's edge order.

    Returns:
        ``(H, n, n)`` (or ``(n, n)``) with ``dense[h, i, j] = alpha[e, h]`` for
        the edge ``e: j -> i`` and 0 where there is no edge (row = receiver).
    """
    alpha = _check_edge_weights(graph, alpha)
    n = graph.num_nodes
    a2 = alpha if alpha.ndim == 2 else alpha[:, None]  # (E, H); reshape(E, -1) fails for E = 0
    dense = np.zeros((a2.shape[1], n, n), dtype=alpha.dtype)
    dense[:, graph.receivers, graph.senders] = a2.T
    return dense if alpha.ndim == 2 else dense[0]


# --------------------------------------------------------------------------- input checks


def _check_qkv(q, k, v, min_ndim: int = 3):
    __tracebackhide__ = True
    q = as_float_array(q, "q")
    k = as_float_array(k, "k")
    v = as_float_array(v, "v")
    for name, x in (("q", q), ("k", k), ("v", v)):
        if x.ndim < min_ndim:
            raise ValueError(f"{name} must be (..., n, H, d_head), got shape {x.shape}")
    if q.shape[-1] != k.shape[-1] or q.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"q has shape {q.shape} and k has shape {k.shape}: they need the same "
            f"number of heads H and the same d_head"
        )
    if k.shape[:-1] != v.shape[:-1]:
        raise ValueError(
            f"k has shape {k.shape} and v has shape {v.shape}: they need the same "
            f"(..., n, H) (one value per key)"
        )
    if q.shape[:-3] != k.shape[:-3]:
        raise ValueError(f"q has batch shape {q.shape[:-3]} but k has {k.shape[:-3]}")
    if q.dtype == k.dtype == v.dtype:
        return q, k, v
    dtype = np.result_type(q, k, v)
    return q.astype(dtype, copy=False), k.astype(dtype, copy=False), v.astype(dtype, copy=False)


def _check_sdpa(q, k, v, mask, check_input: bool = True):
    __tracebackhide__ = True
    if check_input:
        q, k, v = _check_qkv(q, k, v)
    return q, k, v, (None if mask is None else _check_mask(mask, q.shape, k.shape))


def _check_mask(mask, q_shape: tuple, k_shape: tuple) -> np.ndarray:
    """Check a boolean mask against ``(..., n, m)``; return it broadcast to that shape."""
    __tracebackhide__ = True
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array, got dtype {mask.dtype}")
    target = (*q_shape[:-3], q_shape[-3], k_shape[-3])
    try:
        full = np.broadcast_to(mask, np.broadcast_shapes(mask.shape, target))
    except ValueError:
        full = None
    if full is None or full.shape != target:
        raise ValueError(
            f"mask has shape {mask.shape}, which does not broadcast to (..., n, m) = "
            f"{target} for q of shape {q_shape} and k of shape {k_shape}"
        ) from None
    return full


def _check_scores(scores) -> np.ndarray:
    __tracebackhide__ = True
    scores = as_float_array(scores, "scores", finite=False)
    if not no_nan_or_plus_inf(scores):
        raise ValueError(f"scores contains NaN or +inf (shape {scores.shape})")
    return scores


def _check_graph_attention(q, k, v, graph):
    __tracebackhide__ = True
    q, k, v = _check_qkv(q, k, v)
    if q.ndim != 3 or k.shape[0] != q.shape[0]:
        raise ValueError(
            f"graph_attention takes q, k, v of shape (n, H, d_head); got q {q.shape}, k {k.shape}"
        )
    check_graph(graph, q.shape[0], "q")
    return q, k, v


def _check_self_attention(h, W_Q, W_K, W_V):
    __tracebackhide__ = True
    h = as_float_array(h, "h", ndim=2)
    mats = {"W_Q": W_Q, "W_K": W_K, "W_V": W_V}
    for name, W in mats.items():
        W = mats[name] = as_float_array(W, name, ndim=2)
        if W.shape[0] != h.shape[1]:
            raise ValueError(f"{name} has shape {W.shape} but h has d={h.shape[1]} features")
    if mats["W_Q"].shape[1] != mats["W_K"].shape[1]:
        raise ValueError(
            f"W_Q has shape {mats['W_Q'].shape} and W_K has shape {mats['W_K'].shape}: "
            f"queries and keys need the same width d_k"
        )
    return h, mats["W_Q"], mats["W_K"], mats["W_V"]


def _check_edge_weights(graph, alpha) -> np.ndarray:
    __tracebackhide__ = True
    check_graph(graph)
    alpha = as_float_array(alpha, "alpha", finite=False)
    if alpha.ndim not in (1, 2) or alpha.shape[0] != graph.num_edges:
        raise ValueError(
            f"alpha has shape {alpha.shape} but the graph has {graph.num_edges} edges; "
            f"expected (E,) or (E, H) with E={graph.num_edges}"
        )
    return alpha
