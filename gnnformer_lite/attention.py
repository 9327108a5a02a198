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

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_graph
from .message_passing import bucket_pieces

if TYPE_CHECKING:
    from .graphs import Graph


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
    q, k, v = _check_qkv(q, k, v)
    allowed = None if mask is None else _check_mask(mask, q.shape, k.shape)
    qh = np.moveaxis(q, -2, -3)  # (..., H, n, d)
    kT = np.moveaxis(k, -3, -1)  # (..., H, d, m)
    vh = np.moveaxis(v, -2, -3)  # (..., H, m, d_v)
    batch, (H, n, m) = q.shape[:-3], (q.shape[-2], q.shape[-3], k.shape[-3])
    if m == 0:  # nothing to attend to: output 0 (matmul refuses a 0-wide out= here)
        out = np.zeros((*batch, n, H, v.shape[-1]), dtype=q.dtype)
        return out, np.zeros((*batch, H, n, m), dtype=q.dtype)
    weights = np.empty((*batch, H, n, m), dtype=q.dtype)  # every block below fills its rows
    out = np.empty((*batch, H, n, v.shape[-1]), dtype=q.dtype)
    scale = q.dtype.type(1.0 / np.sqrt(max(q.shape[-1], 1)))  # d = 0: all scores 0
    # The textbook lines are: weights = softmax(q k^T / sqrt(d)); out = weights @ v.
    # Done for a block of queries at a time, every pass over the scores stays in the
    # CPU cache and the softmax runs in place: 2-3x faster for long sentences.
    for rows in _query_blocks(weights):
        s = weights[..., rows, :]  # a view: results land in `weights`
        np.matmul(qh[..., rows, :], kT, out=s)
        s *= scale
        if allowed is not None:
            np.copyto(s, -np.inf, where=~allowed[..., None, rows, :])  # same mask for each head
        _softmax_inplace(s)
        np.matmul(s, vh, out=out[..., rows, :])
    return np.moveaxis(out, -3, -2), weights


def _query_blocks(weights: np.ndarray, block_bytes: int = 1 << 20) -> list[slice]:
    """Split the query axis of ``weights (..., H, n, m)`` into blocks of about 1 MB."""
    n = weights.shape[-2]
    per_row = max(1, weights[..., :1, :].nbytes)
    step = max(1, min(n, block_bytes // per_row))
    return [slice(a, a + step) for a in range(0, n, step)]


def _check_mask(mask, q_shape: tuple, k_shape: tuple) -> np.ndarray:
    """Check a boolean mask against ``(..., n, m)``; return it broadcast to that shape."""
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


def softmax(scores: ArrayLike, axis: int = -1) -> np.ndarray:
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
    return _softmax_inplace(np.array(scores, copy=True), axis)


def _softmax_inplace(s: np.ndarray, axis: int = -1) -> np.ndarray:
    """Overwrite ``s`` with its softmax along ``axis`` (stable; an all -inf slice gives 0)."""
    m = s.max(axis=axis, keepdims=True, initial=-np.inf)  # initial: also for 0 keys
    m[~np.isfinite(m)] = 0
    s -= m
    np.exp(s, out=s)
    if axis == -1:  # rows summed by a matrix-vector product: 5x faster than .sum for short rows
        total = s @ np.ones((s.shape[-1], 1), dtype=s.dtype)
    else:
        total = s.sum(axis=axis, keepdims=True)
    total[total == 0] = 1
    s *= 1 / total
    return s


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


def graph_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, graph: Graph
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sparse attention along the edges of ``graph``: node i attends to its neighbours j.

    .. math:: \text{out}_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij} v_j, \qquad
        \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
        \left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right)

    In message-passing terms: gather (``q[receivers]``, ``k[senders]``) -> score ->
    ``segment_softmax`` -> ``propagate``; the code computes exactly that, one bucket
    of equal in-degree nodes at a time (see the comment inside). Never builds an
    ``n x n`` array: memory grows with the number of edges.

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
    (n, H, d), d_v = q.shape, v.shape[-1]
    scale = q.dtype.type(1.0 / np.sqrt(max(d, 1)))  # d = 0: scores are all 0 anyway
    # The textbook version is four lines (the tests and notebook 04 run it as the reference):
    #   scores = einsum("ehd,ehd->eh", q[receivers], k[senders]) * scale
    #   alpha = segment_softmax(scores, receivers, n)
    #   out = propagate(graph, alpha[:, :, None] * v[senders])
    # Faster, same numbers: nodes with the same in-degree D form a bucket, and a block of
    # m of them is a small dense problem: D keys each, laid out (D, m, H, d) so that the
    # softmax over the D neighbours reduces whole (m, H) slabs. 2-4x faster on windows.
    out = np.zeros((n, H, d_v), dtype=q.dtype)
    alpha = np.zeros((graph.num_edges, H), dtype=q.dtype)
    block_rows = _BLOCK_ELEMENTS // max(1, H * (d + d_v))
    for segs, D, rows in bucket_pieces(graph.degree_buckets, block_rows):
        m = len(segs)
        nbr = graph.senders[rows].reshape(m, D).T.ravel()  # neighbour-major: (D * m,)
        kb = np.take(k, nbr, axis=0).reshape(D, m, H, d)
        vb = np.take(v, nbr, axis=0).reshape(D, m, H, d_v)
        s = np.einsum("mhd,Dmhd->Dmh", q[segs], kb)  # q_i . k_j for each of the D neighbours
        s *= scale
        _softmax_inplace(s, axis=0)
        out[segs] = np.einsum("Dmh,Dmhd->mhd", s, vb)
        alpha[rows] = s.transpose(1, 0, 2).reshape(m * D, H)  # back to edge order
    return out, alpha


_BLOCK_ELEMENTS = 1 << 18  # keys + values of one block: ~1 MB of float32


def edge_weights_to_dense(graph: Graph, alpha: ArrayLike) -> np.ndarray:
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
