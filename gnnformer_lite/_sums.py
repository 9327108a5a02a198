r"""Sums without sorting: segment sums for float data of any order, and per-word sums.

Helpers of ``_kernels`` (and of LayerNorm and the layers' bias gradients); like
``_kernels``, nothing here is needed to follow the course, and each function gives
the numbers of the textbook line it stands for.

- ``bincount_sum``: ``np.add.at``'s segment sum as one ``np.bincount``, in float64.
- ``small_degree_sum``: the same sum, bit for bit in float64, as one row gather per
  neighbour slot, for graphs whose nodes have a few neighbours (the course's chains,
  trees and virtual nodes); its layout is built once per ``Graph``.
- ``gathered_layout``: that layout reading a node's rows directly (``neighbour_sum``:
  a gather and a sum without the gathered ``(E, d)`` copy in between).
- ``feature_mean`` / ``word_sum``: a mean over a word's few features and a sum over
  the words, as BLAS matrix-vector products.
"""

from __future__ import annotations

import numpy as np

from ._cache import frozen, remembered


def feature_mean(x: np.ndarray) -> np.ndarray:
    """``x.mean(axis=-1, keepdims=True)`` as a matrix-vector product.

    A word has few features (d = 16-64): NumPy's reduction over such a short last axis
    pays a loop per word, BLAS's ``x @ (1, ..., 1) / d`` does not (4-5x faster).
    """
    total = x @ np.ones(x.shape[-1], dtype=x.dtype)
    return total[..., None] / x.shape[-1]  # a sum, then / d: a constant row's mean is exact


def word_sum(x: np.ndarray) -> np.ndarray:
    """``x.sum(over every axis but the last)`` as a vector-matrix product (as ``feature_mean``)."""
    rows = x.reshape(-1, x.shape[-1])
    return np.ones(rows.shape[0], dtype=x.dtype) @ rows


def bincount_sum(data: np.ndarray, segment_ids: np.ndarray, num_segments: int) -> np.ndarray:
    """``np.add.at``'s sum as one ``np.bincount``: each (segment, column) pair is one bin.

    One C loop over the entries in their order, accumulating in float64: the same
    float64 numbers as ``np.add.at``, 4-5x faster, and no sort. (float32 data is summed
    in float64, then rounded once: a little more accurate than a float32 running sum.)
    """
    width = data[0].size if data.shape[0] else int(np.prod(data.shape[1:]))
    out = np.bincount(
        column_bins(segment_ids, width), weights=data.reshape(-1), minlength=num_segments * width
    )
    return out.reshape(num_segments, *data.shape[1:]).astype(data.dtype, copy=False)


_BINS_CACHE: dict = {}  # (a Graph's ids, width) -> their bins (``_cache.remembered``)


def column_bins(segment_ids: np.ndarray, width: int) -> np.ndarray:
    """``ids[e] * width + c`` for every entry e and column c, flat: ``bincount_sum``'s bins.

    Cached for read-only ids (a ``Graph``'s senders and receivers), so that a model's
    every layer and step reuses its graph's bins.
    """

    def build():
        bins = (segment_ids[:, None] * width + np.arange(width)).ravel()
        bins.flags.writeable = False  # (if cached, every call shares it)
        return bins

    return remembered(_BINS_CACHE, build, segment_ids, extra=width)


#: Segments with at most this many entries are summed column by column (``small_degree_sum``).
SMALL_DEGREE = 4
#: ... and longer ones entry by entry, up to this length (else one ``np.bincount``).
MAX_LONG_SEGMENT = 64
#: One row gather of ``small_degree_sum`` costs about as much as ``np.bincount`` spends on
#: this many numbers: it sums with the layout only when ``data.size`` pays for its gathers.
ELEMENTS_PER_GATHER = 2048

_LAYOUT_CACHE: dict = {}  # (a Graph's ids, num_segments) -> their layout or None


def small_degree_layout(segment_ids: np.ndarray, num_segments: int) -> tuple | None:
    """A graph's segments as tables of their entries, built once per graph.

    ``(classes, long, columns, gathers)``: ``classes = [(segs, [entries_1, ..., entries_D]), ...]``,
    for each D <= ``SMALL_DEGREE`` the segments with D entries and, for j = 1..D, each
    one's j-th entry (in the input's order); ``long``, the longer segments (a virtual
    node's), longest first, and ``columns[j]``, the j-th entry of those that have one;
    ``gathers``, how many row gathers a sum takes.
    ``None`` (use ``bincount_sum``) for ids that may change (only a ``Graph``'s
    read-only senders and receivers have their layout cached) and for a segment of
    more than ``MAX_LONG_SEGMENT`` entries (a hub: one gather per entry would be slow).
    """
    if not frozen(segment_ids):
        return None

    def build():
        counts = np.bincount(segment_ids, minlength=num_segments)
        return None if counts.max(initial=0) > MAX_LONG_SEGMENT else _layout(segment_ids, counts)

    return remembered(_LAYOUT_CACHE, build, segment_ids, extra=num_segments)


def _layout(segment_ids: np.ndarray, counts: np.ndarray) -> tuple:
    order = np.argsort(segment_ids, kind="stable")  # each segment's entries in input order
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    classes = []
    for D in range(1, SMALL_DEGREE + 1):
        segs = np.flatnonzero(counts == D)
        if segs.size:
            table = order[starts[segs, None] + np.arange(D)]
            classes.append((segs, [np.ascontiguousarray(table[:, j]) for j in range(D)]))
    # The longer segments (a virtual node's), longest first: entry j of the first few.
    long = np.flatnonzero(counts > SMALL_DEGREE)
    long = long[np.argsort(-counts[long], kind="stable")]
    columns = [
        order[starts[long[counts[long] > j]] + j] for j in range(counts[long].max(initial=0))
    ]
    gathers = sum(len(entries) for _, entries in classes) + len(columns)
    return classes, long, columns, gathers


_GATHERED_CACHE: dict = {}  # (a Graph's ids, rows) -> the gathered layout


def gathered_layout(layout: tuple, ids: np.ndarray, rows: np.ndarray) -> tuple:
    """``layout`` (of ``ids``) with every entry e replaced by ``rows[e]``, built once per graph.

    ``small_degree_sum(x, gathered_layout(...))`` is ``small_degree_sum(x[rows], layout)``
    without the gathered copy ``x[rows]``: ``neighbour_sum`` of a graph of small degree
    reads its nodes' rows directly (``rows``: the senders; reversed, the receivers).
    """
    classes, long, columns, gathers = layout
    return remembered(
        _GATHERED_CACHE,
        lambda: (
            [(segs, [rows[e] for e in entries]) for segs, entries in classes],
            long,
            [rows[e] for e in columns],
            gathers,
        ),
        ids,
        rows,
    )


def small_degree_sum(data: np.ndarray, layout: tuple, num_segments: int) -> np.ndarray:
    """``segment_sum`` by a ``small_degree_layout``: the same float64 numbers as ``bincount_sum``.

    A segment of D entries is ``data[entry_1] + ... + data[entry_D]``, added in the
    input's order as ``np.add.at`` adds them, for all segments of that D at once: D
    row gathers instead of one pass of ``np.bincount`` over every number (2x faster
    for the course's graphs, whose nodes have 1-4 neighbours).
    """
    classes, long, columns, _ = layout
    out = np.zeros((num_segments, *data.shape[1:]), dtype=data.dtype)
    for segs, entries in classes:  # (data.take: np.take without its Python wrapper)
        acc = data.take(entries[0], axis=0)
        for e in entries[1:]:
            acc += data.take(e, axis=0)
        out[segs] = acc
    if long.size:  # the few long segments: entry j of the len(e) that have one
        acc = data.take(columns[0], axis=0)
        for e in columns[1:]:
            acc[: len(e)] += data.take(e, axis=0)
        out[long] = acc
    return out
