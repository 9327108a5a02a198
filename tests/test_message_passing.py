"""``message_passing``: segment reductions, segment_softmax, propagate, their backward passes.

Each function against a plain loop of ``conftest`` (or its matrix form), on random
ids and graphs with empty segments and isolated nodes; the backward passes against
finite differences and their adjoint identities; and clear errors for bad input.
"""

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
    refusal_test,
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
    """``(data, ids, n)``: random ids (sorted or not, some segments empty) and matching data.

    Small enough for the textbook lines; tests/test_kernels.py runs the fast paths.
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


def star(m: int) -> gl.Graph:
    """Node 0 and m - 1 leaves, edges both ways: a hub, as a virtual node."""
    leaves = np.arange(1, m)
    return gl.Graph(np.r_[leaves, np.zeros_like(leaves)], np.r_[np.zeros_like(leaves), leaves], m)


def neighbour_graphs() -> list:
    """Small graphs (textbook lines), and batches of chains and stars (the fast path)."""
    rng = np.random.default_rng(4)
    chains = gl.batch_graphs([gl.path_graph(int(m)) for m in rng.integers(2, 12, 120)])[0]
    stars = gl.batch_graphs([star(int(m)) for m in rng.integers(2, 30, 40)])[0]
    return [G4, gl.window_graph(7, 2), chains, stars]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, bool])
@pytest.mark.parametrize("width", [(), (3,), (32,)])
def test_neighbour_sum_is_propagate_of_the_gathered_rows(dtype, width):
    """The same numbers, to the bit, with and without its fast path; reversed: A^T x."""
    for g in neighbour_graphs():
        x = np.random.default_rng(0).normal(size=(g.num_nodes, *width)) * 3
        x = x > 0 if dtype is bool else x.astype(dtype)
        expected = gl.propagate(g, x[g.senders])
        reversed_ = gl.segment_sum(x[g.receivers], g.senders, g.num_nodes)
        np.testing.assert_array_equal(call_without_mutation(gl.neighbour_sum, g, x), expected)
        np.testing.assert_array_equal(gl.neighbour_sum(g, x, reverse=True), reversed_)
        assert gl.neighbour_sum(g, x).dtype == expected.dtype


def test_neighbour_sum_takes_its_fast_path_on_a_batch_of_chains():
    from gnnformer_lite import _kernels

    g = neighbour_graphs()[2]
    x = np.ones((g.num_nodes, 32))
    for reverse in (False, True):
        assert _kernels.neighbour_layout(x, g, reverse) is not None, "a float64 batch of chains"
    assert _kernels.neighbour_layout(x.astype(np.float32), g, False) is None, "float64 only"


def test_segment_softmax_check_input_false_and_propagate_of_bools():
    g = gl.window_graph(6, 2)
    logits = np.random.default_rng(0).normal(size=(g.num_edges, 2))
    np.testing.assert_array_equal(
        gl.segment_softmax(logits, g.receivers, 6, g.indptr),
        gl.segment_softmax(logits, g.receivers, 6, g.indptr, check_input=False),
    )
    # propagate runs segment_sum's body without its checks: bools are still counted
    counts = gl.propagate(g, np.ones(g.num_edges, dtype=bool))
    assert counts.dtype == np.int64 and counts.tolist() == np.diff(g.indptr).tolist()


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
    path = gl.path_graph(n)
    hops = call_without_mutation(gl.hop_distance, path)
    assert hops.dtype == np.int64
    i, j = np.indices((n, n))
    np.testing.assert_array_equal(hops, np.abs(i - j))
    capped = gl.hop_distance(path, max_layers=2)
    np.testing.assert_array_equal(capped, np.where(np.abs(i - j) <= 2, np.abs(i - j), -1))
    np.testing.assert_array_equal(gl.hop_distance(path, max_layers=0), np.where(i == j, 0, -1))
    assert gl.hop_distance(gl.Graph([], [], 0)).shape == (0, 0)


# --- influence ---------------------------------------------------------------------------


def sum_layers(graph, num_layers):
    """``num_layers`` rounds of h <- h + propagate(h): node j reaches i in hop_distance[i, j]."""

    def run(h):
        for _ in range(num_layers):
            h = h + gl.propagate(graph, h[graph.senders])
        return h

    return run


@pytest.mark.parametrize("num_layers", [0, 1, 2, 5])
def test_influence_finds_what_hop_distance_predicts(num_layers):
    graph = gl.from_adjacency(np.random.default_rng(3).random((7, 7)) < 0.25)  # directed
    h = np.random.default_rng(4).normal(size=(7, 2))
    hops = gl.hop_distance(graph)
    for target in range(7):
        moved = call_without_mutation(gl.influence, sum_layers(graph, num_layers), h, target)
        assert moved.dtype == bool and moved.shape == (7,)
        expected = (hops[target] >= 0) & (hops[target] <= num_layers)
        np.testing.assert_array_equal(moved, expected)


def test_influence_sees_only_what_moves_the_output():
    """A path that a ReLU shuts, a change below ``tol``: reach that does not carry information."""
    path, h = gl.path_graph(4), np.ones((4, 3))
    assert not gl.influence(lambda x: np.maximum(0, -10 - sum_layers(path, 3)(x)), h, 1).any()
    one_layer = sum_layers(path, 1)
    np.testing.assert_array_equal(gl.influence(one_layer, h, 1), [True, True, True, False])
    np.testing.assert_array_equal(gl.influence(one_layer, h, 1, nudge=1e-12), [False] * 4)
    np.testing.assert_array_equal(
        gl.influence(one_layer, h, 1, nudge=1e-12, tol=1e-13), [1, 1, 1, 0]
    )
    assert gl.influence(lambda x: x[:, :1] * 2, h, np.int64(3)).tolist() == [0, 0, 0, 1]


def test_influence_wants_one_output_row_per_node():
    with pytest.raises(
        ValueError,
        match=r"run\(h\) must give one row per node, \(4, \.\.\.\) "
        r"for h of shape \(4, 3\); got shape \(3, 3\)",
    ):
        gl.influence(lambda x: x[:3], np.ones((4, 3)), 1)


# --- backward: message passing run backwards --------------------------------------------


def test_propagate_backward_is_a_gather_by_receivers(graph):
    rng = np.random.default_rng(0)
    messages = rng.normal(size=(graph.num_edges, 3))
    d_out = rng.normal(size=(graph.num_nodes, 3))
    d_messages = call_without_mutation(gl.propagate_backward, graph, d_out)
    np.testing.assert_array_equal(d_messages, d_out[graph.receivers])
    # the adjoint identity <propagate(m), y> = <m, propagate_backward(y)>
    np.testing.assert_allclose(
        (gl.propagate(graph, messages) * d_out).sum(), (messages * d_messages).sum(), atol=1e-12
    )


def test_gather_backward_is_propagate_on_the_reversed_graph(graph):
    """The gradient of ``h[senders]`` sums each sender's outgoing edges: propagate, reversed."""
    rng = np.random.default_rng(1)
    h = rng.normal(size=(graph.num_nodes, 2))
    d_messages = rng.normal(size=(graph.num_edges, 2))
    rev, order = gl.reverse_graph(graph, return_edge_order=True)
    by_senders = gl.segment_sum(d_messages, graph.senders, graph.num_nodes)
    np.testing.assert_allclose(gl.propagate(rev, d_messages[order]), by_senders, atol=1e-12)
    # the adjoint identity of the gather: <h[senders], d> = <h, by_senders>
    np.testing.assert_allclose((h[graph.senders] * d_messages).sum(), (h * by_senders).sum())


def test_segment_softmax_backward(graph):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(graph.num_edges, 2))
    R = rng.normal(size=logits.shape)
    alpha = gl.segment_softmax(logits, graph.receivers, graph.num_nodes)
    d_logits = call_without_mutation(
        gl.segment_softmax_backward, alpha, R, graph.receivers, graph.num_nodes
    )
    assert d_logits.shape == logits.shape

    def loss(x):
        return float((gl.segment_softmax(x, graph.receivers, graph.num_nodes) * R).sum())

    assert gl.gradient_check(loss, logits, d_logits) < 1e-6
    # a softmax does not change when a segment's logits move together: each segment sums to 0
    np.testing.assert_allclose(
        gl.segment_sum(d_logits, graph.receivers, graph.num_nodes), 0, atol=1e-12
    )


def test_segment_softmax_backward_of_masked_logits_is_zero():
    logits = np.array([0.0, -np.inf, 1.0, -np.inf])
    ids = np.array([0, 0, 0, 1])  # segment 1 is all masked
    alpha = gl.segment_softmax(logits, ids, 2)
    d_logits = gl.segment_softmax_backward(alpha, np.array([1.0, 5.0, -2.0, 3.0]), ids, 2)
    assert d_logits[1] == 0 and d_logits[3] == 0
    a0, a2 = alpha[0], alpha[2]
    expected = a0 * (1.0 - (a0 * 1.0 + a2 * -2.0))  # alpha_e (d_e - sum_e' alpha_e' d_e')
    assert d_logits[0] == pytest.approx(expected, abs=1e-15)


# --- small cases --------------------------------------------------------------------------


def test_boolean_max_and_a_correct_indptr_hint():
    ids = np.array([0, 0, 2])
    assert gl.segment_max(np.array([False, True, False]), ids, 3).tolist() == [True, False, False]
    data = np.array([1.0, 2.0, 4.0])
    np.testing.assert_array_equal(gl.segment_sum(data, ids, 3, indptr=[0, 2, 2, 3]), [3, 0, 4])
    np.testing.assert_array_equal(gl.segment_mean(data, ids, 3, indptr=[0, 2, 2, 3]), [1.5, 0, 4])


@pytest.mark.parametrize("n", [0, 1])
def test_message_passing_on_tiny_inputs(n, strict):
    g = gl.complete_graph(n)
    alpha = gl.segment_softmax(np.zeros((n, 2)), np.zeros(n, dtype=int), n)
    assert alpha.shape == (n, 2)
    np.testing.assert_array_equal(alpha, 1.0)  # one entry: weight 1
    np.testing.assert_array_equal(gl.propagate(g, np.ones((n, 4))), np.ones((n, 4)))
    assert gl.propagate_backward(g, np.ones((n, 4))).shape == (n, 4)


# --- bad input: a ValueError / TypeError naming the argument and the shapes ---------------

G4 = gl.path_graph(4)  # 6 edges

BAD = [
    (
        "neighbour_sum_rows",
        lambda: gl.neighbour_sum(G4, np.ones((6, 2))),
        ValueError,
        r"x has shape \(6, 2\) but the graph has 4 nodes; x needs one row per node",
    ),
    (
        "neighbour_sum_reverse_not_a_flag",
        lambda: gl.neighbour_sum(G4, np.ones((4, 2)), reverse="yes"),
        TypeError,
        r"reverse must be True or False, got str 'yes'",
    ),
    (
        "neighbour_sum_not_graph",
        lambda: gl.neighbour_sum(np.ones((4, 2)), G4),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "propagate_not_graph",
        lambda: gl.propagate((G4.senders, G4.receivers), np.ones((6, 2))),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got tuple",
    ),
    (
        "propagate_messages_length",
        lambda: gl.propagate(G4, np.ones((5, 2))),
        ValueError,
        r"messages has shape \(5, 2\) but the graph has 6 edges; messages needs one row per edge",
    ),
    (
        "propagate_scalar_messages",
        lambda: gl.propagate(G4, 1.0),
        ValueError,
        r"messages has shape \(\) but the graph has 6 edges",
    ),
    (
        "propagate_backward_d_out_rows",
        lambda: gl.propagate_backward(G4, np.zeros((5, 2))),
        ValueError,
        r"d_out has shape \(5, 2\) but the graph has 4 nodes; d_out needs one row per node",
    ),
    (
        "propagate_backward_not_graph",
        lambda: gl.propagate_backward(G4.adjacency(), np.zeros((4, 2))),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "segment_sum_length",
        lambda: gl.segment_sum(np.ones(3), [0, 1], 2),
        ValueError,
        r"data has shape \(3,\) but segment_ids has 2 entries; data needs one row per entry",
    ),
    (
        "segment_sum_scalar_data",
        lambda: gl.segment_sum(1.0, [0], 1),
        ValueError,
        r"data has shape \(\) but segment_ids has 1 entries",
    ),
    (
        "segment_max_id_out_of_range",
        lambda: gl.segment_max(np.ones(2), [0, 2], 2),
        ValueError,
        r"^segment_ids contains 2, out of range for num_segments=2$",
    ),
    (
        "segment_mean_negative_id",
        lambda: gl.segment_mean(np.ones(2), [-1, 0], 2),
        ValueError,
        r"^segment_ids contains -1, out of range for num_segments=2$",
    ),
    (
        "segment_sum_ids_on_no_segments",
        lambda: gl.segment_sum(np.ones(1), [0], 0),
        ValueError,
        r"segment_ids contains 0, out of range for num_segments=0",
    ),
    (
        "segment_sum_float_ids",
        lambda: gl.segment_sum(np.ones(2), [0.0, 1.0], 2),
        TypeError,
        r"segment_ids must be an integer array, got dtype float64",
    ),
    (
        "segment_sum_2d_ids",
        lambda: gl.segment_sum(np.ones(2), [[0, 1]], 2),
        ValueError,
        r"segment_ids must be 1-D, got shape \(1, 2\)",
    ),
    (
        "segment_sum_num_segments_float",
        lambda: gl.segment_sum(np.ones(2), [0, 1], 2.0),
        TypeError,
        r"num_segments must be an int, got float",
    ),
    (
        "segment_sum_num_segments_negative",
        lambda: gl.segment_sum(np.ones(0), [], -1),
        ValueError,
        r"num_segments must be >= 0, got -1",
    ),
    (
        "segment_sum_wrong_indptr",
        lambda: gl.segment_sum(np.ones(3), [0, 0, 2], 3, indptr=[0, 2, 3]),
        ValueError,
        r"indptr has shape \(3,\) \(ends at 3\) but must be the \(4,\) CSR offsets of 3 sorted",
    ),
    (
        "segment_sum_indptr_wrong_end",
        lambda: gl.segment_sum(np.ones(3), [0, 0, 2], 3, indptr=[0, 2, 2, 2]),
        ValueError,
        r"indptr has shape \(4,\) \(ends at 2\)",
    ),
    (
        "segment_sum_empty_indptr",
        lambda: gl.segment_sum(np.ones(0), [], 0, indptr=[]),
        ValueError,
        r"indptr has shape \(0,\) \(ends at None\) but must be the \(1,\) CSR offsets",
    ),
    (
        "segment_softmax_nan",
        lambda: gl.segment_softmax(np.array([0.0, np.nan]), [0, 0], 1),
        ValueError,
        r"logits contains NaN or \+inf \(shape \(2,\)\)",
    ),
    (
        "segment_softmax_plus_inf",
        lambda: gl.segment_softmax(np.array([0.0, np.inf]), [0, 0], 1),
        ValueError,
        r"logits contains NaN or \+inf",
    ),
    (
        "segment_softmax_3d",
        lambda: gl.segment_softmax(np.zeros((2, 1, 1)), [0, 0], 1),
        ValueError,
        r"logits must be \(E,\) or \(E, H\), got shape \(2, 1, 1\)",
    ),
    (
        "segment_softmax_length",
        lambda: gl.segment_softmax(np.zeros((3, 2)), [0, 0], 1),
        ValueError,
        r"logits has shape \(3, 2\) but segment_ids has 2 entries",
    ),
    (
        "segment_softmax_text",
        lambda: gl.segment_softmax(np.array(["a", "b"]), [0, 0], 1),
        TypeError,
        r"logits must be a real-valued array, got dtype <U1",
    ),
    (
        "segment_softmax_backward_shapes",
        lambda: gl.segment_softmax_backward(np.ones(2), np.zeros(3), [0, 0], 1),
        ValueError,
        r"d_alpha has shape \(3,\) but alpha has \(2,\)",
    ),
    (
        "segment_softmax_backward_ids",
        lambda: gl.segment_softmax_backward(np.ones(2), np.zeros(2), [0, 1], 1),
        ValueError,
        r"segment_ids contains 1, out of range for num_segments=1",
    ),
    (
        "segment_softmax_backward_length",
        lambda: gl.segment_softmax_backward(np.ones(2), np.zeros(2), [0, 0, 0], 1),
        ValueError,
        r"alpha has shape \(2,\) but segment_ids has 3 entries",
    ),
    (
        "segment_softmax_backward_nan",
        lambda: gl.segment_softmax_backward(np.ones(2), np.array([0.0, np.nan]), [0, 0], 1),
        ValueError,
        r"d_alpha contains NaN/inf",
    ),
    (
        "hop_distance_not_graph",
        lambda: gl.hop_distance(G4.adjacency()),
        TypeError,
        r"graph must be a gnnformer_lite.Graph",
    ),
    (
        "hop_distance_max_layers_float",
        lambda: gl.hop_distance(G4, max_layers=1.5),
        TypeError,
        r"max_layers must be an int, got float",
    ),
    (
        "influence_h_1d",
        lambda: gl.influence(lambda h: h, np.ones(4), 0),
        ValueError,
        r"h must be \(num_nodes, d\), got shape \(4,\)",
    ),
    (
        "influence_h_nan",
        lambda: gl.influence(lambda h: h, np.full((4, 2), np.nan), 0),
        ValueError,
        r"h contains NaN/inf",
    ),
    (
        "influence_target_out_of_range",
        lambda: gl.influence(lambda h: h, np.ones((4, 2)), 4),
        ValueError,
        r"target must be a node index in \[0, 4\), got 4",
    ),
    (
        "influence_target_negative",
        lambda: gl.influence(lambda h: h, np.ones((4, 2)), -1),
        ValueError,
        r"target must be a node index in \[0, 4\), got -1",
    ),
    (
        "influence_target_bool",
        lambda: gl.influence(lambda h: h, np.ones((4, 2)), True),
        TypeError,
        r"target must be a node index in \[0, 4\) \(an int\), got True",
    ),
    (
        "influence_target_word",
        lambda: gl.influence(lambda h: h, np.ones((4, 2)), "sat"),
        TypeError,
        r"target must be a node index in \[0, 4\) \(an int\), got 'sat'",
    ),
    (
        "hop_distance_max_layers_negative",
        lambda: gl.hop_distance(G4, max_layers=-1),
        ValueError,
        r"max_layers must be >= 0, got -1",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
