"""Sparse-attention graphs: dilated windows, global tokens, random edges, unions, BigBird.

Every edge set is checked against a plain double loop over (receiver, sender) pairs that
reads like the definition in the docstring.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import edge_list, graphs
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl


def edges_by_loop(n, allowed) -> set[tuple[int, int]]:
    """``{(j, i)}``: every sender j and receiver i with ``allowed(i, j)``, one pair at a time."""
    return {(j, i) for i in range(n) for j in range(n) if allowed(i, j)}


# --- dilated_graph --------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 7, 12])
@pytest.mark.parametrize("radius", [0, 1, 3])
@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("self_loops", [True, False])
def test_dilated_graph_matches_its_definition(n, radius, dilation, self_loops):
    g = gl.dilated_graph(n, radius, dilation, self_loops=self_loops)

    def allowed(i, j):
        offset = i - j
        if offset == 0:
            return self_loops
        return offset % dilation == 0 and abs(offset) // dilation <= radius

    assert set(edge_list(g)) == edges_by_loop(n, allowed)
    assert g.num_nodes == n


@pytest.mark.parametrize("self_loops", [True, False])
def test_dilation_one_is_the_window(self_loops):
    for n, radius in [(0, 2), (5, 1), (9, 3), (4, 6)]:
        assert gl.dilated_graph(n, radius, 1, self_loops) == gl.window_graph(n, radius, self_loops)


def test_dilated_graph_bad_arguments():
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        gl.dilated_graph(5, 1, 0)
    with pytest.raises(ValueError, match="dilation must be >= 0"):
        gl.dilated_graph(5, 1, -2)
    with pytest.raises(TypeError, match="dilation must be an int"):
        gl.dilated_graph(5, 1, 1.5)
    with pytest.raises(TypeError, match="radius must be an int"):
        gl.dilated_graph(5, "2", 1)
    with pytest.raises(ValueError, match="n must be >= 0"):
        gl.dilated_graph(-1, 1, 1)


# --- union_graph ----------------------------------------------------------------------


@given(st.lists(graphs(min_nodes=4, max_nodes=4), min_size=1, max_size=4))
def test_union_graph_is_the_union_of_edge_sets(gs):
    union = gl.union_graph(*gs)
    expected = set().union(*(set(edge_list(g)) for g in gs))
    assert set(edge_list(union)) == expected
    assert union.num_edges == len(expected)  # each edge once
    assert union.num_nodes == 4
    assert gl.union_graph(*gs[::-1]) == union  # the order of the inputs does not matter


def test_union_graph_of_one_graph_and_empty_graphs():
    g = gl.window_graph(6, 1)
    assert gl.union_graph(g) == g
    assert gl.union_graph(g, g) == g
    assert gl.union_graph(gl.Graph([], [], 3)) == gl.Graph([], [], 3)
    assert gl.union_graph(gl.Graph([], [], 0), gl.Graph([], [], 0)) == gl.Graph([], [], 0)


def test_union_graph_bad_arguments():
    with pytest.raises(ValueError, match="at least one graph"):
        gl.union_graph()
    with pytest.raises(ValueError, match=r"same nodes, got num_nodes \[4, 5\]"):
        gl.union_graph(gl.window_graph(4, 1), gl.window_graph(5, 1))
    with pytest.raises(TypeError, match=r"graphs\[1\] must be a gnnformer_lite.Graph, got list"):
        gl.union_graph(gl.window_graph(4, 1), [gl.window_graph(4, 1)])


# --- global_token_graph ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "glob"), [(1, [0]), (5, [0]), (6, [0, 5]), (7, [3, 1]), (4, []), (0, [])]
)
def test_global_token_graph_matches_its_definition(n, glob):
    g = gl.global_token_graph(n, glob)
    assert set(edge_list(g)) == edges_by_loop(n, lambda i, j: i in glob or j in glob)
    hubs = np.array(glob, dtype=int)
    assert (g.in_degree[hubs] == n).all()  # a global token hears every word, itself included


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_global_token_graph_on_a_window(radius):
    n, glob = 9, [0, 4]
    base = gl.window_graph(n, radius)
    g = gl.global_token_graph(n, np.array(glob), base=base)
    expected = edges_by_loop(n, lambda i, j: abs(i - j) <= radius or i in glob or j in glob)
    assert set(edge_list(g)) == expected
    assert set(edge_list(base)) <= set(edge_list(g))


def test_global_tokens_put_every_pair_within_two_hops():
    n = 12
    g = gl.global_token_graph(n, [0])
    a = g.adjacency()
    two_hops = (a @ a) > 0
    assert two_hops.all()
    assert not (a > 0).all()  # but not within one


def test_global_token_graph_bad_arguments():
    with pytest.raises(ValueError, match="global_nodes contains node 5, out of range for n=5"):
        gl.global_token_graph(5, [1, 5])
    with pytest.raises(ValueError, match="global_nodes contains node -1"):
        gl.global_token_graph(5, [-1])
    with pytest.raises(ValueError, match=r"global_nodes must be distinct, got \[2, 2\]"):
        gl.global_token_graph(5, [2, 2])
    with pytest.raises(TypeError, match="global_nodes must be an integer array"):
        gl.global_token_graph(5, [0.5])
    with pytest.raises(ValueError, match="global_nodes must be 1-D"):
        gl.global_token_graph(5, 0)
    with pytest.raises(ValueError, match="base has num_nodes=4 but n=5"):
        gl.global_token_graph(5, [0], base=gl.window_graph(4, 1))
    with pytest.raises(TypeError, match="base must be a gnnformer_lite.Graph"):
        gl.global_token_graph(5, [0], base=np.ones((5, 5)))


# --- random_graph ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "num_random"), [(0, 0), (1, 0), (2, 1), (6, 2), (6, 5), (9, 0)])
def test_random_graph_degrees_and_no_self_loops(n, num_random):
    g = gl.random_graph(n, num_random, rng=np.random.default_rng(0))
    assert g.num_nodes == n
    assert g.in_degree.tolist() == [num_random] * n  # each receiver, exactly num_random senders
    assert not g.has_self_loops()
    if num_random == n - 1:  # every other node: the complete graph without self loops
        assert g == gl.complete_graph(n, self_loops=False)


def test_random_graph_is_reproducible_and_depends_on_the_seed():
    draw = [gl.random_graph(20, 3, rng=np.random.default_rng(seed)) for seed in (0, 0, 1)]
    assert draw[0] == draw[1]
    assert draw[0] != draw[2]


def test_random_graph_draws_senders_uniformly():
    n, num_random, draws = 5, 2, 2000
    rng = np.random.default_rng(42)
    counts = np.zeros((n, n))
    for _ in range(draws):
        counts += gl.random_graph(n, num_random, rng=rng).adjacency()
    freq = counts / draws  # freq[i, j]: how often j was among the senders of i
    off_diagonal = ~np.eye(n, dtype=bool)
    # each of the n - 1 other nodes with probability num_random / (n - 1) = 0.5;
    # the standard error of one frequency is sqrt(0.25 / 2000) = 0.011
    np.testing.assert_allclose(freq[off_diagonal], num_random / (n - 1), atol=0.05)
    assert (np.diag(freq) == 0).all()


def test_random_graph_avoids_the_excluded_edges():
    n = 12
    window = gl.window_graph(n, 2)
    for seed in range(5):
        g = gl.random_graph(n, 3, rng=np.random.default_rng(seed), exclude=window)
        assert not set(edge_list(g)) & set(edge_list(window))
        assert g.in_degree.tolist() == [3] * n  # every word has >= 3 words outside its window
    crowded = gl.global_token_graph(n, [0], base=gl.window_graph(n, 4))
    g = gl.random_graph(n, 5, rng=np.random.default_rng(0), exclude=crowded)
    heard = [{j for j, r in edge_list(crowded) if r == i} | {i} for i in range(n)]
    left = np.array([n - len(h) for h in heard])  # candidates: not i, not already heard
    np.testing.assert_array_equal(g.in_degree, np.minimum(5, left))  # fewer left: all of them
    assert g.in_degree[0] == 0  # the global token already hears everyone


def test_random_graph_bad_arguments():
    for bad in (None, 0, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be a seeded np.random.Generator"):
            gl.random_graph(5, 1, rng=bad)
    with pytest.raises(ValueError, match=r"num_random=5 is too large for n=5: .* n - 1 = 4"):
        gl.random_graph(5, 5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="num_random=1 is too large for n=0"):
        gl.random_graph(0, 1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="num_random must be an int"):
        gl.random_graph(5, 1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="exclude has num_nodes=4 but n=5"):
        gl.random_graph(5, 1, rng=np.random.default_rng(0), exclude=gl.window_graph(4, 1))
    with pytest.raises(TypeError, match="exclude must be a gnnformer_lite.Graph"):
        gl.random_graph(5, 1, rng=np.random.default_rng(0), exclude="window")
    with pytest.raises(TypeError, match="positional"):
        gl.random_graph(5, 1, np.random.default_rng(0))  # rng is keyword-only


# --- bigbird_graph --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bigbird_graph_is_window_plus_global_plus_random(seed):
    n, radius, glob, num_random = 16, 1, [0, 15], 2
    g = gl.bigbird_graph(n, radius, glob, num_random, rng=np.random.default_rng(seed))
    structured = edges_by_loop(n, lambda i, j: abs(i - j) <= radius or i in glob or j in glob)
    edges = set(edge_list(g))
    assert structured <= edges
    extra = edges - structured  # the random edges: num_random per ordinary word, none for hubs
    per_receiver = np.bincount([i for _, i in extra], minlength=n)
    expected = np.full(n, num_random)
    expected[glob] = 0
    np.testing.assert_array_equal(per_receiver, expected)
    # the same random draw as random_graph with the structured part excluded
    base = gl.global_token_graph(n, glob, gl.window_graph(n, radius))
    again = gl.random_graph(n, num_random, rng=np.random.default_rng(seed), exclude=base)
    assert set(edge_list(again)) == extra


def test_bigbird_graph_bad_arguments():
    with pytest.raises(TypeError, match="rng must be a seeded np.random.Generator"):
        gl.bigbird_graph(8, 1, [0], 1, rng=0)
    with pytest.raises(ValueError, match="global_nodes contains node 8"):
        gl.bigbird_graph(8, 1, [8], 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="num_random=8 is too large for n=8"):
        gl.bigbird_graph(8, 1, [0], 8, rng=np.random.default_rng(0))


# --- docstrings carry the definition --------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [gl.dilated_graph, gl.global_token_graph, gl.random_graph, gl.union_graph, gl.bigbird_graph],
)
def test_docstring_states_the_neighbourhood(fn):
    assert r"\mathcal{N}(i)" in fn.__doc__
    assert ".. math::" in fn.__doc__
