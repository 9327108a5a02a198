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
from ._checks import as_float_array
from .graphs import Graph, check_graph
from .message_passing import propagate, segment_softmax


def scaled_dot_product_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, mask: ArrayLike | None = None
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

    Returns:
        ``(out, weights)``: ``out: (..., n, H, d_v)``, ``weights: (..., H, n, m)``.
    """
    q, k, v, mask = _check_sdpa(q, k, v, mask)
    if math.prod(q.shape[:-1]) * k.shape[-3] >= _kernels.MIN_ATTENTION_WEIGHTS:  # (..., n, H) x m
        return _kernels.dense_attention(q, k, v, mask)  # long sentences: same numbers, faster
    q, k, v = (np.moveaxis(x, -2, -3) for x in (q, k, v))  # heads first: (..., H, n, d)
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(max(q.shape[-1], 1))  # q_i . k_j / sqrt(d)
    if mask is not None:
        scores = np.where(mask[..., None, :, :], scores, -np.inf)  # same mask for every head
    weights = softmax(scores)  # softmax over the keys j
    return np.moveaxis(weights @ v, -3, -2), weights


def softmax(scores: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax along ``axis``; ``-inf`` entries get weight 0.

    .. math:: \operatorname{softmax}(x)_j = \frac{\exp(x_j - m)}{\sum_{j'} \exp(x_{j'} - m)},
        \qquad m = \max_{j'} x_{j'}

    A slice that is all ``-inf`` (nothing to attend to) gives zeros, not NaN.
    """
    scores = _check_scores(scores)
    m = scores.max(axis=axis, keepdims=True, initial=-np.inf)  # initial: also for 0 keys
    m[~np.isfinite(m)] = 0  # (a row of only -inf: keep exp(-inf - 0) = 0)
    e = np.exp(scores - m)
    total = e.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # (nothing to attend to: weights 0, not 0/0)
    return e / total


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
    out, weights = scaled_dot_product_attention(q[:, None], k[:, None], v[:, None])  # H = 1
    return out[:, 0], weights[0]


def graph_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, graph: Graph
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

    Returns:
        ``(out, alpha)``: ``out: (n, H, d_v)`` (0 at a node with no incoming
        edge), ``alpha: (E, H)`` in the graph's edge order.
    """
    q, k, v = _check_graph_attention(q, k, v, graph)
    if graph.num_edges * q.shape[1] >= _kernels.MIN_EDGE_HEADS:  # big graphs: same numbers
        return _kernels.graph_attention(q, k, v, graph.senders, graph.indptr)
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    scores = np.einsum("ehd,ehd->eh", q[r], k[s]) / math.sqrt(max(q.shape[-1], 1))  # gather, score
    alpha = segment_softmax(scores, r, n, indptr=graph.indptr)  # softmax over each N(i)
    out = propagate(graph, alpha[:, :, None] * v[s])  # sum alpha_ij v_j into each receiver
    return out, alpha


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
    dtype = np.result_type(q, k, v)
    return q.astype(dtype, copy=False), k.astype(dtype, copy=False), v.astype(dtype, copy=False)


def _check_sdpa(q, k, v, mask):
    __tracebackhide__ = True
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
    if not (scores < np.inf).all():  # one pass: False for NaN and for +inf
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
