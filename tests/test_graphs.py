"""Graph: the edge-list record, its canonical order, and the course's graph builders."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from conftest import call_without_mutation, edge_list, graphs
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl


def adjacency_by_loop(n, allowed) -> np.ndarray:
    """``A[i, j] = 1`` wherever ``allowed(i, j)``, built one pair at a time."""
    a = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if allowed(i, j):
                a[i, j] = 1
    return a


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
    g = gl.complete_graph(3)
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
def test_from_adjacency_inverts_adjacency(g):
    for a in (g.adjacency(), g.adjacency(dtype=bool), 2.5 * g.adjacency()):
        assert call_without_mutation(gl.from_adjacency, a) == g


def test_from_adjacency_orientation_and_masks():
    a = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]])  # A[1, 0]: an edge 0 -> 1
    assert edge_list(gl.from_adjacency(a)) == [(0, 1)]
    causal_mask = np.tril(np.ones((4, 4), dtype=bool))  # attention mask: query i, key j
    assert gl.from_adjacency(causal_mask) == gl.causal_graph(4)
    assert gl.from_adjacency(np.zeros((0, 0))) == gl.Graph([], [], 0)


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


# --- builders -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5])
@pytest.mark.parametrize("self_loops", [True, False])
def test_complete_graph(n, self_loops):
    g = gl.complete_graph(n, self_loops=self_loops)
    expected = adjacency_by_loop(n, lambda i, j: self_loops or i != j)
    np.testing.assert_array_equal(g.adjacency(), expected)
    assert g.num_edges == (n * n if self_loops else n * (n - 1))
    assert g.has_self_loops() == (self_loops and n > 0)


@pytest.mark.parametrize("n", [0, 1, 2, 7])
@pytest.mark.parametrize("radius", [0, 1, 2, 10])
@pytest.mark.parametrize("self_loops", [True, False])
def test_window_graph(n, radius, self_loops):
    g = gl.window_graph(n, radius, self_loops=self_loops)
    expected = adjacency_by_loop(n, lambda i, j: abs(i - j) <= radius and (self_loops or i != j))
    np.testing.assert_array_equal(g.adjacency(), expected)


@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_causal_graph(n):
    g = gl.causal_graph(n)
    np.testing.assert_array_equal(g.adjacency(), adjacency_by_loop(n, lambda i, j: j <= i))
    assert g.num_edges == n * (n + 1) // 2


@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_path_graph(n):
    g = gl.path_graph(n)
    assert g == gl.window_graph(n, 1, self_loops=False)
    np.testing.assert_array_equal(g.adjacency(), adjacency_by_loop(n, lambda i, j: abs(i - j) == 1))
    assert not g.has_self_loops()


def test_example_sentence_and_its_dependency_graph():
    words, heads = gl.example_sentence()
    assert len(words) == 10 == len(heads)
    assert words[int(np.flatnonzero(heads == -1)[0])] == "sat"
    assert words[heads[1]] == "sat" and words[heads[7]] == "tired"
    g = gl.dependency_graph(heads)
    expected = adjacency_by_loop(10, lambda i, j: heads[i] == j or heads[j] == i)
    np.testing.assert_array_equal(g.adjacency(), expected)
    assert g.num_edges == 2 * 9 and not g.has_self_loops()
    # "it" (7) reaches "cat" (1) in three hops: it - tired - sat - cat
    dist = nx.shortest_path_length(gl.to_networkx(g), 7, 1)
    assert dist == 3


def test_dependency_graph_self_loops_and_trivial_trees():
    _, heads = gl.example_sentence()
    g = gl.dependency_graph(heads, self_loops=True)
    np.testing.assert_array_equal(np.diag(g.adjacency()), np.ones(10))
    assert g.num_edges == 2 * 9 + 10
    assert gl.dependency_graph([-1]) == gl.Graph([], [], 1)
    assert gl.dependency_graph([]) == gl.Graph([], [], 0)
    assert gl.dependency_graph([1, -1, 1]) == gl.Graph([0, 1, 1, 2], [1, 0, 2, 1], 3)
    heads = np.array([1, -1, 1])
    call_without_mutation(gl.dependency_graph, heads, self_loops=True)


def is_tree_by_loop(heads) -> bool:
    """Exactly one root, and from every word the chain of heads reaches it within n steps."""
    n = len(heads)
    if n == 0:
        return True
    if sum(1 for x in heads if x == -1) != 1:
        return False
    for i in range(n):
        j, steps = i, 0
        while j != -1 and steps <= n:
            j, steps = heads[j], steps + 1
        if j != -1:
            return False
    return True


@st.composite
def random_trees(draw, max_words: int = 8):
    """Valid heads: each word (in a random order) hangs below a word placed before it."""
    n = draw(st.integers(1, max_words))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    order = rng.permutation(n)
    heads = np.full(n, -1)
    for k in range(1, n):
        heads[order[k]] = order[rng.integers(k)]
    return heads.tolist()


@st.composite
def any_heads(draw, max_words: int = 6):
    n = draw(st.integers(0, max_words))
    return draw(st.lists(st.integers(-1, n - 1), min_size=n, max_size=n))


@given(heads=random_trees() | any_heads())
def test_dependency_graph_accepts_exactly_the_trees(heads):
    if not is_tree_by_loop(heads):
        with pytest.raises(ValueError, match="root|cycle"):
            gl.dependency_graph(heads)
        return
    n = len(heads)
    g = gl.dependency_graph(heads)
    expected = adjacency_by_loop(n, lambda i, j: heads[i] == j or heads[j] == i)
    np.testing.assert_array_equal(g.adjacency(), expected)
    if n:
        assert nx.is_tree(gl.to_networkx(g).to_undirected())


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


def test_batch_graphs_is_a_disjoint_union():
    g1, g2, g3 = gl.path_graph(3), gl.Graph([], [], 2), gl.causal_graph(2)
    batched, node_graph = call_without_mutation(gl.batch_graphs, [g1, g2, g3])
    assert batched.num_nodes == 7
    assert node_graph.tolist() == [0, 0, 0, 1, 1, 2, 2]
    expected = np.zeros((7, 7))
    expected[0:3, 0:3] = g1.adjacency()
    expected[5:7, 5:7] = g3.adjacency()
    np.testing.assert_array_equal(batched.adjacency(), expected)
    # PyG convention: node k of graph b becomes offset[b] + k
    assert (5, 6) in edge_list(batched) and (6, 5) not in edge_list(batched)


def test_batch_graphs_edge_cases():
    empty, node_graph = gl.batch_graphs([])
    assert empty == gl.Graph([], [], 0) and node_graph.shape == (0,)
    one, node_graph = gl.batch_graphs(iter([gl.complete_graph(2)]))  # any iterable
    assert one == gl.complete_graph(2) and node_graph.tolist() == [0, 0]


@given(st.lists(graphs(max_nodes=4), max_size=4))
@settings(max_examples=25)
def test_batch_graphs_random(gs):
    batched, node_graph = gl.batch_graphs(gs)
    a = batched.adjacency()
    start = 0
    for b, g in enumerate(gs):
        stop = start + g.num_nodes
        np.testing.assert_array_equal(a[start:stop, start:stop], g.adjacency())
        assert (node_graph[start:stop] == b).all()
        start = stop
    assert a.sum() == sum(g.num_edges for g in gs)  # nothing between graphs


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
