r"""Message passing in three verbs: gather, reduce by segment, scatter back.

Every layer of the course is written with these functions, as in jraph:

1. **gather**: pick each edge's sender features, ``h[graph.senders]`` (``(E, d)``);
2. **score** (attention layers only) and normalise with ``segment_softmax``;
3. **aggregate** the messages at their receivers with ``propagate`` / ``segment_sum``:

.. math:: m_i = \sum_{j \in \mathcal{N}(i)} \text{message}_{j \to i}.

A *segment* is the set of edges that share an id (here: a receiver). Empty
segments (isolated nodes) give 0, never NaN. No function modifies its inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import _parallel
from ._checks import as_count, as_float_array, as_index_array, check_graph

if TYPE_CHECKING:
    from .graphs import Graph


def _check_segments(data, segment_ids, num_segments, data_name: str = "data"):
    """Validate a (data, ids, n) triple; return (data, ids, n, order-or-None, indptr)."""
    num_segments = as_count(num_segments, "num_segments")
    ids = as_index_array(segment_ids, "segment_ids")
    data = np.asarray(data)
    if data.ndim == 0 or data.shape[0] != ids.shape[0]:
        raise ValueError(
            f"{data_name} has shape {data.shape} but segment_ids has {ids.shape[0]} entries; "
            f"{data_name} needs one row per entry"
        )
    if ids.size and (ids.min() < 0 or ids.max() >= num_segments):
        bad = ids[(ids < 0) | (ids >= num_segments)][0]
        raise ValueError(
            f"segment_ids contains {bad}, out of range for num_segments={num_segments}"
        )
    counts = np.bincount(ids, minlength=num_segments)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    order = None
    if ids.size > 1 and not (ids[1:] >= ids[:-1]).all():
        order = np.argsort(ids, kind="stable")  # general path: sort once, then reduce
    return data, ids, num_segments, order, indptr


# Rows narrower than this are summed with ``np.add.reduceat``; wider rows by degree bucket.
_WIDE_ROW = 8


def _sum_sorted(data: np.ndarray, indptr: np.ndarray, buckets=None) -> np.ndarray:
    """Sum consecutive rows ``data[indptr[k]:indptr[k+1]]`` for every segment k.

    The obvious ``np.add.at(out, ids, data)`` is the reference (see the tests);
    this is the same sum, shaped for speed: ``reduceat`` is fast for narrow rows
    (scalars, one score per head) but slow for wide ones, where summing each
    bucket of equal-length segments as one ``(m, D, ...)`` block is 10x faster.
    Big inputs are cut into pieces that run on two or more threads (``_parallel``).
    """
    if data.dtype == bool:
        data = data.astype(np.int64)
    out = np.zeros((indptr.shape[0] - 1, *data.shape[1:]), dtype=data.dtype)
    if data.shape[0] == 0:
        return out
    if data[0].size < _WIDE_ROW:
        starts = indptr[:-1]
        nonempty = starts < indptr[1:]
        out[nonempty] = np.add.reduceat(data, starts[nonempty], axis=0)
        return out

    def sum_bucket(piece):  # out[segs] = the sum of each segment's D rows
        segs, D, rows = piece
        block = data[rows] if isinstance(rows, slice) else np.take(data, rows, axis=0)
        out[segs] = np.einsum("mD...->m...", block.reshape(len(segs), D, *data.shape[1:]))

    buckets = degree_buckets(indptr) if buckets is None else buckets
    piece_rows = -(-data.shape[0] // (2 * _parallel.THREADS))  # about two pieces a thread
    _parallel.run(sum_bucket, bucket_pieces(buckets, piece_rows), data.size)
    return out


def bucket_pieces(buckets, max_rows: int) -> list:
    """Cut each degree bucket into pieces of whole segments with at most ~``max_rows`` rows.

    Keeps blocks small enough for the CPU cache, or splits work between threads.
    """
    pieces = []
    for segs, D, rows in buckets:
        step = max(1, max_rows // D)  # segments a piece
        for lo in range(0, len(segs), step):
            hi = min(lo + step, len(segs))
            if isinstance(rows, slice):
                part = slice(rows.start + lo * D, rows.start + hi * D)
            else:
                part = rows[lo * D : hi * D]
            pieces.append((segs[lo:hi], D, part))
    return pieces


def degree_buckets(indptr: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray | slice]]:
    """Group the segments by length D: ``[(segs, D, rows), ...]``, one entry per D > 0.

    ``segs: (m,)`` are the segments of length D and ``rows: (m * D,)`` their entries,
    segment by segment, so ``data[rows].reshape(m, D, ...)`` lines them up. When the
    rows are one contiguous run (the complete graph, the middle of a window graph)
    ``rows`` is a ``slice``: a view, no copy.
    """
    counts = np.diff(indptr)
    order = np.argsort(counts, kind="stable")
    cuts = np.flatnonzero(np.diff(counts[order])) + 1
    buckets = []
    for segs in np.split(order, cuts):
        D = int(counts[segs[0]]) if segs.size else 0
        if D == 0:
            continue
        rows = (indptr[segs, None] + np.arange(D)).ravel()
        if rows[-1] - rows[0] + 1 == rows.size:  # increasing, so one contiguous run
            rows = slice(int(rows[0]), int(rows[-1]) + 1)
        for arr in (segs, rows):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False  # cached on an immutable Graph
        buckets.append((segs, D, rows))
    return buckets


def _max_sorted(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Max of consecutive rows per segment; 0 for an empty segment."""
    out = np.zeros((indptr.shape[0] - 1, *data.shape[1:]), dtype=data.dtype)
    starts = indptr[:-1]
    nonempty = starts < indptr[1:]
    if data.shape[0]:
        out[nonempty] = np.maximum.reduceat(data, starts[nonempty], axis=0)
    return out


def segment_sum(data: ArrayLike, segment_ids: ArrayLike, num_segments: int) -> np.ndarray:
    r"""Sum the rows of ``data`` that share a segment id.

    .. math:: \text{out}[k] = \sum_{e : \text{segment\_ids}[e] = k} \text{data}[e]

    Args:
        data: ``(E, ...)`` one row per entry.
        segment_ids: ``(E,)`` ints in ``[0, num_segments)``, any order.
        num_segments: number of output rows.

    Returns:
        ``(num_segments, ...)``; 0 for a segment with no entries.
    """
    data, _, _, order, indptr = _check_segments(data, segment_ids, num_segments)
    if order is not None:
        data = np.take(data, order, axis=0)
    return _sum_sorted(data, indptr)


def segment_max(data: ArrayLike, segment_ids: ArrayLike, num_segments: int) -> np.ndarray:
    """Max of the rows of ``data`` that share a segment id: ``(num_segments, ...)``.

    An empty segment gives 0 (as PyG's ``scatter(..., reduce="max")``), not -inf.
    """
    data, _, _, order, indptr = _check_segments(data, segment_ids, num_segments)
    if order is not None:
        data = np.take(data, order, axis=0)
    return _max_sorted(data, indptr)


def segment_mean(data: ArrayLike, segment_ids: ArrayLike, num_segments: int) -> np.ndarray:
    r"""Mean of the rows of ``data`` that share a segment id; 0 for an empty segment.

    .. math:: \text{out}[k] = \frac{1}{c_k} \sum_{e : \text{ids}[e] = k} \text{data}[e],
        \qquad c_k = |\{e : \text{ids}[e] = k\}|
    """
    data, _, _, order, indptr = _check_segments(data, segment_ids, num_segments)
    if order is not None:
        data = np.take(data, order, axis=0)
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    total = _sum_sorted(data, indptr)
    count = np.maximum(np.diff(indptr), 1).astype(data.dtype)
    return total / count.reshape(-1, *([1] * (data.ndim - 1)))


def segment_softmax(logits: ArrayLike, segment_ids: ArrayLike, num_segments: int) -> np.ndarray:
    r"""Softmax over the entries of each segment (over each receiver's incoming edges).

    .. math:: \alpha_e = \frac{\exp(e_e - m_k)}{\sum_{e' : \text{ids}[e'] = k} \exp(e_{e'} - m_k)},
       \qquad m_k = \max_{e' : \text{ids}[e'] = k} e_{e'},\ k = \text{ids}[e]

    Subtracting the segment's max ``m_k`` changes nothing mathematically but keeps
    ``exp`` from overflowing: logits of 1e4 are fine in float32 and float64.

    Args:
        logits: ``(E,)`` or ``(E, H)`` real scores; ``-inf`` means "masked out".
        segment_ids: ``(E,)`` ints in ``[0, num_segments)``, any order.
        num_segments: number of segments (nodes).

    Returns:
        ``alpha``, same shape and dtype as ``logits``, summing to 1 over every
        segment that has at least one finite logit (an all-masked segment gives 0).
    """
    logits = as_float_array(logits, "logits", finite=False)
    if logits.ndim not in (1, 2):
        raise ValueError(f"logits must be (E,) or (E, H), got shape {logits.shape}")
    if np.isnan(logits).any() or np.isposinf(logits).any():
        raise ValueError(f"logits contains NaN or +inf (shape {logits.shape})")
    logits, ids, _, order, indptr = _check_segments(logits, segment_ids, num_segments, "logits")
    if order is not None:  # compute in sorted order, then put the result back
        out = np.empty_like(logits)
        out[order] = _softmax_sorted(np.take(logits, order, axis=0), indptr)
        return out
    return _softmax_sorted(logits, indptr)


def _softmax_sorted(logits: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """``segment_softmax`` for edges already sorted by segment (CSR offsets ``indptr``)."""
    counts = np.diff(indptr)
    m = _max_sorted(logits, indptr)
    m[~np.isfinite(m)] = 0  # an all -inf segment: exp(-inf - 0) = 0, no NaN
    e = np.exp(logits - np.repeat(m, counts, axis=0))
    s = _sum_sorted(e, indptr)
    s[s == 0] = 1
    return e / np.repeat(s, counts, axis=0)


def propagate(graph: Graph, messages: ArrayLike) -> np.ndarray:
    r"""Sum the incoming messages of every node: the aggregation step of message passing.

    .. math:: m_i = \sum_{j \in \mathcal{N}(i)} \text{messages}_{j \to i}

    Args:
        graph: a ``Graph``; ``messages`` follow its (sorted) edge order.
        messages: ``(E, ...)`` one message per edge, e.g. ``h[graph.senders]``.

    Returns:
        ``(num_nodes, ...)``; 0 at a node without incoming edges.

    Same result as ``segment_sum(messages, graph.receivers, graph.num_nodes)``,
    but it uses the offsets the graph stored when it was built.
    """
    check_graph(graph)
    messages = np.asarray(messages)
    if messages.ndim == 0 or messages.shape[0] != graph.num_edges:
        raise ValueError(
            f"messages has shape {messages.shape} but the graph has {graph.num_edges} edges; "
            f"messages needs one row per edge"
        )
    return _sum_sorted(messages, graph.indptr, graph.degree_buckets)
