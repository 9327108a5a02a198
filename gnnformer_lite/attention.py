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

import numpy as np

from ._checks import as_float_array, check_graph
from .message_passing import _softmax_sorted, propagate


def _check_qkv(q, k, v, min_ndim: int = 3):
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


def scaled_dot_product_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
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
    q, k, v = _check_qkv(q, k, v)
    qh = np.moveaxis(q, -2, -3)  # (..., H, n, d)
    kh = np.moveaxis(k, -2, -3)
    vh = np.moveaxis(v, -2, -3)
    scores = qh @ np.swapaxes(kh, -1, -2)  # (..., H, n, m)
    scores *= scores.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"mask must be a boolean array, got dtype {mask.dtype}")
        target = (*q.shape[:-3], q.shape[-3], k.shape[-3])
        try:
            full = np.broadcast_to(mask, np.broadcast_shapes(mask.shape, target))
        except ValueError:
            full = None
        if full is None or full.shape != target:
            raise ValueError(
                f"mask has shape {mask.shape}, which does not broadcast to (..., n, m) = "
                f"{target} for q of shape {q.shape} and k of shape {k.shape}"
            ) from None
        allowed = full[..., None, :, :]  # the same mask for every head
        scores = np.where(allowed, scores, -np.inf)
    weights = _softmax(scores, axis=-1)
    out = weights @ vh  # (..., H, n, d_v)
    return np.moveaxis(out, -3, -2), weights


def softmax(scores, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax along ``axis``; ``-inf`` entries get weight 0.

    .. math:: \operatorname{softmax}(x)_j = \frac{\exp(x_j - m)}{\sum_{j'} \exp(x_{j'} - m)},
        \qquad m = \max_{j'} x_{j'}

    A slice that is all ``-inf`` (nothing to attend to) gives zeros, not NaN.
    """
    scores = as_float_array(scores, "scores", finite=False)
    if np.isnan(scores).any() or np.isposinf(scores).any():
        raise ValueError(f"scores contains NaN or +inf (shape {scores.shape})")
    return _softmax(scores, axis)


def _softmax(scores: np.ndarray, axis: int) -> np.ndarray:
    m = scores.max(axis=axis, keepdims=True, initial=-np.inf)  # initial: also for 0 keys
    m[~np.isfinite(m)] = 0
    e = np.exp(scores - m)
    s = e.sum(axis=axis, keepdims=True)
    s[s == 0] = 1
    e /= s
    return e


def self_attention(h, W_Q, W_K, W_V) -> tuple[np.ndarray, np.ndarray]:
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
    q, k, v = (h @ mats[name] for name in ("W_Q", "W_K", "W_V"))
    out, weights = scaled_dot_product_attention(q[:, None], k[:, None], v[:, None])  # H = 1
    return out[:, 0], weights[0]


def graph_attention(q, k, v, graph) -> tuple[np.ndarray, np.ndarray]:
    r"""Sparse attention along the edges of ``graph``: node i attends to its neighbours j.

    .. math:: \text{out}_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij} v_j, \qquad
        \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
        \left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right)

    gather (``q[receivers]``, ``k[senders]``) -> score -> ``segment_softmax`` ->
    ``propagate``. Never builds an ``n x n`` array.

    Args:
        q, k: ``(n, H, d_head)``; v: ``(n, H, d_v)``.
        graph: a ``Graph`` on ``n`` nodes (self loops if a word should see itself).

    Returns:
        ``(out, alpha)``: ``out: (n, H, d_v)`` (0 at a node with no incoming
        edge), ``alpha: (E, H)`` in the graph's edge order.
    """
    q, k, v = _check_qkv(q, k, v)
    if q.ndim != 3 or k.shape[0] != q.shape[0]:
        raise ValueError(
            f"graph_attention takes q, k, v of shape (n, H, d_head); got q {q.shape}, k {k.shape}"
        )
    check_graph(graph, q.shape[0], "q")
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    scores = np.einsum("ehd,ehd->eh", q[graph.receivers], k[graph.senders]) * scale
    alpha = _softmax_sorted(scores, graph.indptr)
    out = propagate(graph, alpha[:, :, None] * v[graph.senders])
    return out, alpha


def edge_weights_to_dense(graph, alpha) -> np.ndarray:
    """Scatter per-edge weights into dense matrices, for plotting and checking.

    Args:
        graph: a ``Graph``.
        alpha: ``(E, H)`` (or ``(E,)``) weights in the graph's edge order.

    Returns:
        ``(H, n, n)`` (or ``(n, n)``) with ``dense[h, i, j] = alpha[e, h]`` for
        the edge ``e: j -> i`` and 0 where there is no edge (row = receiver).
    """
    check_graph(graph)
    alpha = as_float_array(alpha, "alpha", finite=False)
    if alpha.ndim not in (1, 2) or alpha.shape[0] != graph.num_edges:
        raise ValueError(
            f"alpha has shape {alpha.shape} but the graph has {graph.num_edges} edges; "
            f"expected (E,) or (E, H) with E={graph.num_edges}"
        )
    n = graph.num_nodes
    a2 = alpha if alpha.ndim == 2 else alpha[:, None]  # (E, H); reshape(E, -1) fails for E = 0
    dense = np.zeros((a2.shape[1], n, n), dtype=alpha.dtype)
    dense[:, graph.receivers, graph.senders] = a2.T
    return dense if alpha.ndim == 2 else dense[0]
