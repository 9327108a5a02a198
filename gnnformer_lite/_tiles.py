r"""A sum over sorted segments as small matrix products: ``A @ x`` one tile at a time.

Helper of ``_kernels`` for the biggest sums (``propagate`` on a million edges); like
``_kernels``, nothing here is needed to follow the course.

``propagate`` is a product with the graph's adjacency matrix, ``A @ messages``, and
in a ``Graph``'s edge order (sorted by receiver) ``A`` is a staircase: each node's
entries are one run of consecutive rows. Cut the rows into tiles of ``TILE_ROWS``;
the few nodes whose runs lie in tile t give a small 0/1 matrix ``S_t`` (``K`` nodes
by ``TILE_ROWS`` rows), and

.. math:: \text{partial}_t = S_t\, x_{\text{tile } t}

is one BLAS product per tile, a thousand tiles per ``np.matmul`` of stacked matrices,
reading the messages once, in order. A node whose run crosses into the next tile
gets one partial sum per tile it touches; those are added afterwards, a "level"
at a time (each level touches a node at most once). About 1.5x faster than the
degree buckets on a million random edges (``make bench``, case 1: the messages are
read once, in order, instead of gathered into buckets); the additions run in
another order than ``np.add.at``'s (each tile's sum, then the tiles'), so a float32
sum may differ in its last bit.

The layout needs runs that are neither very short nor very long against a tile: at
most ``MAX_SEGMENTS`` nodes with rows in one tile (else ``S_t`` is mostly zeros: a
graph of degree 1) and no run across more than ``MAX_LEVELS`` tile edges (a hub);
otherwise ``tile_layout`` gives ``None`` and ``_kernels`` uses its degree buckets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from ._cache import remembered

#: Rows in one tile: 32 rows of 64 float32 features are 8 kB, ``S_t`` 32 x K.
TILE_ROWS = 32
#: At most this many nodes' runs in one tile (``S_t`` has ``K`` rows).
MAX_SEGMENTS = 16
#: At most this many tile edges crossed by one node's run.
MAX_LEVELS = 8
#: Tiles per piece of work (8 MB of float32 messages of width 64; threads share the pieces).
TILES_PER_PIECE = 1024

_TILE_CACHE: dict = {}  # a Graph's indptr -> its layout (``_cache.remembered``)


def tile_layout(indptr: np.ndarray) -> dict | None:
    """The tiles of the sorted segments ``indptr`` (CSR offsets), or ``None`` if they do not pay.

    ``{"local": (tiles, TILE_ROWS) uint8, "K": int, "node": (tiles * K,) int64,
    "continues": (C,), "levels": [(positions in continues, nodes), ...], "tail": (r,)}``:
    row r of tile t belongs to the tile's ``local[t, r]``-th node; ``node[t * K + k]``
    is that node's segment id, or ``num_segments`` (a scratch row) for the first node of
    a tile in ``continues`` (those that start mid-run), whose partial sum a level adds
    to the run's; ``tail``, the segment ids of the rows after the last whole tile.
    Cached for a read-only ``indptr`` (a ``Graph``'s), so a graph's layout is built once.
    """
    return remembered(_TILE_CACHE, lambda: _layout(indptr), indptr, limit=8)


def _layout(indptr: np.ndarray) -> dict | None:
    num_segments, counts = indptr.shape[0] - 1, np.diff(indptr)
    tiles = int(indptr[-1]) // TILE_ROWS
    if tiles == 0:
        return None
    nonempty = np.flatnonzero(counts)  # segment id of the j-th non-empty segment
    rank = np.repeat(np.arange(nonempty.size), counts[nonempty])  # each row's, among those
    tiled = rank[: tiles * TILE_ROWS].reshape(tiles, TILE_ROWS)
    first = tiled[:, 0]
    local = tiled - first[:, None]
    K = int(local.max()) + 1
    if K > MAX_SEGMENTS:
        return None
    k = np.arange(K)
    own = k <= local[:, -1:]  # the tile's k-th node has rows here
    continues = np.flatnonzero(first[1:] == tiled[:-1, -1]) + 1  # tiles that start mid-run
    own[continues, 0] = False  # its sum so far is elsewhere: a level adds this partial
    node = np.where(own, nonempty[np.minimum(first[:, None] + k, nonempty.size - 1)], num_segments)
    levels, left = [], np.arange(continues.size)  # positions in ``continues``
    while left.size:  # level j: the j-th tile edge crossed by each run
        head = np.ones(left.size, dtype=bool)
        head[1:] = first[continues[left[1:]]] != first[continues[left[:-1]]]
        levels.append((left[head], nonempty[first[continues[left[head]]]]))
        left = left[~head]
        if len(levels) > MAX_LEVELS:
            return None
    return {
        "local": local.astype(np.uint8),
        "K": K,
        "node": node.ravel(),
        "continues": continues,
        "levels": levels,
        "tail": nonempty[rank[tiles * TILE_ROWS :]],
    }


_scratch = threading.local()  # each thread's buffers, reused from call to call


def _buffer(name: str, shape: tuple, dtype) -> np.ndarray:
    """A reused array of this thread (fresh pages cost more than the products)."""
    size = int(np.prod(shape))
    buf = getattr(_scratch, name, None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = np.empty(max(size, TILES_PER_PIECE * 16 * TILE_ROWS), dtype=dtype)
        setattr(_scratch, name, buf)
    return buf[:size].reshape(shape)


def tile_sum(data: np.ndarray, layout: dict, num_segments: int, run: Callable) -> np.ndarray:
    """The segment sums of sorted float32/float64 ``data`` by a ``tile_layout``.

    ``run(work, pieces, size)`` calls ``work(piece)`` for every piece (``_kernels.run_pieces``:
    on several threads when the input is big).
    """
    local, K, node, continues = layout["local"], layout["K"], layout["node"], layout["continues"]
    tiles, width = local.shape[0], data[0].size
    rows = data.reshape(data.shape[0], width)
    x = rows[: tiles * TILE_ROWS].reshape(tiles, TILE_ROWS, width)  # a view: no copy
    out = np.zeros((num_segments + 1, width), dtype=data.dtype)  # + a scratch row
    carried = np.empty((continues.size, width), dtype=data.dtype)  # first partials of those
    ks = np.arange(K, dtype=np.uint8)[:, None]

    def work(piece):  # partial_t = S_t @ x_t for the piece's tiles, then each to its node
        n = piece.stop - piece.start
        S = _buffer("S", (n, K, TILE_ROWS), data.dtype)
        np.equal(local[piece, None, :], ks, out=S, casting="unsafe")  # S[t, k, r]: 1 or 0
        partial = _buffer("partial", (n, K, width), data.dtype)
        np.matmul(S, x[piece], out=partial)
        out[node[piece.start * K : piece.stop * K]] = partial.reshape(n * K, width)
        lo, hi = np.searchsorted(continues, (piece.start, piece.stop))
        carried[lo:hi] = partial[continues[lo:hi] - piece.start, 0]

    pieces = [slice(t, min(t + TILES_PER_PIECE, tiles)) for t in range(0, tiles, TILES_PER_PIECE)]
    run(work, pieces, data.size)
    for at, segs in layout["levels"]:  # the partial sums of runs that cross a tile edge
        total = carried.take(at, axis=0)
        total += out.take(segs, axis=0)
        out[segs] = total
    tail = layout["tail"]
    if tail.size:
        np.add.at(out, tail, rows[tiles * TILE_ROWS :])
    return out[:num_segments].reshape(num_segments, *data.shape[1:])
