"""``_tiles``: a sum over sorted segments as one small matrix product per tile of rows.

The biggest sums (``propagate`` on a million edges) take this path; here it runs on
small graphs made to hit every case: isolated nodes, runs that cross one or several
tile edges, rows after the last whole tile, three-axis data, threads.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ref_segment_sum

import gnnformer_lite as gl
from gnnformer_lite import _kernels, _tiles


def in_turn(work, pieces, size):
    for piece in pieces:
        work(piece)


def segments(degrees):
    """``(indptr, ids, n)`` of sorted segments with ``degrees[k]`` rows in segment k.

    ``indptr`` is read-only, as a ``Graph``'s (whose layouts are cached).
    """
    degrees = np.asarray(degrees)
    indptr = np.concatenate(([0], np.cumsum(degrees)))
    indptr.flags.writeable = False
    return indptr, np.repeat(np.arange(degrees.size), degrees), degrees.size


GRAPHS = {
    # isolated nodes between short runs, 7 rows after the last whole tile
    "short runs": [3, 0, 5, 1, 0, 0, 4, 2, 6, 0, 3] * 9 + [7],
    # one run of 100 rows crosses three tile edges (three levels), then short ones
    "long run": [2, 100, 3, 1, 4] + [5] * 20,
    # exactly four tiles, every run ends on a tile edge
    "aligned": [8, 8, 16, 32, 32, 16, 8, 8],
}


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(16,), (2, 8)])
def test_tile_sum_equals_the_loop(name, dtype, shape):
    indptr, ids, n = segments(GRAPHS[name])
    layout = _tiles.tile_layout(indptr)
    assert layout is not None, f"{name}: its runs are short enough for the tiles"
    data = np.random.default_rng(0).normal(size=(ids.size, *shape)).astype(dtype)
    got = _tiles.tile_sum(data, layout, n, in_turn)
    assert got.shape == (n, *shape) and got.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, ref_segment_sum(data, ids, n), rtol=tol, atol=tol)


def test_levels_touch_each_node_once_and_count_the_edges_crossed():
    levels = _tiles.tile_layout(segments(GRAPHS["long run"])[0])["levels"]
    for _, segs in levels:
        assert np.unique(segs).size == segs.size, "a level adds to each node at most once"
    # the 100-row run of node 1 starts at row 2: it crosses the edges at rows 32, 64, 96
    assert [int((segs == 1).sum()) for _, segs in levels] == [1, 1, 1]


def test_threads_and_pieces_give_the_same_sums(monkeypatch):
    indptr, ids, n = segments(GRAPHS["short runs"])
    data = np.random.default_rng(1).normal(size=(ids.size, 16)).astype(np.float32)
    layout = _tiles.tile_layout(indptr)
    one = _tiles.tile_sum(data, layout, n, in_turn)
    monkeypatch.setattr(_tiles, "TILES_PER_PIECE", 1)  # a piece per tile, on two threads
    monkeypatch.setattr(_kernels, "MIN_THREADED_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "THREADS", 2)
    np.testing.assert_array_equal(_tiles.tile_sum(data, layout, n, _kernels.run_pieces), one)


@pytest.mark.parametrize(
    "degrees, why",
    [
        ([1] * 100, "33+ runs in a tile: S_t would be mostly zeros"),
        ([2, 400, 3] + [5] * 10, "a run crossing 12 tile edges (a hub)"),
        ([3] * 10, "fewer rows than one tile"),
    ],
)
def test_layout_refuses_what_does_not_pay(degrees, why):
    assert _tiles.tile_layout(segments(degrees)[0]) is None, why


def test_layout_is_cached_for_a_graph_only():
    g = gl.Graph(*np.nonzero(np.ones((12, 12)) - np.eye(12))[::-1], 12)  # 132 edges
    assert _tiles.tile_layout(g.indptr) is _tiles.tile_layout(g.indptr)
    indptr = g.indptr.copy()  # writeable: could change, so built anew
    assert _tiles.tile_layout(indptr) is not _tiles.tile_layout(indptr)


@pytest.mark.parametrize(
    "dtype, width, tiles",
    [(np.float32, 16, True), (np.float64, 16, True), (np.int64, 16, False), (np.float32, 3, False)],
)
def test_sum_sorted_takes_the_tiles_for_wide_float_rows(monkeypatch, dtype, width, tiles):
    calls = []
    monkeypatch.setattr(_kernels, "tile_sum", lambda *a: calls.append(1) or _tiles.tile_sum(*a))
    indptr, ids, n = segments(GRAPHS["short runs"])
    data = np.random.default_rng(2).integers(-9, 9, size=(ids.size, width)).astype(dtype)
    got = _kernels.sum_sorted(data, indptr)
    assert bool(calls) == tiles, f"{np.dtype(dtype).name} rows of width {width}"
    np.testing.assert_array_equal(got, ref_segment_sum(data, ids, n))  # small integers: exact
