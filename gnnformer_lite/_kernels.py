r"""Fast paths: the textbook functions' numbers, shaped for speed on big inputs.

**Nothing here is needed to follow the course.** Every public function of
``message_passing`` and ``attention`` runs its textbook lines (the equation in
its docstring) unless its input is big (for a float segment sum: more than a
few dozen numbers). Then, and only then, it calls one function of this module,
behind one visible size test at the top of its body::

    if _kernels.fast_sum(data):  # fast path for all but the smallest inputs: same float64 numbers
        return _kernels.segment_sum(data, segment_ids, num_segments, indptr)
    ...the textbook lines...

as nanoGPT keeps ``if self.flash: ... else: # manual implementation`` and PyG
dispatches ``softmax_csr`` before its plain scatter code. Below the thresholds
the textbook code is faster (a kernel's bookkeeping costs more than it saves on
a 10-word sentence); above them the kernels are 2-10x faster. The tests
(``tests/test_kernels.py``) check that both sides give the same numbers on
random graphs, in float32 and float64, with isolated nodes and logits of ±1e4.

What is here, and the trick each one uses:

- ``segment_sum`` of float data: no sort at all, the sums of ``_sums`` (one row
  gather per neighbour slot on graphs of small degree, else one ``np.bincount``).
- ``neighbour_layout``: the same row gathers, reading the nodes' rows ``x[senders]``
  without the gathered copy (``neighbour_sum``, a GNN layer's aggregation).
- ``segment_max``, and sums too big for those: sort the entries by segment once, then
  reduce consecutive runs. Narrow rows go through ``np.add.reduceat``; wide float
  rows as ``A @ x`` one tile of 32 rows at a time (``_tiles``: a small 0/1 matrix
  per tile, a thousand tiles per ``np.matmul``; about 1.5x faster than the buckets), other
  wide rows by *degree bucket*: the m segments of equal length D are one
  ``(m, D, ...)`` block, summed by ``einsum`` (10x faster than ``reduceat`` for
  64-wide rows). Big inputs are cut into pieces that run on two or more threads
  (NumPy releases the GIL inside ``take``, ``einsum`` and ``matmul``).
- ``segment_softmax``: the same sorted layout, max / exp / sum / divide.
- ``dense_attention``: ``softmax(q k^T / sqrt(d)) v`` a block of queries at a
  time, so every pass over the scores stays in the CPU cache, with the softmax
  computed in place.
- ``graph_attention``: the nodes of equal in-degree D form a bucket, and a block
  of m of them is a small dense problem (m queries, D keys each).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._cache import remembered
from ._sums import (
    ELEMENTS_PER_GATHER,
    bincount_sum,
    gathered_layout,
    small_degree_layout,
    small_degree_sum,
)
from ._tiles import tile_layout, tile_sum

# --------------------------------------------------------------------------- thresholds
# Measured on a 2-core AMD EPYC (tests/test_kernels.py checks both sides give the same numbers):
#: Segment reductions (sum, max, softmax, propagate) take the fast path from this many elements
#: of data on: already 2-5x faster there on sorted ids (a graph's receivers); for unsorted ids,
#: which the kernel must sort first, the crossover is nearer 2**15.
MIN_ELEMENTS = 1 << 12
#: A float segment sum needs no sort (one ``np.bincount``): 3-4x faster than ``np.add.at``
#: from about this many elements on (the complete graph of 10 words with 2 heads: 200).
MIN_FLOAT_SUM_ELEMENTS = 1 << 6
#: Dense attention is blocked from this many attention weights (batch * H * n * m) on
#: (at 2**16 the two are even; at 2**20 the blocks are 2.8x faster).
MIN_ATTENTION_WEIGHTS = 1 << 16
#: Graph attention runs by degree bucket from this many edge-head pairs (E * H) on
#: (2.8x faster at 2**11, 10x at 2**15).
MIN_EDGE_HEADS = 1 << 10

# --------------------------------------------------------------------------- threads

THREADS = max(1, min(4, os.cpu_count() or 1))
MIN_THREADED_ELEMENTS = 1 << 21  # ~8 MB of float32: below this, threads cost more than they save
_pool: ThreadPoolExecutor | None = None


def run_pieces(work: Callable, pieces: Sequence, num_elements: int) -> None:
    """Call ``work(piece)`` for every piece; on several threads when the input is big.

    Pieces must be independent and idempotent (each writes its own rows), so a
    piece that was started before a failure to start a thread can run again.
    Where no thread can be started (Pyodide in a browser), they run one by one.
    """
    global _pool
    if THREADS > 1 and len(pieces) > 1 and num_elements >= MIN_THREADED_ELEMENTS:
        try:
            if _pool is None:
                _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="gnnformer_lite")
            list(_pool.map(work, pieces))
            return
        except RuntimeError:  # "can't start new thread": fall back to one thread
            _pool = None
    for piece in pieces:
        work(piece)


# --------------------------------------------------------------------------- sorted segments


def sort_segments(segment_ids: np.ndarray, num_segments: int):
    """``(order, indptr)``: a stable sort of the ids (None if already sorted) and CSR offsets."""
    order = None
    if segment_ids.size > 1 and not (segment_ids[1:] >= segment_ids[:-1]).all():
        order = np.argsort(segment_ids, kind="stable")
    counts = np.bincount(segment_ids, minlength=num_segments)
    indptr = np.zeros(num_segments + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return order, indptr


def _sorted(data, segment_ids, num_segments, indptr):
    """``(data sorted by segment, indptr, order)``; ``indptr`` given means already sorted."""
    if indptr is not None:
        return data, indptr, None
    order, indptr = sort_segments(segment_ids, num_segments)
    return (data if order is None else np.take(data, order, axis=0)), indptr, order


_WIDE_ROW = 8  # rows narrower than this are summed with np.add.reduceat


def sum_sorted(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum the consecutive rows ``data[indptr[k]:indptr[k+1]]`` of every segment k."""
    if data.dtype == bool:
        data = data.astype(np.int64)
    wide = data.shape[0] > 0 and data[0].size >= _WIDE_ROW
    if wide and data.dtype in (np.float32, np.float64):  # one small BLAS product per tile
        tiles = tile_layout(indptr)
        if tiles is not None:
            return tile_sum(data, tiles, indptr.shape[0] - 1, run_pieces)
    out = np.zeros((indptr.shape[0] - 1, *data.shape[1:]), dtype=data.dtype)
    if data.shape[0] == 0:
        return out
    if not wide:
        starts = indptr[:-1]
        nonempty = starts < indptr[1:]
        out[nonempty] = np.add.reduceat(data, starts[nonempty], axis=0)
        return out

    def sum_bucket(piece):  # out[segs] = the sum of each segment's D rows
        segs, D, rows = piece
        block = data[rows] if isinstance(rows, slice) else np.take(data, rows, axis=0)
        out[segs] = np.einsum("mD...->m...", block.reshape(len(segs), D, *data.shape[1:]))

    piece_rows = -(-data.shape[0] // (2 * THREADS))  # about two pieces a thread
    run_pieces(sum_bucket, bucket_pieces(degree_buckets(indptr), piece_rows), data.size)
    return out


def max_sorted(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Max of the consecutive rows of every segment; 0 for an empty segment."""
    out = np.zeros((indptr.shape[0] - 1, *data.shape[1:]), dtype=data.dtype)
    starts = indptr[:-1]
    nonempty = starts < indptr[1:]
    if data.shape[0]:
        out[nonempty] = np.maximum.reduceat(data, starts[nonempty], axis=0)
    return out


def softmax_sorted(logits: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Softmax over the consecutive entries of every segment (an all -inf segment gives 0)."""
    counts = np.diff(indptr)
    m = max_sorted(logits, indptr)
    m[~np.isfinite(m)] = 0
    e = np.exp(logits - np.repeat(m, counts, axis=0))
    s = sum_sorted(e, indptr)
    s[s == 0] = 1
    return e / np.repeat(s, counts, axis=0)


#: Up to this many elements a float segment sum is one ``np.bincount`` (``bincount_sum``);
#: beyond it (its float64 copy would be large) the sorted degree buckets, on several threads.
MAX_BINCOUNT_ELEMENTS = 1 << 22


def fast_sum(data: np.ndarray) -> bool:
    """Does ``segment_sum`` of ``data`` take this module's path (``MIN_*ELEMENTS``)?"""
    small = MIN_FLOAT_SUM_ELEMENTS if data.dtype.kind == "f" else MIN_ELEMENTS
    return data.size >= small


def fast_max(data: np.ndarray, indptr) -> bool:
    """Does ``segment_max`` take this module's path? Sorted ids (an ``indptr``) need no sort."""
    return data.size >= (MIN_ELEMENTS if indptr is None else MIN_FLOAT_SUM_ELEMENTS)


def segment_sum(data, segment_ids, num_segments, indptr=None) -> np.ndarray:
    """``message_passing.segment_sum`` for big inputs."""
    layout = _paying_layout(data.dtype, data.size, segment_ids, num_segments)
    if layout is not None:
        return small_degree_sum(data, layout, num_segments)
    if data.dtype.kind == "f" and data.size <= MAX_BINCOUNT_ELEMENTS:
        return bincount_sum(data, segment_ids, num_segments)
    data, indptr, _ = _sorted(data, segment_ids, num_segments, indptr)
    return sum_sorted(data, indptr)


def _paying_layout(dtype, size: int, segment_ids, num_segments: int) -> tuple | None:
    """The ``small_degree_layout`` of a float64 sum of ``size`` numbers (if it pays its gathers)."""
    if dtype != np.float64 or size > MAX_BINCOUNT_ELEMENTS:
        return None
    layout = small_degree_layout(segment_ids, num_segments)
    return layout if layout is not None and size >= ELEMENTS_PER_GATHER * layout[3] else None


def neighbour_layout(x: np.ndarray, graph, reverse: bool) -> tuple | None:
    """The layout with which ``message_passing.neighbour_sum`` sums ``x``'s rows directly.

    ``None`` unless the textbook lines would sum the gathered ``(E, ...)`` rows by
    ``small_degree_sum`` (float64, a graph of small degree, a sum that pays for its
    gathers): then the sum of ``x``'s rows by this layout gives the same numbers.
    """
    ids, rows = (graph.senders, graph.receivers) if reverse else (graph.receivers, graph.senders)
    size = graph.num_edges * (x.size // x.shape[0] if x.shape[0] else 0)
    layout = _paying_layout(x.dtype, size, ids, graph.num_nodes)
    return None if layout is None else gathered_layout(layout, ids, rows)


def neighbour_sum(x: np.ndarray, layout: tuple, num_nodes: int) -> np.ndarray:
    """``message_passing.neighbour_sum`` by its ``neighbour_layout``."""
    return small_degree_sum(x, layout, num_nodes)


def segment_max(data, segment_ids, num_segments, indptr=None) -> np.ndarray:
    """``message_passing.segment_max`` for big inputs."""
    data, indptr, _ = _sorted(data, segment_ids, num_segments, indptr)
    return max_sorted(data, indptr)


def segment_softmax(logits, segment_ids, num_segments, indptr=None) -> np.ndarray:
    """``message_passing.segment_softmax`` for big inputs (results in the input's order)."""
    sorted_logits, indptr, order = _sorted(logits, segment_ids, num_segments, indptr)
    alpha = softmax_sorted(sorted_logits, indptr)
    if order is None:
        return alpha
    out = np.empty_like(alpha)
    out[order] = alpha
    return out


# --------------------------------------------------------------------------- degree buckets

_BUCKET_CACHE: dict = {}  # a Graph's indptr -> its buckets (``_cache.remembered``)


def degree_buckets(indptr: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray | slice]]:
    """Group the segments by length D: ``[(segs, D, rows), ...]``, one entry per D > 0.

    ``segs: (m,)`` are the segments of length D and ``rows: (m * D,)`` their entries,
    segment by segment, so ``data[rows].reshape(m, D, ...)`` lines them up. When the
    rows are one contiguous run (the complete graph, the middle of a window graph)
    ``rows`` is a ``slice``: a view, no copy. Cached for a read-only ``indptr`` (a
    ``Graph``'s), so a graph's buckets are built once.
    """
    return remembered(_BUCKET_CACHE, lambda: _make_buckets(indptr), indptr)


def _make_buckets(indptr: np.ndarray) -> list:
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
                arr.flags.writeable = False  # cached: nobody may change them
        buckets.append((segs, D, rows))
    return buckets


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


# --------------------------------------------------------------------------- attention


def softmax_inplace(s: np.ndarray, axis: int = -1) -> np.ndarray:
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


def dense_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """``attention.scaled_dot_product_attention`` for long sentences: blocks of queries.

    ``q, k, v`` are ``(..., n, H, d)`` (checked, one dtype), ``mask`` a boolean array
    broadcast to ``(..., n, m)`` or None.
    """
    qh = np.moveaxis(q, -2, -3)  # (..., H, n, d)
    kT = np.moveaxis(k, -3, -1)  # (..., H, d, m)
    vh = np.moveaxis(v, -2, -3)  # (..., H, m, d_v)
    batch, (H, n, m) = q.shape[:-3], (q.shape[-2], q.shape[-3], k.shape[-3])
    weights = np.empty((*batch, H, n, m), dtype=q.dtype)  # every block below fills its rows
    out = np.empty((*batch, H, n, v.shape[-1]), dtype=q.dtype)
    scale = q.dtype.type(1.0 / np.sqrt(max(q.shape[-1], 1)))
    for rows in query_blocks(weights):
        s = weights[..., rows, :]  # a view: results land in `weights`
        np.matmul(qh[..., rows, :], kT, out=s)
        s *= scale
        if mask is not None:
            np.copyto(s, -np.inf, where=~mask[..., None, rows, :])  # same mask for each head
        softmax_inplace(s)
        np.matmul(s, vh, out=out[..., rows, :])
    return np.moveaxis(out, -3, -2), weights


def query_blocks(weights: np.ndarray, block_bytes: int = 1 << 20) -> list[slice]:
    """Split the query axis of ``weights (..., H, n, m)`` into blocks of about 1 MB."""
    n = weights.shape[-2]
    per_row = max(1, weights[..., :1, :].nbytes)
    step = max(1, min(n, block_bytes // per_row))
    return [slice(a, a + step) for a in range(0, n, step)]


BLOCK_ELEMENTS = 1 << 18  # graph attention: keys + values of one block, ~1 MB of float32


def graph_attention(q, k, v, senders, indptr) -> tuple[np.ndarray, np.ndarray]:
    """``attention.graph_attention`` for big graphs: one block of equal in-degree nodes at a time.

    A block of m receivers with D neighbours each is laid out ``(D, m, H, d)`` so that
    the softmax over the D neighbours reduces whole ``(m, H)`` slabs.
    """
    (n, H, d), d_v = q.shape, v.shape[-1]
    scale = q.dtype.type(1.0 / np.sqrt(max(d, 1)))
    out = np.zeros((n, H, d_v), dtype=q.dtype)
    alpha = np.zeros((senders.shape[0], H), dtype=q.dtype)
    block_rows = BLOCK_ELEMENTS // max(1, H * (d + d_v))
    for segs, D, rows in bucket_pieces(degree_buckets(indptr), block_rows):
        m = len(segs)
        nbr = senders[rows].reshape(m, D).T.ravel()  # neighbour-major: (D * m,)
        kb = np.take(k, nbr, axis=0).reshape(D, m, H, d)
        vb = np.take(v, nbr, axis=0).reshape(D, m, H, d_v)
        s = np.einsum("mhd,Dmhd->Dmh", q[segs], kb)  # q_i . k_j for each of the D neighbours
        s *= scale
        softmax_inplace(s, axis=0)
        out[segs] = np.einsum("Dmh,Dmhd->mhd", s, vb)
        alpha[rows] = s.transpose(1, 0, 2).reshape(m * D, H)  # back to edge order
    return out, alpha
