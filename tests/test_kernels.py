"""The fast paths in ``gnnformer_lite._kernels`` give the textbook functions' numbers.

Each public function of ``message_passing`` and ``attention`` runs its textbook
lines unless its input passes a size threshold, then it calls ``_kernels``. These
tests move every threshold to 0 (everything takes the kernel) and to infinity
(everything takes the textbook lines) and compare both sides with each other and
with the plain loops of ``conftest``: random graphs with isolated nodes, unsorted
segment ids, float32 and float64, narrow and wide rows, logits of ±1e4, masks.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    call_without_mutation,
    ref_attention,
    ref_segment_max,
    ref_segment_softmax,
    ref_segment_sum,
)

import gnnformer_lite as gl
from gnnformer_lite import _kernels

THRESHOLDS = ("MIN_ELEMENTS", "MIN_FLOAT_SUM_ELEMENTS", "MIN_ATTENTION_WEIGHTS", "MIN_EDGE_HEADS")


@pytest.fixture(params=["textbook", "kernel"])
def side(request, monkeypatch):
    """Run the test once on each side of every size threshold."""
    for name in THRESHOLDS:
        monkeypatch.setattr(_kernels, name, 0 if request.param == "kernel" else 1 << 62)
    return request.param


@pytest.fixture
def always_threads(monkeypatch):
    monkeypatch.setattr(_kernels, "MIN_THREADED_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "MAX_BINCOUNT_ELEMENTS", 0)  # the degree buckets, threaded
    monkeypatch.setattr(_kernels, "THREADS", 2)


def sparse_graph(rng, n, num_edges, self_loops=False):
    """A random graph with about ``num_edges`` edges; sparse enough to leave isolated nodes."""
    key = np.unique(rng.integers(0, n * n, num_edges))
    g = gl.Graph(key % n, key // n, n)
    return gl.add_self_loops(g) if self_loops else g


def tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [(), (3,), (16,)])  # narrow rows use reduceat, wide ones buckets
@pytest.mark.parametrize("sort", [False, True])  # sorted ids need no sort in the kernel
def test_segment_reductions_on_both_sides(side, dtype, width, sort):
    rng = np.random.default_rng(len(width))
    n, E = 40, 150
    ids = rng.integers(0, n - 5, E)  # the last 5 segments stay empty
    if sort:
        ids = np.sort(ids)
    data = rng.normal(size=(E, *width)).astype(dtype)
    for fn, ref in ((gl.segment_sum, ref_segment_sum), (gl.segment_max, ref_segment_max)):
        out = fn(data, ids, n)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, ref(data, ids, n), **tol(dtype))
    order = np.argsort(ids, kind="stable")  # sorted ids with the indptr hint
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=n))])
    np.testing.assert_allclose(
        gl.segment_sum(data[order], ids[order], n, indptr=indptr),
        ref_segment_sum(data, ids, n),
        **tol(dtype),
    )
    mean = gl.segment_mean(data, ids, n)
    count = np.maximum(np.bincount(ids, minlength=n), 1).reshape(-1, *[1] * len(width))
    np.testing.assert_allclose(mean, ref_segment_sum(data, ids, n) / count, **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sort", [False, True])
def test_segment_softmax_on_both_sides_with_huge_logits(side, dtype, sort):
    rng = np.random.default_rng(7)
    n, E, H = 30, 120, 2
    ids = rng.integers(0, n - 3, E)
    indptr = None
    if sort:
        ids = np.sort(ids)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=n))])
    logits = (rng.normal(size=(E, H)) * 1e4).astype(dtype)  # +-1e4: exp would overflow
    logits[ids == 0] = -np.inf  # a fully masked segment gives weights 0, not NaN
    with np.errstate(all="raise", under="ignore"):
        alpha = gl.segment_softmax(logits, ids, n, indptr=indptr)
    assert alpha.dtype == dtype and np.isfinite(alpha).all()
    np.testing.assert_allclose(alpha, ref_segment_softmax(logits, ids, n), **tol(dtype))
    assert (alpha[ids == 0] == 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_propagate_and_graph_attention_on_both_sides(side, dtype):
    rng = np.random.default_rng(3)
    n = 50
    g = sparse_graph(rng, n, 300)
    assert (g.in_degree == 0).any()  # isolated receivers are part of the test
    x = rng.normal(size=(g.num_edges, 9)).astype(dtype)
    np.testing.assert_allclose(gl.propagate(g, x), ref_segment_sum(x, g.receivers, n), **tol(dtype))
    q, k, v = (rng.normal(size=(n, 3, 4)).astype(dtype) for _ in range(3))
    out, alpha = gl.graph_attention(q, k, v, g)
    scores = np.einsum("ehd,ehd->eh", q[g.receivers], k[g.senders]) / 2.0  # sqrt(d_head = 4)
    ref_alpha = ref_segment_softmax(scores, g.receivers, n)
    ref_out = ref_segment_sum(ref_alpha[:, :, None] * v[g.senders], g.receivers, n)
    assert out.dtype == alpha.dtype == dtype
    np.testing.assert_allclose(alpha, ref_alpha, **tol(dtype))
    np.testing.assert_allclose(out, ref_out, **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_attention_on_both_sides(side, dtype):
    rng = np.random.default_rng(4)
    q, k, v = (rng.normal(size=(2, 33, 2, 5)).astype(dtype) for _ in range(3))
    mask = rng.random((33, 33)) < 0.5
    mask[3] = False  # a query with nothing to attend to gets 0
    out, weights = gl.scaled_dot_product_attention(q, k, v, mask)
    assert out.dtype == weights.dtype == dtype
    for b in range(2):
        ref_out, ref_w = ref_attention(q[b], k[b], v[b], mask)
        np.testing.assert_allclose(out[b], ref_out, **tol(dtype))
        np.testing.assert_allclose(weights[b], ref_w, **tol(dtype))
    assert (out[:, 3] == 0).all()


def test_kernels_in_small_blocks_equal_one_block(monkeypatch):
    """Blocks of queries (dense) and of receivers (graph) change nothing."""
    rng = np.random.default_rng(5)
    q, k, v = (rng.normal(size=(33, 2, 5)) for _ in range(3))
    mask = rng.random((33, 33)) < 0.5
    g = sparse_graph(rng, 33, 200, self_loops=True)
    dense = _kernels.dense_attention(q, k, v, mask)
    sparse = _kernels.graph_attention(q, k, v, g.senders, g.indptr)
    monkeypatch.setattr(
        _kernels, "query_blocks", lambda w: [slice(a, a + 4) for a in range(0, 33, 4)]
    )
    monkeypatch.setattr(_kernels, "BLOCK_ELEMENTS", 7)
    for a, b in zip(dense, _kernels.dense_attention(q, k, v, mask), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    for a, b in zip(sparse, _kernels.graph_attention(q, k, v, g.senders, g.indptr), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_sum_equals_the_loop(always_threads, dtype):
    rng = np.random.default_rng(0)
    g = sparse_graph(rng, 60, 400)
    x = rng.normal(size=(g.num_edges, 9)).astype(dtype)
    got = _kernels.segment_sum(x, g.receivers, g.num_nodes, g.indptr)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref_segment_sum(x, g.receivers, g.num_nodes), rtol=1e-5)


def test_threads_fall_back_when_none_can_start(always_threads, monkeypatch):
    class NoThreads:  # what Pyodide in a browser does
        def __init__(self, *args, **kwargs):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_kernels, "_pool", None)
    monkeypatch.setattr(_kernels, "ThreadPoolExecutor", NoThreads)
    rng = np.random.default_rng(1)
    g = sparse_graph(rng, 30, 200)
    x = rng.normal(size=(g.num_edges, 16))
    got = _kernels.segment_sum(x, g.receivers, 30, g.indptr)
    np.testing.assert_allclose(got, ref_segment_sum(x, g.receivers, 30))
    assert _kernels._pool is None


def test_degree_buckets_cover_every_edge_once_are_read_only_and_cached():
    g = sparse_graph(np.random.default_rng(2), 50, 300)
    buckets = _kernels.degree_buckets(g.indptr)
    assert _kernels.degree_buckets(g.indptr) is buckets  # a Graph's indptr is read-only: cached
    seen = []
    for segs, D, rows in buckets:
        assert not segs.flags.writeable
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        else:
            assert not rows.flags.writeable
        assert rows.size == len(segs) * D
        assert (g.in_degree[segs] == D).all()
        np.testing.assert_array_equal(
            g.receivers[rows].reshape(len(segs), D), np.repeat(segs[:, None], D, 1)
        )
        seen.append(rows)
    assert sorted(np.concatenate(seen).tolist()) == list(range(g.num_edges))
    writable = np.array(g.indptr)  # a writable copy is never cached: it could change
    assert _kernels.degree_buckets(writable) is not _kernels.degree_buckets(writable)


def test_complete_graph_bucket_is_a_view():
    ((segs, D, rows),) = _kernels.degree_buckets(gl.complete_graph(5).indptr)
    assert D == 5 and rows == slice(0, 25)
    np.testing.assert_array_equal(segs, np.arange(5))


def test_zero_width_heads_give_uniform_attention_on_both_sides(side, strict):
    g = gl.complete_graph(3)
    z = np.zeros((3, 2, 0))
    v = np.arange(6.0).reshape(3, 2, 1)
    sparse, alpha = gl.graph_attention(z, z, v, g)
    dense, weights = gl.scaled_dot_product_attention(z, z, v)
    np.testing.assert_allclose(alpha, 1 / 3)
    np.testing.assert_allclose(weights, 1 / 3)
    np.testing.assert_allclose(sparse, dense)
    np.testing.assert_allclose(dense[0], v.mean(axis=0))


def test_bool_data_is_counted_on_both_sides(side):
    ids = np.array([1, 0, 1, 1] * 20)
    data = np.tile([True, False, True, True], 20)
    assert gl.segment_sum(data, ids, 2).tolist() == [0, 60]


STRUCTURED = {
    "complete": gl.complete_graph(6),  # one degree: one contiguous block
    "window": gl.window_graph(9, 2),  # degrees 3, 4, 5: contiguous middle, gathered ends
    "causal": gl.causal_graph(7),  # every degree once
    "star_and_isolated": gl.Graph([1, 2, 3, 4, 0], [0, 0, 0, 0, 5], 7),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("name", sorted(STRUCTURED))
def test_propagate_wide_rows_on_structured_graphs(side, name, dtype):
    g = STRUCTURED[name]
    x = np.random.default_rng(0).integers(-9, 9, size=(g.num_nodes, 3, 4)).astype(dtype)
    out = call_without_mutation(gl.propagate, g, x[g.senders])
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.einsum("ij,jab->iab", g.adjacency(dtype=dtype), x))
    np.testing.assert_array_equal(gl.segment_sum(x[g.senders], g.receivers, g.num_nodes), out)
    np.testing.assert_array_equal(gl.propagate(g, x[g.senders]), out)  # cached buckets reused


@pytest.mark.parametrize("shape", [(0,), (0, 3), (0, 16)])
def test_no_entries_on_both_sides(side, shape, strict):
    data = np.zeros(shape)
    for fn in (gl.segment_sum, gl.segment_max, gl.segment_mean):
        out = fn(data, [], 4)
        assert out.shape == (4, *shape[1:])
        np.testing.assert_array_equal(out, 0)
    assert gl.segment_softmax(data, [], 4).shape == shape  # logits (E,) or (E, H)


def test_the_kernels_count_bools_themselves():
    """``segment_sum`` turns bools into ints before the size test; the kernel does it too."""
    indptr = np.array([0, 2, 2, 5])
    data = np.array([True, True, False, True, True])
    assert _kernels.sum_sorted(data, indptr).tolist() == [2, 0, 2]
    wide = np.ones((5, 9), dtype=bool)  # the degree-bucket branch
    np.testing.assert_array_equal(_kernels.sum_sorted(wide, indptr), [[2] * 9, [0] * 9, [3] * 9])


def test_bucket_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(_kernels, "_BUCKET_CACHE", {})
    graphs = [gl.window_graph(n, 1) for n in range(3, 3 + 70)]  # kept alive: ids stay distinct
    for g in graphs:
        buckets = _kernels.degree_buckets(g.indptr)
        assert len(_kernels._BUCKET_CACHE) <= 64
        assert sum(len(segs) for segs, _, _ in buckets) == g.num_nodes  # every node has edges
    g = graphs[-1]
    assert _kernels.degree_buckets(g.indptr) is _kernels.degree_buckets(g.indptr)


# --- with a cache the textbook path runs on big inputs, and gives the kernels' numbers ---------


def test_a_cache_takes_the_textbook_path_on_big_inputs(monkeypatch):
    rng = np.random.default_rng(22)
    graph = gl.complete_graph(40)  # 1600 edges x 4 heads: above MIN_EDGE_HEADS
    assert graph.num_edges * 4 >= _kernels.MIN_EDGE_HEADS
    q, k, v = (rng.normal(size=(40, 4, 8)) for _ in range(3))
    fast_out, fast_alpha = gl.graph_attention(q, k, v, graph)
    calls = []
    monkeypatch.setattr(_kernels, "graph_attention", lambda *a: calls.append(a))
    monkeypatch.setattr(_kernels, "dense_attention", lambda *a: calls.append(a))
    cache = {}
    out, alpha = gl.graph_attention(q, k, v, graph, cache=cache)
    np.testing.assert_allclose(out, fast_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(alpha, fast_alpha, rtol=1e-12, atol=1e-12)
    d_q, d_k, d_v = gl.graph_attention_backward(cache, np.ones_like(out))
    # on the complete graph the dense backward gives the same gradients
    dense_cache = {}
    batch = (np.broadcast_to(x, (11, 40, 4, 8)) for x in (q, k, v))  # 70400 attention weights
    dense_out, _ = gl.scaled_dot_product_attention(*batch, cache=dense_cache)
    assert 11 * 4 * 40 * 40 >= _kernels.MIN_ATTENTION_WEIGHTS
    assert calls == []  # neither kernel ran
    np.testing.assert_allclose(dense_out[3], out, rtol=1e-12, atol=1e-12)
    dd = gl.scaled_dot_product_attention_backward(dense_cache, np.ones_like(dense_out))
    for ours, dense in zip((d_q, d_k, d_v), dd, strict=True):
        np.testing.assert_allclose(dense[3], ours, rtol=1e-10, atol=1e-10)
