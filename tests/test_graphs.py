"""``graphs``: the Graph record, its canonical edge order, and the algebra done to graphs.

Adjacency, self loops, reversal, union, a virtual node, networkx in and out, and the
two ways to batch (``batch_graphs``: one disjoint graph; ``pad_batch``: padding and a
mask). The graphs *of a sentence* (complete, window, tree, ...) are in test_sentences.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from conftest import call_without_mutation, edge_list, graphs, refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl
from gnnformer_lite.graphs import check_graph

# --- the Graph record ---------------------------------------------------------------


def test_edges_are_stored_sorted_by_receiver_then_sender():
    g = gl.Graph([2, 0, 1, 0, 2], [1, 2, 0, 1, 2], 3)
    assert edge_list(g) == [(1, 0), (0, 1), (2, 1), (0, 2), (2, 2)]
    assert g.senders.dtype == np.int64 and g.receivers.dtype == np.int64
    assert g.num_nodes == 3 and g.num_edges == 5


def test_direction_and_adjacency_orientation():
    g = gl.Graph([0], [2], 3)  # one message, from node 0 to node 2
    a = g.adjacency()
    assert a[2, 0] == 1 and a.sum() == 1  # row = receiver
    assert a.dtype == np.float64
    assert g.adjacency(dtype=bool).dtype == bool
    assert g.in_degree.tolist() == [0, 0, 1]
    assert g.indptr.tolist() == [0, 0, 0, 1]


def test_arrays_are_read_only_and_fields_frozen():
    g = gl.Graph([0, 1, 1], [1, 0, 1], 3)
    for arr in (g.senders, g.receivers, g.in_degree, g.indptr):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.num_nodes = 4
    with pytest.raises(TypeError, match="unhashable"):
        hash(g)


def test_constructor_copies_its_inputs():
    s, r = np.array([1, 0]), np.array([0, 1])
    g = call_without_mutation(gl.Graph, s, r, 2)
    s[0] = 0  # changing the caller's array afterwards must not change the graph
    assert edge_list(g) == [(1, 0), (0, 1)]
    assert s.flags.writeable


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.uint64, np.int64])
def test_any_integer_dtype_is_accepted(dtype):
    g = gl.Graph(np.array([1, 0], dtype=dtype), np.array([0, 1], dtype=dtype), 2)
    assert g.senders.dtype == np.int64
    assert edge_list(g) == [(1, 0), (0, 1)]
    assert gl.Graph([1], [0], np.int32(2)).num_nodes == 2  # a NumPy int count too


@pytest.mark.parametrize("empty", [[], np.zeros(0), np.zeros(0, dtype=np.float32), ()])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_empty_edge_lists_of_any_dtype(empty, n):
    g = gl.Graph(empty, empty, n)
    assert g.num_edges == 0 and g.num_nodes == n
    assert g.senders.dtype == np.int64
    assert g.adjacency().shape == (n, n) and not g.adjacency().any()
    assert g.in_degree.tolist() == [0] * n
    assert g.indptr.tolist() == [0] * (n + 1)
    assert not g.has_self_loops()


def test_equality_and_repr():
    g = gl.Graph([0, 1], [1, 0], 2)
    assert g == gl.Graph([1, 0], [0, 1], 2)
    assert g != gl.Graph([0, 1], [1, 0], 3)
    assert g != gl.Graph([0], [1], 2)
    assert g != gl.Graph([1, 0], [1, 0], 2)  # same count, other edges
    assert g != "a graph"
    assert repr(g) == "Graph(num_nodes=2, num_edges=2)"


@given(graphs())
def test_shuffled_edges_give_the_sorted_graph(g):
    rng = np.random.default_rng(g.num_edges)
    order = rng.permutation(g.num_edges)
    shuffled = gl.Graph(g.senders[order], g.receivers[order], g.num_nodes)
    assert shuffled == g
    np.testing.assert_array_equal(shuffled.senders, g.senders)
    np.testing.assert_array_equal(shuffled.receivers, g.receivers)
    # the canonical order really is (receiver, sender)
    keys = list(zip(g.receivers.tolist(), g.senders.tolist(), strict=True))
    assert keys == sorted(keys)
    # a per-edge message array given in the shuffled order, permuted to the stored
    # order, aggregates to the same result as messages built in the stored order
    x = rng.normal(size=(g.num_nodes, 3))
    msg_shuffled = x[g.senders[order]] * (1 + g.receivers[order])[:, None]  # depends on j and i
    stored_pos = {e: k for k, e in enumerate(edge_list(g))}
    permuted = np.zeros_like(msg_shuffled)
    for m, (j, i) in enumerate(zip(g.senders[order], g.receivers[order], strict=True)):
        permuted[stored_pos[(int(j), int(i))]] = msg_shuffled[m]
    expected = np.zeros((g.num_nodes, 3))
    for j, i in edge_list(g):
        expected[i] += x[j] * (1 + i)
    np.testing.assert_allclose(gl.propagate(shuffled, permuted), expected, atol=1e-12)


@given(graphs())
def test_degree_indptr_adjacency_agree(g):
    a = g.adjacency()
    assert a.sum() == g.num_edges
    np.testing.assert_array_equal(g.in_degree, a.sum(axis=1))
    for i in range(g.num_nodes):
        incoming = g.senders[g.indptr[i] : g.indptr[i + 1]]
        assert (g.receivers[g.indptr[i] : g.indptr[i + 1]] == i).all()
        assert sorted(incoming.tolist()) == np.flatnonzero(a[i]).tolist()
    assert g.has_self_loops() == bool(np.diag(a).any())


# --- from_adjacency -------------------------------------------------------------------


@given(graphs())
def test_from_adjacency_inverts_adjacency(g):
    for a in (g.adjacency(), g.adjacency(dtype=bool), 2.5 * g.adjacency()):
        assert call_without_mutation(gl.from_adjacency, a) == g


def test_from_adjacency_orientation_and_masks():
    a = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]])  # A[1, 0]: an edge 0 -> 1
    assert edge_list(gl.from_adjacency(a)) == [(0, 1)]
    causal_mask = np.tril(np.ones((4, 4), dtype=bool))  # attention mask: query i, key j
    expected = [(j, i) for i in range(4) for j in range(i + 1)]  # i hears every j <= i
    assert edge_list(gl.from_adjacency(causal_mask)) == expected
    assert gl.from_adjacency(np.zeros((0, 0))) == gl.Graph([], [], 0)


# --- add_self_loops ---------------------------------------------------------------------


def test_add_self_loops_adds_only_missing_ones():
    g = gl.Graph([0, 1, 2, 1], [0, 0, 1, 2], 4)  # node 0 already has its loop
    out = call_without_mutation(gl.add_self_loops, g)
    expected = g.adjacency()
    np.fill_diagonal(expected, 1)
    np.testing.assert_array_equal(out.adjacency(), expected)
    assert out.num_edges == g.num_edges + 3
    assert gl.add_self_loops(out) == out  # idempotent
    assert gl.add_self_loops(gl.Graph([], [], 0)).num_edges == 0


@given(graphs())
def test_add_self_loops_on_random_graphs(g):
    out = gl.add_self_loops(g)
    a = g.adjacency()
    np.fill_diagonal(a, 1)
    np.testing.assert_array_equal(out.adjacency(), a)


# --- reverse_graph ------------------------------------------------------------------------


@given(graphs())
def test_reverse_graph_turns_every_edge_round(g):
    rev = call_without_mutation(gl.reverse_graph, g)
    np.testing.assert_array_equal(rev.adjacency(), g.adjacency().T)
    assert set(edge_list(rev)) == {(i, j) for j, i in edge_list(g)}
    assert gl.reverse_graph(rev) == g  # twice is the identity
    same, order = gl.reverse_graph(g, return_edge_order=True)
    assert same == rev
    # reversed edge k is edge order[k] of g turned round
    assert sorted(order.tolist()) == list(range(g.num_edges))
    np.testing.assert_array_equal(rev.senders, g.receivers[order])
    np.testing.assert_array_equal(rev.receivers, g.senders[order])


def test_reverse_graph_lines_up_per_edge_arrays():
    g = gl.Graph([1, 2, 0], [0, 0, 2], 3)  # stored: 1->0, 2->0, 0->2
    rev, order = gl.reverse_graph(g, return_edge_order=True)
    assert edge_list(rev) == [(2, 0), (0, 1), (0, 2)]  # sorted by receiver again
    weights = np.array([10.0, 20.0, 30.0])  # one per edge of g
    assert order.tolist() == [2, 0, 1]  # 2->0 was 0->2, 0->1 was 1->0, 0->2 was 2->0
    assert weights[order].tolist() == [30.0, 10.0, 20.0]


# --- union_graph --------------------------------------------------------------------------


@given(st.lists(graphs(min_nodes=4, max_nodes=4), min_size=1, max_size=4))
def test_union_graph_is_the_union_of_edge_sets(gs):
    union = gl.union_graph(*gs)
    expected = set().union(*(set(edge_list(g)) for g in gs))
    assert set(edge_list(union)) == expected
    assert union.num_edges == len(expected)  # each edge once
    assert union.num_nodes == 4
    assert gl.union_graph(*gs[::-1]) == union  # the order of the inputs does not matter


def test_union_graph_of_one_graph_and_empty_graphs():
    g = gl.Graph([0, 1, 2], [1, 2, 0], 3)
    assert gl.union_graph(g) == g
    assert gl.union_graph(g, g) == g
    assert gl.union_graph(g, gl.Graph([], [], 3)) == g
    assert gl.union_graph(gl.Graph([], [], 3)) == gl.Graph([], [], 3)
    assert gl.union_graph(gl.Graph([], [], 0), gl.Graph([], [], 0)) == gl.Graph([], [], 0)


# --- virtual_node_graph -------------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [gl.Graph([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], 4), gl.Graph([0, 2, 3], [1, 2, 0], 5)],
    ids=["path", "self loop and isolated"],
)
def test_virtual_node_graph(graph):
    n = graph.num_nodes
    g = call_without_mutation(gl.virtual_node_graph, graph)
    assert g.num_nodes == n + 1 and g.num_edges == graph.num_edges + 2 * n
    A = g.adjacency()  # A[i, j]: an edge j -> i
    assert (A[n, :n] == 1).all() and (A[:n, n] == 1).all()  # every node <-> the new node
    assert A[n, n] == 0  # no self loop on it
    np.testing.assert_array_equal(A[:n, :n], graph.adjacency())  # the old edges, unchanged
    assert nx.diameter(gl.to_networkx(g).to_undirected()) <= 2


def test_virtual_node_makes_a_path_two_hops_across():
    path = gl.Graph(np.r_[0:8, 1:9], np.r_[1:9, 0:8], 9)  # 0 - 1 - ... - 8
    G = gl.to_networkx(gl.virtual_node_graph(path))
    assert nx.shortest_path_length(G, 0, 8) == 2
    assert nx.diameter(G) == 2
    assert gl.virtual_node_graph(gl.Graph([], [], 0)) == gl.Graph([], [], 1)
    assert gl.virtual_node_graph(gl.Graph([], [], 1)) == gl.Graph([0, 1], [1, 0], 2)


# --- batch_graphs -------------------------------------------------------------------------


def test_batch_graphs_is_a_disjoint_union():
    g1 = gl.Graph([0, 1, 1, 2], [1, 0, 2, 1], 3)
    g2, g3 = gl.Graph([], [], 2), gl.Graph([0, 0, 1], [0, 1, 1], 2)
    batched, node_graph, offsets = call_without_mutation(gl.batch_graphs, [g1, g2, g3])
    assert batched.num_nodes == 7
    assert node_graph.tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert offsets.tolist() == [0, 3, 5, 7] and offsets.dtype == np.int64  # PyG's ptr
    expected = np.zeros((7, 7))
    expected[0:3, 0:3] = g1.adjacency()
    expected[5:7, 5:7] = g3.adjacency()
    np.testing.assert_array_equal(batched.adjacency(), expected)
    # PyG convention: node k of graph b becomes offsets[b] + k
    assert (5, 6) in edge_list(batched) and (6, 5) not in edge_list(batched)


def test_batch_graphs_edge_cases():
    empty, node_graph, offsets = gl.batch_graphs([])
    assert empty == gl.Graph([], [], 0) and node_graph.shape == (0,)
    assert offsets.tolist() == [0]
    pair = gl.Graph([0, 1], [1, 0], 2)
    one, node_graph, offsets = gl.batch_graphs(iter([pair]))  # any iterable
    assert one == pair and node_graph.tolist() == [0, 0] and offsets.tolist() == [0, 2]


@given(st.lists(graphs(max_nodes=4), max_size=4))
@settings(max_examples=25)
def test_batch_graphs_random(gs):
    batched, node_graph, offsets = gl.batch_graphs(gs)
    a = batched.adjacency()
    assert offsets.shape == (len(gs) + 1,) and offsets[-1] == batched.num_nodes
    for b, g in enumerate(gs):
        start, stop = offsets[b], offsets[b + 1]
        assert stop - start == g.num_nodes
        np.testing.assert_array_equal(a[start:stop, start:stop], g.adjacency())
        assert (node_graph[start:stop] == b).all()
    assert a.sum() == sum(g.num_edges for g in gs)  # nothing between graphs


# --- pad_batch ------------------------------------------------------------------------------


def test_pad_batch_of_ids():
    ids = [np.array([4, 7, 1, 2]), np.array([3, 5, 6])]
    padded, mask = call_without_mutation(gl.pad_batch, ids)
    assert padded.shape == mask.shape == (2, 4)
    assert padded.dtype == np.int64 and mask.dtype == bool
    np.testing.assert_array_equal(padded, [[4, 7, 1, 2], [3, 5, 6, 0]])  # pad_id 0
    np.testing.assert_array_equal(mask, [[True] * 4, [True, True, True, False]])
    np.testing.assert_array_equal(padded[mask], np.concatenate(ids))


def test_pad_batch_pad_id_lists_and_empty_sentences():
    ids, mask = gl.pad_batch([np.array([3, 1]), np.array([2])], pad_id=9)
    np.testing.assert_array_equal(ids, [[3, 1], [2, 9]])
    np.testing.assert_array_equal(mask, [[True, True], [True, False]])
    ids, mask = gl.pad_batch([[1, 2, 3], np.array([5], dtype=np.uint8)])  # lists, any ints
    np.testing.assert_array_equal(ids, [[1, 2, 3], [5, 0, 0]])
    ids, mask = gl.pad_batch([np.zeros(0, dtype=int), np.array([3])])
    np.testing.assert_array_equal(ids, [[0], [3]])
    np.testing.assert_array_equal(mask, [[False], [True]])


def test_pad_batch_of_feature_rows():
    rng = np.random.default_rng(0)
    rows = [rng.normal(size=(n, 3)) for n in (2, 5, 1)]
    x, mask = call_without_mutation(gl.pad_batch, rows)
    assert x.shape == (3, 5, 3) and x.dtype == np.float64 and mask.dtype == bool
    np.testing.assert_array_equal(mask.sum(axis=1), [2, 5, 1])
    for b, r in enumerate(rows):
        np.testing.assert_array_equal(x[b, : len(r)], r)
        assert (x[b, len(r) :] == 0).all()
    np.testing.assert_array_equal(x[mask], np.concatenate(rows))
    ints, _ = gl.pad_batch([np.eye(2, dtype=np.int64)])  # integer one-hots become floats
    assert ints.dtype == np.float64
    empty, m = gl.pad_batch([np.zeros((0, 2)), np.ones((1, 2))])
    assert empty.shape == (2, 1, 2) and not m[0].any() and (empty[0] == 0).all()


# --- networkx ---------------------------------------------------------------------------


def test_from_networkx_undirected_directed_and_labels():
    G = nx.Graph()
    G.add_nodes_from(["c", "a", "b", "lonely"])
    G.add_edges_from([("c", "a"), ("a", "b"), ("b", "b")])
    before = nx.to_dict_of_dicts(G)
    g = gl.from_networkx(G)
    assert nx.to_dict_of_dicts(G) == before
    # nodes numbered in list(G.nodes) order: c=0, a=1, b=2, lonely=3
    assert set(edge_list(g)) == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 2)}  # the loop once
    assert g.num_nodes == 4 and g.in_degree[3] == 0

    D = nx.DiGraph([(0, 1), (1, 2)])
    assert edge_list(gl.from_networkx(D)) == [(0, 1), (1, 2)]
    assert gl.from_networkx(nx.Graph()) == gl.Graph([], [], 0)
    assert gl.from_networkx(nx.empty_graph(3)) == gl.Graph([], [], 3)


@given(graphs())
def test_networkx_round_trip(g):
    G = call_without_mutation(gl.to_networkx, g)
    assert isinstance(G, nx.DiGraph)
    assert list(G.nodes) == list(range(g.num_nodes))
    assert set(G.edges) == set(edge_list(g))  # (j, i): from sender to receiver
    assert gl.from_networkx(G) == g


# --- check_graph: the check every function that takes a graph starts with -----------------


def test_check_graph_returns_the_graph_or_names_the_mismatch():
    g = gl.Graph([0], [1], 4)
    assert check_graph(g) is g and check_graph(g, 4) is g
    with pytest.raises(ValueError, match=r"^graph has num_nodes=4 but q has 5 rows$"):
        check_graph(g, 5, "q")
    with pytest.raises(TypeError, match=r"^base must be a gnnformer_lite.Graph, got dict$"):
        check_graph({"senders": [0]}, name="base")


# --- bad input: a ValueError / TypeError naming the argument and the shapes ---------------

G4 = gl.Graph([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], 4)

BAD = [
    (
        "sender_out_of_range",
        lambda: gl.Graph([0, 5], [1, 1], 3),
        ValueError,
        r"^senders contains 5, out of range for num_nodes=3$",
    ),
    (
        "negative_receiver",
        lambda: gl.Graph([0, 1], [-1, 1], 3),
        ValueError,
        r"^receivers contains -1, out of range for num_nodes=3$",
    ),
    (
        "edges_on_zero_nodes",
        lambda: gl.Graph([0], [0], 0),
        ValueError,
        r"senders contains 0, out of range for num_nodes=0",
    ),
    (
        "float_indices",
        lambda: gl.Graph([0.0, 1.0], [1, 0], 2),
        TypeError,
        r"senders must be an integer array, got dtype float64",
    ),
    (
        "bool_indices",
        lambda: gl.Graph([0, 1], [True, False], 2),
        TypeError,
        r"receivers must be an integer array, got dtype bool",
    ),
    (
        "unequal_lengths",
        lambda: gl.Graph([0, 1], [1], 2),
        ValueError,
        r"senders and receivers must have equal lengths, got \(2,\) and \(1,\)",
    ),
    (
        "2d_indices",
        lambda: gl.Graph([[0, 1]], [[1, 0]], 2),
        ValueError,
        r"senders must be 1-D, got shape \(1, 2\)",
    ),
    (
        "scalar_indices",
        lambda: gl.Graph(0, 1, 2),
        ValueError,
        r"senders must be 1-D, got shape \(\)",
    ),
    (
        "duplicate_edge",
        lambda: gl.Graph([0, 2, 0], [1, 1, 1], 3),
        ValueError,
        r"duplicate edge 0 -> 1 \(each edge may appear once\)",
    ),
    (
        "num_nodes_float",
        lambda: gl.Graph([], [], 2.0),
        TypeError,
        r"num_nodes must be an int, got float 2.0",
    ),
    (
        "num_nodes_bool",
        lambda: gl.Graph([], [], True),
        TypeError,
        r"num_nodes must be an int, got bool",
    ),
    (
        "num_nodes_negative",
        lambda: gl.Graph([], [], -1),
        ValueError,
        r"num_nodes must be >= 0, got -1",
    ),
    (
        "from_adjacency_not_square",
        lambda: gl.from_adjacency(np.ones((2, 3))),
        ValueError,
        r"A must be a square \(n, n\) matrix, got shape \(2, 3\)",
    ),
    (
        "from_adjacency_1d",
        lambda: gl.from_adjacency(np.ones(4)),
        ValueError,
        r"A must be a square \(n, n\) matrix, got shape \(4,\)",
    ),
    (
        "add_self_loops_not_graph",
        lambda: gl.add_self_loops(np.eye(3)),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "reverse_graph_not_graph",
        lambda: gl.reverse_graph(np.zeros((2, 2))),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    ("union_of_nothing", lambda: gl.union_graph(), ValueError, "at least one graph"),
    (
        "union_of_other_sizes",
        lambda: gl.union_graph(G4, gl.Graph([], [], 5)),
        ValueError,
        r"same nodes, got num_nodes \[4, 5\]",
    ),
    (
        "union_of_a_list",
        lambda: gl.union_graph(G4, [G4]),
        TypeError,
        r"graphs\[1\] must be a gnnformer_lite.Graph, got list",
    ),
    (
        "virtual_node_not_graph",
        lambda: gl.virtual_node_graph(np.eye(3)),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "batch_graphs_not_graph",
        lambda: gl.batch_graphs([G4, "not a graph"]),
        TypeError,
        r"graphs\[1\] must be a gnnformer_lite.Graph, got str",
    ),
    ("pad_batch_nothing", lambda: gl.pad_batch([]), ValueError, "at least one sentence"),
    (
        "pad_batch_two_widths",
        lambda: gl.pad_batch([np.ones((2, 3)), np.ones((2, 4))]),
        ValueError,
        r"one F, got shapes \[\(2, 3\), \(2, 4\)\]",
    ),
    (
        "pad_batch_rows_then_ids",
        lambda: gl.pad_batch([np.ones((2, 3)), np.array([1, 2])]),
        ValueError,
        r"all \(n_b,\) or all \(n_b, F\) with one F, got shapes \[\(2, 3\), \(2,\)\]",
    ),
    (
        "pad_batch_ids_then_rows",
        lambda: gl.pad_batch([np.array([1, 2]), np.ones((2, 3))]),
        ValueError,
        r"all \(n_b,\) or all \(n_b, F\)",
    ),
    (
        "pad_batch_3d",
        lambda: gl.pad_batch([np.ones((2, 3, 1))]),
        ValueError,
        r"got shapes \[\(2, 3, 1\)\]",
    ),
    (
        "pad_batch_rows_with_pad_id",
        lambda: gl.pad_batch([np.ones((2, 3))], pad_id=1),
        ValueError,
        "feature rows are padded with zeros; got pad_id=1",
    ),
    (
        "pad_batch_negative_pad_id",
        lambda: gl.pad_batch([np.array([1])], pad_id=-1),
        ValueError,
        "pad_id must be >= 0, got -1",
    ),
    (
        "pad_batch_float_pad_id",
        lambda: gl.pad_batch([np.array([1])], pad_id=0.0),
        TypeError,
        "pad_id must be an int, got float",
    ),
    (
        "pad_batch_float_ids",
        lambda: gl.pad_batch([np.array([1, 2]), np.array([0.5])]),
        TypeError,
        r"ids must be integer token ids, got dtype float64",
    ),
    (
        "pad_batch_text_ids",
        lambda: gl.pad_batch([["the", "cat"]]),
        TypeError,
        r"ids must be integer token ids, got dtype <U3",
    ),
    (
        "from_networkx_not_networkx",
        lambda: gl.from_networkx({0: [1]}),
        TypeError,
        r"G must be a networkx graph, got dict",
    ),
    (
        "from_networkx_multigraph_duplicates",
        lambda: gl.from_networkx(nx.MultiDiGraph([(0, 1), (0, 1)])),
        ValueError,
        r"duplicate edge 0 -> 1",
    ),
    (
        "to_networkx_not_graph",
        lambda: gl.to_networkx(nx.path_graph(3)),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got Graph",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)


def test_union_graph_docstring_states_the_neighbourhood():
    assert r"\mathcal{N}(i) = \mathcal{N}_1(i) \cup" in gl.union_graph.__doc__
    assert ".. math::" in gl.union_graph.__doc__


def test_virtual_nodes_of_a_batch_equal_batching_each_graphs_virtual_node():
    parts = [gl.Graph([0, 1], [1, 0], 3), gl.Graph([], [], 1), gl.Graph([1, 0], [0, 2], 4)]
    batch, _, offsets = gl.batch_graphs(parts)
    expected, _, _ = gl.batch_graphs([gl.virtual_node_graph(g) for g in parts])
    assert gl.virtual_node_graph(batch, offsets) == expected
    assert gl.virtual_node_graph(parts[0]) == gl.virtual_node_graph(parts[0], [0, 3])


@pytest.mark.parametrize("offsets", [[0, 2], [1, 3], [0, 3, 2, 3], []])
def test_virtual_node_graph_refuses_offsets_that_are_not_a_batch(offsets):
    with pytest.raises(ValueError, match="offsets must rise from 0 to num_nodes=3"):
        gl.virtual_node_graph(gl.path_graph(3), offsets)
