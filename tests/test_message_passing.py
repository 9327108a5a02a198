"""segment_* reductions, segment_softmax and propagate against plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    call_without_mutation,
    graphs,
    ref_segment_max,
    ref_segment_mean,
    ref_segment_softmax,
    ref_segment_sum,
    strict_numerics,
)
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl

SEGMENT_FUNCTIONS = [
    (gl.segment_sum, ref_segment_sum),
    (gl.segment_max, ref_segment_max),
    (gl.segment_mean, ref_segment_mean),
]


@st.composite
def segments(draw, trailing=((), (3,), (2, 2), (9,), (2, 5))):
    """``(data, ids, n)``: random ids (unsorted, some segments empty) and matching data.

    Rows of 8 numbers or more take ``propagate``'s bucketed fast path, narrower ones
    ``reduceat``: the default ``trailing`` shapes exercise both.
    """
    n = draw(st.integers(0, 6))
    E = draw(st.integers(0, 12)) if n else 0
    seed = draw(st.integers(0, 2**32 - 1))
    tail = draw(st.sampled_from(trailing))
    sort = draw(st.booleans())
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, max(n, 1), size=E)
    if sort:
        ids = np.sort(ids)
    data = rng.normal(size=(E, *tail)) * 10
    return data, ids, n


# --- sum, max, mean ---------------------------------------------------------------


@pytest.mark.parametrize(("fn", "ref"), SEGMENT_FUNCTIONS)
@given(args=segments())
def test_segment_reductions_match_loops(fn, ref, args):
    data, ids, n = args
    out = call_without_mutation(fn, data, ids, n)
    assert out.shape == (n, *data.shape[1:])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ref(data, ids, n), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("fn", "ref"), SEGMENT_FUNCTIONS)
def test_empty_segments_give_zero(fn, ref):
    data = np.array([[-5.0, -1.0], [-3.0, -7.0], [-2.0, -4.0]])  # all negative: max is not 0
    ids = np.array([3, 0, 3])
    out = fn(data, ids, 5)
    np.testing.assert_array_equal(out[[1, 2, 4]], 0)
    np.testing.assert_allclose(out, ref(data, ids, 5))
    assert fn(np.zeros((0, 2)), [], 3).shape == (3, 2)
    assert fn(np.zeros(0), np.zeros(0, dtype=np.int32), 0).shape == (0,)


def test_segment_max_is_not_clipped_at_zero():
    out = gl.segment_max(np.array([-3.0, -1.0, -2.0]), [0, 0, 1], 2)
    np.testing.assert_array_equal(out, [-1.0, -2.0])


def test_integer_and_bool_data():
    ids = [1, 0, 1, 1]
    ints = np.array([1, 2, 3, 4])
    sums = gl.segment_sum(ints, ids, 3)
    assert sums.dtype.kind == "i" and sums.tolist() == [2, 8, 0]
    assert gl.segment_sum(np.array([True, False, True, True]), ids, 2).tolist() == [0, 3]
    mean = gl.segment_mean(ints, ids, 3)
    assert mean.dtype == np.float64
    np.testing.assert_allclose(mean, [2.0, 8 / 3, 0.0])
    assert gl.segment_max(ints, ids, 3).tolist() == [2, 4, 0]


@pytest.mark.parametrize(("fn", "ref"), SEGMENT_FUNCTIONS)
def test_segment_reductions_keep_float32(fn, ref):
    data = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = fn(data, [1, 0, 1], 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref(data, [1, 0, 1], 2), rtol=1e-6)


# --- segment_softmax --------------------------------------------------------------


@given(args=segments(trailing=((), (1,), (3,), (9,))))
def test_segment_softmax_matches_loop_and_sums_to_one(args):
    logits, ids, n = args
    alpha = call_without_mutation(gl.segment_softmax, logits, ids, n)
    assert alpha.shape == logits.shape and alpha.dtype == logits.dtype
    np.testing.assert_allclose(alpha, ref_segment_softmax(logits, ids, n), rtol=1e-12, atol=1e-15)
    totals = ref_segment_sum(alpha, ids, n)
    nonempty = np.bincount(ids, minlength=n) > 0
    np.testing.assert_allclose(totals[nonempty], 1.0, rtol=1e-12)
    np.testing.assert_array_equal(totals[~nonempty], 0.0)
    assert ((alpha >= 0) & (alpha <= 1)).all()


@given(args=segments(trailing=((), (2,))), shift_seed=st.integers(0, 2**32 - 1))
def test_segment_softmax_is_shift_invariant_per_segment(args, shift_seed):
    logits, ids, n = args
    shift = np.random.default_rng(shift_seed).normal(size=(n, *logits.shape[1:])) * 100
    shifted = logits + shift[ids] if n else logits
    np.testing.assert_allclose(
        gl.segment_softmax(shifted, ids, n), gl.segment_softmax(logits, ids, n), atol=1e-12
    )


@given(args=segments(trailing=((), (2,))))
def test_segment_softmax_unsorted_equals_sorted(args):
    logits, ids, n = args
    order = np.argsort(ids, kind="stable")
    alpha = gl.segment_softmax(logits, ids, n)
    alpha_sorted = gl.segment_softmax(logits[order], ids[order], n)
    np.testing.assert_allclose(alpha[order], alpha_sorted, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6,), (6, 2)])
def test_segment_softmax_huge_logits_are_stable(dtype, shape):
    logits = np.array([1e4, -1e4, 1e4 - 1, 3e4, -3e4, 1e4], dtype=dtype)
    if len(shape) == 2:
        logits = np.stack([logits, -logits], axis=1)
    ids = np.array([0, 0, 0, 1, 1, 3])
    with strict_numerics():
        alpha = gl.segment_softmax(logits, ids, 4)
    assert alpha.dtype == dtype
    assert np.isfinite(alpha).all()
    np.testing.assert_allclose(alpha, ref_segment_softmax(logits, ids, 4), rtol=1e-5, atol=1e-6)
    col = alpha if alpha.ndim == 1 else alpha[:, 0]
    np.testing.assert_allclose(col[:3], [1 / (1 + np.exp(-1)), 0, 1 / (1 + np.e)], rtol=1e-5)
    np.testing.assert_allclose(col[3:], [1.0, 0.0, 1.0])


def test_segment_softmax_masks_minus_inf(strict):
    logits = np.array([0.0, -np.inf, 0.0, -np.inf, -np.inf, 5.0])
    ids = np.array([0, 0, 0, 1, 1, 2])
    alpha = gl.segment_softmax(logits, ids, 4)  # segment 3 empty, segment 1 all masked
    np.testing.assert_array_equal(alpha, [0.5, 0.0, 0.5, 0.0, 0.0, 1.0])
    two_heads = np.stack([logits, np.zeros(6)], axis=1)
    alpha2 = gl.segment_softmax(two_heads, ids, 4)
    np.testing.assert_array_equal(alpha2[:, 0], alpha)
    np.testing.assert_allclose(alpha2[:, 1], [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_segment_softmax_empty_inputs(dtype, strict):
    for shape in [(0,), (0, 3)]:
        alpha = gl.segment_softmax(np.zeros(shape, dtype=dtype), [], 4)
        assert alpha.shape == shape and alpha.dtype == dtype
    assert gl.segment_softmax([], [], 0).shape == (0,)


def test_segment_softmax_int_logits_become_float():
    alpha = gl.segment_softmax([1, 1, 2], [0, 0, 1], 2)
    assert alpha.dtype == np.float64
    np.testing.assert_allclose(alpha, [0.5, 0.5, 1.0])


# --- propagate -----------------------------------------------------------------------


@given(
    g=graphs(),
    seed=st.integers(0, 2**32 - 1),
    tail=st.sampled_from([(), (3,), (2, 3), (8,), (3, 4)]),
)
def test_propagate_equals_adjacency_matmul(g, seed, tail):
    x = np.random.default_rng(seed).normal(size=(g.num_nodes, *tail))
    out = call_without_mutation(gl.propagate, g, x[g.senders])
    a = g.adjacency()
    expected = np.einsum("ij,j...->i...", a, x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, ref_segment_sum(x[g.senders], g.receivers, g.num_nodes))


@given(g=graphs(), seed=st.integers(0, 2**32 - 1))
def test_propagate_edge_dependent_messages(g, seed):
    msg = np.random.default_rng(seed).normal(size=(g.num_edges, 2, 5))
    expected = np.zeros((g.num_nodes, 2, 5))
    for e in range(g.num_edges):
        expected[g.receivers[e]] += msg[e]
    np.testing.assert_allclose(gl.propagate(g, msg), expected, atol=1e-12)


STRUCTURED = {
    "complete": gl.complete_graph(6),  # one degree: one contiguous block
    "window": gl.window_graph(9, 2),  # degrees 3, 4, 5: contiguous middle, gathered ends
    "causal": gl.causal_graph(7),  # every degree once
    "star_and_isolated": gl.Graph([1, 2, 3, 4, 0], [0, 0, 0, 0, 5], 7),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("name", sorted(STRUCTURED))
def test_propagate_wide_rows_on_structured_graphs(name, dtype):
    g = STRUCTURED[name]
    x = np.random.default_rng(0).integers(-9, 9, size=(g.num_nodes, 3, 4)).astype(dtype)
    out = call_without_mutation(gl.propagate, g, x[g.senders])
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.einsum("ij,jab->iab", g.adjacency(dtype=dtype), x))
    np.testing.assert_array_equal(gl.segment_sum(x[g.senders], g.receivers, g.num_nodes), out)
    np.testing.assert_array_equal(gl.propagate(g, x[g.senders]), out)  # cached buckets reused


def test_propagate_isolated_nodes_and_dtypes(strict):
    g = gl.Graph([0, 0], [1, 2], 4)  # nodes 0 and 3 hear nothing
    msg = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    out = gl.propagate(g, msg)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 0], [1, 2], [3, 4], [0, 0]])
    assert gl.propagate(gl.Graph([], [], 3), np.zeros((0, 5))).shape == (3, 5)
    assert gl.propagate(gl.Graph([], [], 0), np.zeros((0, 5))).shape == (0, 5)


# --- hop_distance ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hop_distance_is_the_first_power_of_a_plus_i_that_connects(seed):
    rng = np.random.default_rng(seed)
    n = 9
    A = rng.random((n, n)) < 0.2  # directed, with unreachable pairs
    g = gl.from_adjacency(A)
    hops = gl.hop_distance(g)
    M = g.adjacency() + np.eye(n)
    for L in range(n + 1):
        np.testing.assert_array_equal((hops >= 0) & (hops <= L), np.linalg.matrix_power(M, L) > 0)
    assert (np.diag(hops) == 0).all()


def test_hop_distance_on_a_path_and_with_max_layers():
    n = 6
    hops = gl.hop_distance(gl.path_graph(n))
    i, j = np.indices((n, n))
    np.testing.assert_array_equal(hops, np.abs(i - j))
    capped = gl.hop_distance(gl.path_graph(n), max_layers=2)
    np.testing.assert_array_equal(capped, np.where(np.abs(i - j) <= 2, np.abs(i - j), -1))
    with pytest.raises(TypeError, match="max_layers must be an int"):
        gl.hop_distance(gl.path_graph(n), max_layers=1.5)
