"""The fast paths of the module against the obvious versions, at sizes that trigger them.

``propagate`` sums wide rows by degree bucket and, for big inputs, on several threads;
``graph_attention`` runs each bucket as a small dense problem, in cache-sized blocks.
These tests force every branch (threads, blocks, fallbacks) on small inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ref_segment_softmax, ref_segment_sum

import gnnformer_lite as gl
from gnnformer_lite import _parallel, attention


def random_graph(rng, n, num_edges):
    key = np.unique(rng.integers(0, n * n, num_edges))
    return gl.Graph(key % n, key // n, n)


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(_parallel, "THREADS", 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_propagate_equals_the_loop(always_parallel, dtype):
    rng = np.random.default_rng(0)
    g = random_graph(rng, 60, 400)
    x = rng.normal(size=(g.num_edges, 9)).astype(dtype)
    got = gl.propagate(g, x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref_segment_sum(x, g.receivers, g.num_nodes), rtol=1e-5)


def test_propagate_falls_back_when_no_thread_can_start(always_parallel, monkeypatch):
    class NoThreads:  # what Pyodide in a browser does
        def __init__(self, *args, **kwargs):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_parallel, "_pool", None)
    monkeypatch.setattr(_parallel, "ThreadPoolExecutor", NoThreads)
    rng = np.random.default_rng(1)
    g = random_graph(rng, 30, 200)
    x = rng.normal(size=(g.num_edges, 16))
    np.testing.assert_allclose(gl.propagate(g, x), ref_segment_sum(x, g.receivers, 30))
    assert _parallel._pool is None


def test_degree_buckets_cover_every_edge_once_and_are_read_only():
    g = random_graph(np.random.default_rng(2), 50, 300)
    seen = []
    for segs, D, rows in g.degree_buckets:
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


def test_complete_graph_bucket_is_a_view():
    ((segs, D, rows),) = gl.complete_graph(5).degree_buckets
    assert D == 5 and rows == slice(0, 25)
    np.testing.assert_array_equal(segs, np.arange(5))


@pytest.mark.parametrize("block", [1, 7, 1 << 18])
def test_graph_attention_in_blocks_equals_the_textbook_version(monkeypatch, block):
    monkeypatch.setattr(attention, "_BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(3)
    g = gl.add_self_loops(random_graph(rng, 40, 300))
    q, k, v = (rng.normal(size=(40, 3, 4)) for _ in range(3))
    out, alpha = gl.graph_attention(q, k, v, g)
    # the textbook version: gather -> score -> segment_softmax -> propagate
    scores = np.einsum("ehd,ehd->eh", q[g.receivers], k[g.senders]) / 2.0
    ref_alpha = ref_segment_softmax(scores, g.receivers, 40)
    ref_out = ref_segment_sum(ref_alpha[:, :, None] * v[g.senders], g.receivers, 40)
    np.testing.assert_allclose(alpha, ref_alpha, atol=1e-12)
    np.testing.assert_allclose(out, ref_out, atol=1e-12)


def test_zero_width_heads_give_uniform_attention_without_warnings(strict):
    g = gl.complete_graph(3)
    z = np.zeros((3, 2, 0))
    v = np.arange(6.0).reshape(3, 2, 1)
    sparse, alpha = gl.graph_attention(z, z, v, g)
    dense, weights = gl.scaled_dot_product_attention(z, z, v)
    np.testing.assert_allclose(alpha, 1 / 3)
    np.testing.assert_allclose(weights, 1 / 3)
    np.testing.assert_allclose(sparse, dense)
    np.testing.assert_allclose(dense[0], v.mean(axis=0))


def test_dense_attention_in_query_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(4)
    q, k, v = (rng.normal(size=(2, 33, 2, 5)) for _ in range(3))
    mask = rng.random((33, 33)) < 0.5
    one_block = gl.scaled_dot_product_attention(q, k, v, mask)
    monkeypatch.setattr(
        attention, "_query_blocks", lambda w: [slice(a, a + 4) for a in range(0, 33, 4)]
    )
    blocks = gl.scaled_dot_product_attention(q, k, v, mask)
    for a, b in zip(one_block, blocks, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
