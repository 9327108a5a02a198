"""The sums of ``gnnformer_lite._sums`` give ``np.add.at``'s and NumPy's numbers.

``bincount_sum`` and ``small_degree_sum`` to the last bit in float64 (random ids,
isolated nodes, segments of every allowed length), their per-graph caches, and
LayerNorm's BLAS means and sums.
"""

from __future__ import annotations

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import _kernels, _sums


def test_bincount_sum_is_np_add_at_to_the_last_bit_in_float64():
    """One bincount adds the entries in their order, as np.add.at does: the same float64 bits."""
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 50, 3000)  # unsorted, uneven, some segments empty
    x = rng.normal(size=(3000, 7)) * 10.0 ** rng.integers(-8, 8, size=(3000, 1))
    by_add_at = np.zeros((50, 7))
    np.add.at(by_add_at, ids, x)
    assert np.array_equal(_sums.bincount_sum(x, ids, 50), by_add_at)
    x32 = x.astype(np.float32)  # float32: summed in float64, rounded once
    got = _sums.bincount_sum(x32, ids, 50)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, by_add_at.astype(np.float32), rtol=1e-5, atol=1e-3)


def test_bincount_sum_of_no_entries_is_zero():
    got = _sums.bincount_sum(np.zeros((0, 3, 2)), np.zeros(0, dtype=np.int64), 4)
    assert got.shape == (4, 3, 2) and not got.any()


def test_column_bins_are_cached_for_a_graphs_read_only_ids():
    g = gl.path_graph(6)
    first = _sums.column_bins(g.receivers, 3)
    assert _sums.column_bins(g.receivers, 3) is first and not first.flags.writeable
    writable = g.receivers.copy()  # a caller's own array: not cached, it may change
    assert _sums.column_bins(writable, 3) is not _sums.column_bins(writable, 3)
    np.testing.assert_array_equal(first.reshape(-1, 3), g.receivers[:, None] * 3 + np.arange(3))


def read_only(ids: np.ndarray) -> np.ndarray:
    """ids as a Graph holds them: a read-only array of its own (so their layout is cached)."""
    ids = np.array(ids, dtype=np.int64)
    ids.flags.writeable = False
    return ids


@pytest.mark.parametrize(
    "max_degree", [4, 5, _sums.MAX_LONG_SEGMENT], ids=["small", "long", "longest"]
)
def test_small_degree_sum_is_np_add_at_to_the_last_bit(max_degree):
    """Segments of 0..max_degree entries, unsorted: the same float64 bits as np.add.at."""
    rng = np.random.default_rng(max_degree)
    counts = rng.integers(0, max_degree + 1, 60)
    counts[0] = max_degree  # one segment as long as allowed
    ids = read_only(rng.permutation(np.repeat(np.arange(60), counts)))
    x = rng.normal(size=(ids.size, 5)) * 10.0 ** rng.integers(-8, 8, size=(ids.size, 1))
    by_add_at = np.zeros((60, 5))
    np.add.at(by_add_at, ids, x)
    layout = _sums.small_degree_layout(ids, 60)
    assert layout is not None and _sums.small_degree_layout(ids, 60) is layout  # cached
    assert np.array_equal(_sums.small_degree_sum(x, layout, 60), by_add_at)
    assert np.array_equal(_kernels.segment_sum(x, ids, 60), by_add_at)


def test_small_degree_layout_only_for_read_only_ids_without_hubs():
    ids = np.repeat(np.arange(3), 2)
    assert _sums.small_degree_layout(ids, 3) is None  # writable: it may change
    hub = read_only(np.zeros(_sums.MAX_LONG_SEGMENT + 1, dtype=np.int64))
    assert _sums.small_degree_layout(hub, 2) is None  # a hub: one np.bincount instead
    x = np.random.default_rng(0).normal(size=(hub.size, 3))
    np.testing.assert_array_equal(_kernels.segment_sum(x, hub, 2), _sums.bincount_sum(x, hub, 2))


def test_feature_mean_and_word_sum_are_numpys():
    x = np.random.default_rng(0).normal(size=(2, 5, 7))
    np.testing.assert_allclose(_sums.feature_mean(x), x.mean(-1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(_sums.word_sum(x), x.sum(axis=(0, 1)), rtol=1e-13)
    const = np.full((3, 6), 7.0, dtype=np.float32)  # a constant row's mean is exact
    assert np.array_equal(_sums.feature_mean(const), np.full((3, 1), 7.0, np.float32))


def test_the_caches_stay_small():
    """Many graphs (a notebook builds hundreds): the per-graph caches are emptied at 64."""
    many = [read_only(np.arange(k % 5 + 1)) for k in range(70)]
    for ids in many:
        _sums.small_degree_layout(ids, 5)
        _sums.column_bins(ids, 2)
    assert 0 < len(_sums._LAYOUT_CACHE) <= 64 and 0 < len(_sums._BINS_CACHE) <= 64
