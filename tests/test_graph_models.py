"""Notebook 09: the nearest-marked-node data, its batching helpers, and the two models.

- ``nearest_marked_dataset``: the distributions its docstring states, the hop
  distances (checked with networkx), and the two baselines the notebook quotes
  (a k-hop ball sees no marked node; a set model is at exactly 1/2).
- ``pad_batch`` of feature rows, ``pad_encoding``, ``flip_signs``, ``virtual_node_graph``.
- ``residual_gnn`` and ``graph_transformer``: their backward passes against finite
  differences on every parameter, padding and permutation facts, and clear errors.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import call_without_mutation, randomize_params

import gnnformer_lite as gl

TOL = 1e-6
C = 4  # colours in the small datasets below


def leaves(tree, path=""):
    """``[(path, value), ...]`` of a nested dict."""
    if isinstance(tree, dict):
        return [leaf for key, value in tree.items() for leaf in leaves(value, f"{path}/{key}")]
    return [(path, tree)]


def assert_gradients(loss, params, grads):
    """Every entry of every parameter against central differences (relative error < 1e-6)."""
    assert sorted(p for p, _ in leaves(grads)) == sorted(p for p, _ in leaves(params))
    errors = gl.gradient_check(loss, params, grads)
    bad = {path: err for path, err in leaves(errors) if not err < TOL}
    assert not bad, f"gradient check failed: {bad}"


def small_data(num_graphs=3, seed=0, max_distance=3, extra_nodes=0):
    return gl.nearest_marked_dataset(
        num_graphs, seed, max_distance=max_distance, num_colours=C, extra_nodes=extra_nodes
    )


def padded(data, k=3):
    """``x (B, L, F)``, ``pe (B, L, k)``, ``mask (B, L)`` of a dataset."""
    x, mask = gl.pad_batch(data["features"])
    pe, pe_mask = gl.pad_batch(gl.laplacian_positions(data["graphs"], k))
    np.testing.assert_array_equal(mask, pe_mask)
    return x, pe, mask


def transformer_params(seed=0, k=3, num_layers=2):
    rng = np.random.default_rng(seed)
    params = gl.init_graph_transformer(rng, C + 2, k, 4, 2, 6, C, num_layers=num_layers)
    return randomize_params(params, rng)  # biases and LayerNorms away from 0 / 1


def gnn_params(seed=0, num_layers=2):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_residual_gnn(rng, C + 2, 4, num_layers, C), rng)


# --- nearest_marked_dataset -----------------------------------------------------------


@pytest.fixture(scope="module")
def big():
    """A large sample of the default task (D = 12, C = 4)."""
    return gl.nearest_marked_dataset(6000, seed=1)


@pytest.fixture(scope="module", params=[0, 3], ids=["path", "tree"])
def sample(request):
    return gl.nearest_marked_dataset(300, seed=2, max_distance=6, extra_nodes=request.param)


def test_the_same_seed_gives_the_same_data():
    a, b, other = (gl.nearest_marked_dataset(20, s, extra_nodes=2) for s in (5, 5, 6))
    assert (
        a.keys()
        == b.keys()
        == {
            "graphs",
            "features",
            "labels",
            "distance",
            "path_nodes",
            "decoy",
            "decoy_colour",
        }
    )
    assert a["graphs"] == b["graphs"]
    for key in ("labels", "distance", "path_nodes", "decoy", "decoy_colour"):
        np.testing.assert_array_equal(a[key], b[key])
        assert a[key].dtype == np.int64 and a[key].shape == (20,)
    for xa, xb in zip(a["features"], b["features"], strict=True):
        np.testing.assert_array_equal(xa, xb)
    assert a["graphs"] != other["graphs"] or not np.array_equal(a["labels"], other["labels"])


def test_distance_and_size_are_uniform_over_their_ranges(big):
    D, d, n = 12, big["distance"], big["path_nodes"]
    assert set(d.tolist()) == set(range(1, D + 1))
    counts = np.bincount(d, minlength=D + 1)[1:]
    np.testing.assert_allclose(counts / len(d), 1 / D, rtol=0.2)  # 500 expected, sd ~ 21
    assert ((d + 2 <= n) & (n <= D + 2)).all()
    for dist in (1, 6, 11):  # given d, n is uniform over d+2 .. D+2
        sizes = n[d == dist]
        expected = D + 2 - (dist + 2) + 1
        counts = np.bincount(sizes - (dist + 2), minlength=expected)
        assert counts.size == expected and (counts > 0).all()
        np.testing.assert_allclose(counts / sizes.size, 1 / expected, rtol=0.5)
    np.testing.assert_allclose(np.bincount(big["labels"]) / len(d), 1 / 4, rtol=0.1)
    assert len(big["graphs"]) == len(big["features"]) == 6000


def test_features_are_one_hot_colour_source_and_marked(sample):
    m = sample["graphs"][0].num_nodes - sample["path_nodes"][0]
    for b, (g, x) in enumerate(zip(sample["graphs"], sample["features"], strict=True)):
        d, n = sample["distance"][b], sample["path_nodes"][b]
        assert x.shape == (n + m, C + 2) and x.dtype == np.float64 and g.num_nodes == n + m
        assert set(np.unique(x).tolist()) <= {0.0, 1.0}
        np.testing.assert_array_equal(x[:, :C].sum(axis=1), 1.0)  # one colour per node
        np.testing.assert_array_equal(np.flatnonzero(x[:, C]), [0])  # is_source
        np.testing.assert_array_equal(np.flatnonzero(x[:, C + 1]), [d, n - 1])  # is_marked
        colour = x[:, :C].argmax(axis=1)
        assert sample["labels"][b] == colour[d]
        assert sample["decoy"][b] == n - 1
        assert sample["decoy_colour"][b] == colour[n - 1] != colour[d]


def test_the_answer_is_d_hops_away_and_the_decoy_further(sample):
    for b, g in enumerate(sample["graphs"]):
        d, n, decoy = sample["distance"][b], sample["path_nodes"][b], sample["decoy"][b]
        hops = nx.single_source_shortest_path_length(gl.to_networkx(g), 0)
        assert hops[d] == d
        assert hops[decoy] == n - 1 > d


def test_graphs_are_the_path_or_a_tree_that_contains_it(sample):
    for b, g in enumerate(sample["graphs"]):
        n, N = sample["path_nodes"][b], g.num_nodes
        G = gl.to_networkx(g)
        assert nx.is_weakly_connected(G) and g.num_edges == 2 * (N - 1)
        np.testing.assert_array_equal(g.adjacency(), g.adjacency().T)  # undirected
        assert nx.is_tree(G.to_undirected())
        assert all(G.has_edge(i, i + 1) and G.has_edge(i + 1, i) for i in range(n - 1))
        if N == n:
            assert g == gl.path_graph(n)
    tree = gl.nearest_marked_dataset(50, seed=3, extra_nodes=4)
    assert all(
        g.num_nodes == n + 4 for g, n in zip(tree["graphs"], tree["path_nodes"], strict=True)
    )
    # the decoy is no longer always a leaf
    assert any(
        g.adjacency()[decoy].sum() > 1
        for g, decoy in zip(tree["graphs"], tree["decoy"], strict=True)
    )


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_k_hop_ball_sees_no_marked_node_when_d_exceeds_k(sample, k):
    """The first baseline: a k-layer GNN reads node 0's k-hop ball, which has no mark."""
    far = np.flatnonzero(sample["distance"] > k)
    assert far.size > 100
    for b in far:
        ball = nx.single_source_shortest_path_length(gl.to_networkx(sample["graphs"][b]), 0, k)
        assert sample["features"][b][list(ball), C + 1].sum() == 0
    # and what it does see says nothing: the label is uniform over the colours
    labels = sample["labels"][far]
    np.testing.assert_allclose(np.bincount(labels, minlength=C) / labels.size, 1 / C, atol=0.08)


def test_a_set_model_that_guesses_a_marked_colour_is_at_exactly_one_half(big):
    """The second baseline: without edges or positions both marked nodes look alike."""
    expected = []
    below = []
    for x, label in zip(big["features"], big["labels"], strict=True):
        marked = x[x[:, C + 1] == 1, :C].argmax(axis=1)  # the two marked colours, as a set
        assert marked.size == 2 and marked[0] != marked[1]
        expected.append((marked == label).mean())  # guess one of the two uniformly
        below.append(label == marked.min())  # a fixed rule on the set: "the smaller colour"
    assert np.mean(expected) == 0.5
    assert set(expected) == {0.5}
    assert abs(np.mean(below) - 0.5) < 0.03  # no rule on the set beats 1/2 either


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_distance": 0}, ValueError, "max_distance must be >= 1"),
        ({"num_colours": 1}, ValueError, "num_colours must be >= 2"),
        ({"num_graphs": -1}, ValueError, "num_graphs must be >= 0"),
        ({"num_graphs": 2.0}, TypeError, "num_graphs must be an int"),
        ({"extra_nodes": -2}, ValueError, "extra_nodes must be >= 0"),
        ({"extra_nodes": 1.5}, TypeError, "extra_nodes must be an int"),
        ({"max_distance": True}, TypeError, "max_distance must be an int"),
        ({"num_colours": 3.0}, TypeError, "num_colours must be an int"),
    ],
)
def test_dataset_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        gl.nearest_marked_dataset(**{"num_graphs": 3, **kwargs})


def test_no_graphs_is_an_empty_dataset():
    empty = gl.nearest_marked_dataset(0)
    assert empty["graphs"] == [] and empty["labels"].shape == (0,)


# --- pad_batch of feature rows ----------------------------------------------------------


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


def test_pad_batch_of_ids_is_unchanged():
    ids, mask = gl.pad_batch([np.array([3, 1]), np.array([2])], pad_id=9)
    np.testing.assert_array_equal(ids, [[3, 1], [2, 9]])
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(mask, [[True, True], [True, False]])


@pytest.mark.parametrize(
    ("ids", "kwargs", "match"),
    [
        ([np.ones((2, 3)), np.ones((2, 4))], {}, r"one F, got shapes \[\(2, 3\), \(2, 4\)\]"),
        ([np.ones((2, 3)), np.array([1, 2])], {}, r"all \(n_b,\) or all \(n_b, F\)"),
        ([np.array([1, 2]), np.ones((2, 3))], {}, r"all \(n_b,\) or all \(n_b, F\)"),
        ([np.ones((2, 3, 1))], {}, r"got shapes \[\(2, 3, 1\)\]"),
        ([np.ones((2, 3))], {"pad_id": 1}, "padded with zeros; got pad_id=1"),
        ([], {}, "at least one sentence"),
    ],
)
def test_pad_batch_bad_rows(ids, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gl.pad_batch(ids, **kwargs)


# --- pad_encoding and flip_signs --------------------------------------------------------


def test_pad_encoding_appends_zero_columns():
    pe = gl.laplacian_encoding(gl.path_graph(3), 2)
    out = call_without_mutation(gl.pad_encoding, pe, 5)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out[:, :2], pe)
    assert (out[:, 2:] == 0).all()
    np.testing.assert_array_equal(gl.pad_encoding(pe, 2), pe)
    assert gl.pad_encoding(np.zeros((4, 0)), 3).shape == (4, 3)


@pytest.mark.parametrize(
    ("pe", "k", "error", "match"),
    [
        (np.ones((3, 3)), 2, ValueError, "pe has 3 columns, more than k=2"),
        (np.ones(3), 4, ValueError, r"pe must be \(n, k'\).*got shape \(3,\)"),
        (np.ones((1, 3, 3)), 4, ValueError, r"got shape \(1, 3, 3\)"),
        (np.ones((3, 3)), -1, ValueError, "k must be >= 0"),
        (np.ones((3, 3)), 4.0, TypeError, "k must be an int"),
    ],
)
def test_pad_encoding_bad_inputs(pe, k, error, match):
    with pytest.raises(error, match=match):
        gl.pad_encoding(pe, k)


@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)], ids=["one graph", "batch"])
def test_flip_signs_multiplies_each_column_by_one_shared_sign(shape):
    pe = np.random.default_rng(0).normal(size=shape)
    flipped = gl.flip_signs(before := pe.copy(), np.random.default_rng(1))
    np.testing.assert_array_equal(before, pe)  # a new array, pe is not touched
    signs = (flipped / pe).reshape(-1, shape[-1])
    np.testing.assert_array_equal(np.abs(signs), 1.0)
    np.testing.assert_array_equal(signs, np.broadcast_to(signs[:1], signs.shape))  # shared
    again = gl.flip_signs(pe, np.random.default_rng(1))
    np.testing.assert_array_equal(flipped, again)  # deterministic given the seed
    # products pe_i * pe_j within a column, hence the projector PE PE^T, do not see the sign
    a = pe.reshape(-1, shape[-1])
    f = flipped.reshape(-1, shape[-1])
    np.testing.assert_allclose(np.einsum("im,jm->mij", f, f), np.einsum("im,jm->mij", a, a))
    np.testing.assert_allclose(f @ f.T, a @ a.T)


def test_flip_signs_draws_both_signs():
    rng = np.random.default_rng(2)
    pe = np.ones((2, 3))
    draws = np.array([gl.flip_signs(pe, rng)[0] for _ in range(40)])
    assert ((draws == 1).any(axis=0) & (draws == -1).any(axis=0)).all()
    assert 0.3 < (draws == 1).mean() < 0.7


@pytest.mark.parametrize(
    ("pe", "rng", "error", "match"),
    [
        (np.ones((2, 3)), 0, TypeError, r"rng must be a seeded np.random.Generator.*got int"),
        (np.ones((2, 3)), None, TypeError, "got NoneType"),
        (1.0, np.random.default_rng(0), ValueError, "got a scalar"),
    ],
)
def test_flip_signs_bad_inputs(pe, rng, error, match):
    with pytest.raises(error, match=match):
        gl.flip_signs(pe, rng)


# --- virtual_node_graph ---------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [gl.path_graph(5), gl.Graph([0, 2, 3], [1, 2, 0], 5), gl.Graph([], [], 1)],
    ids=["path", "self loop and isolated", "one node"],
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
    G = gl.to_networkx(gl.virtual_node_graph(gl.path_graph(9)))
    assert nx.shortest_path_length(G, 0, 8) == 2
    assert nx.diameter(G) == 2
    assert gl.virtual_node_graph(gl.Graph([], [], 0)) == gl.Graph([], [], 1)


def test_virtual_node_graph_needs_a_graph():
    with pytest.raises(TypeError, match="graph must be a gnnformer_lite.Graph, got ndarray"):
        gl.virtual_node_graph(np.eye(3))


# --- node_batch and laplacian_positions ------------------------------------------------


@pytest.mark.parametrize("virtual_node", [False, True])
def test_node_batch_rows_point_at_node_0(virtual_node):
    data = small_data(4, extra_nodes=1)
    batch = call_without_mutation(
        gl.node_batch, data["graphs"], data["features"], virtual_node=virtual_node
    )
    sizes = [g.num_nodes + virtual_node for g in data["graphs"]]
    assert batch["graph"].num_nodes == sum(sizes) == len(batch["x"])
    np.testing.assert_array_equal(batch["rows"], np.cumsum([0, *sizes[:-1]]))
    np.testing.assert_array_equal(batch["x"][batch["rows"]], [x[0] for x in data["features"]])
    np.testing.assert_array_equal(np.flatnonzero(batch["x"][:, C]), batch["rows"])  # is_source
    graphs = data["graphs"]
    if virtual_node:
        graphs = [gl.virtual_node_graph(g) for g in graphs]
        hubs = np.cumsum(sizes) - 1
        assert (batch["x"][hubs] == 0).all()  # the virtual nodes get zero rows
    assert batch["graph"] == gl.batch_graphs(graphs)[0]


@pytest.mark.parametrize(
    ("graphs", "features", "error", "match"),
    [
        ([gl.path_graph(2)], [np.ones((2, 3)), np.ones((2, 3))], ValueError, "1 graphs but 2"),
        ([], [], ValueError, "got 0 graphs"),
        (
            [gl.path_graph(2), gl.path_graph(3)],
            [np.ones((2, 3)), np.ones((3, 4))],
            ValueError,
            "features.1. has 4 columns but features.0. has 3",
        ),
        ([gl.path_graph(2)], [np.ones((3, 3))], ValueError, r"features\[0\] has shape \(3, 3\)"),
        ([gl.path_graph(2)], [np.ones(2)], ValueError, r"need \(2, F\)"),
        ([gl.Graph([], [], 0)], [np.ones((0, 3))], ValueError, "graphs.0. has no nodes"),
        ([np.eye(2)], [np.ones((2, 3))], TypeError, r"graphs\[0\] must be a gnnformer_lite"),
        (
            [gl.path_graph(2)],
            [np.array([["a"], ["b"]])],
            TypeError,
            "features.0. must be a real-valued",
        ),
        ([gl.path_graph(2)], [np.full((2, 1), np.nan)], ValueError, "contains NaN"),
        (gl.path_graph(2), np.ones((2, 3)), TypeError, "graphs and features must be lists"),
    ],
)
def test_node_batch_bad_inputs(graphs, features, error, match):
    with pytest.raises(error, match=match):
        gl.node_batch(graphs, features)


def test_laplacian_positions():
    big, small, single = gl.path_graph(7), gl.path_graph(3), gl.Graph([], [], 1)
    pe = call_without_mutation(gl.laplacian_positions, [big, small, single], 4)
    assert [p.shape for p in pe] == [(7, 4), (3, 4), (1, 4)]
    np.testing.assert_array_equal(pe[0], gl.laplacian_encoding(big, 4))  # "sym", all 4 columns
    np.testing.assert_array_equal(pe[1][:, :2], gl.laplacian_encoding(small, 2))  # n - 1 = 2
    assert (pe[1][:, 2:] == 0).all() and (pe[2] == 0).all()
    assert gl.laplacian_positions([gl.Graph([], [], 0)], 2)[0].shape == (0, 2)
    with pytest.raises(ValueError, match="k must be >= 0"):
        gl.laplacian_positions([big], -1)
    with pytest.raises(TypeError, match=r"graphs\[1\] must be a gnnformer_lite.Graph"):
        gl.laplacian_positions([big, np.eye(2)], 2)


# --- residual_gnn ---------------------------------------------------------------------


@pytest.mark.parametrize("virtual_node", [False, True])
@pytest.mark.parametrize("extra_nodes", [0, 2])
def test_residual_gnn_gradients(virtual_node, extra_nodes):
    data = small_data(3, seed=4, extra_nodes=extra_nodes)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)
    params, labels = gnn_params(1), data["labels"]
    loss, acc, grads = call_without_mutation(gl.residual_gnn_loss, params, batch, labels)
    assert loss > 0 and acc in (0.0, 1 / 3, 2 / 3, 1.0)
    z = gl.residual_gnn(params, batch)
    assert acc == np.mean(z.argmax(axis=1) == labels)
    assert_gradients(lambda p: gl.residual_gnn_loss(p, batch, labels)[0], params, grads)


def test_residual_gnn_cache_changes_nothing_and_extra_graphs_change_nothing():
    data = small_data(4, seed=5)
    params = gnn_params(2)
    batch = gl.node_batch(data["graphs"], data["features"])
    cache = {}
    z = gl.residual_gnn(params, batch, cache=cache)
    assert z.shape == (4, C) and {"input", "readout", "out", "layers"} <= cache.keys()
    np.testing.assert_array_equal(z, gl.residual_gnn(params, batch))
    alone = gl.node_batch(data["graphs"][1:3], data["features"][1:3])
    np.testing.assert_allclose(gl.residual_gnn(params, alone), z[1:3], atol=1e-12)


def test_residual_gnn_is_invariant_to_relabelling_the_nodes():
    data = small_data(3, seed=6, extra_nodes=2)
    params = gnn_params(3)
    z = gl.residual_gnn(params, gl.node_batch(data["graphs"], data["features"]))
    rng = np.random.default_rng(0)
    graphs, features = [], []
    for g, x in zip(data["graphs"], data["features"], strict=True):
        perm = np.r_[0, 1 + rng.permutation(g.num_nodes - 1)]  # new node t is old node perm[t]
        new = np.argsort(perm)  # old node i is new node new[i]
        graphs.append(gl.Graph(new[g.senders], new[g.receivers], g.num_nodes))
        features.append(x[perm])
    assert any(a != b for a, b in zip(graphs, data["graphs"], strict=True))
    np.testing.assert_allclose(gl.residual_gnn(params, gl.node_batch(graphs, features)), z)


def test_residual_gnn_sees_one_hop_per_layer():
    """With L layers node 0 feels node L but not node L + 1 (on the path, no virtual node)."""
    L, n = 2, 6
    params = gnn_params(4, num_layers=L)
    x = np.random.default_rng(1).normal(size=(n, C + 2))
    z = gl.residual_gnn(params, gl.node_batch([gl.path_graph(n)], [x]))

    def moved(node, virtual_node=False):
        y = x.copy()
        y[node] += 1.0
        batch = gl.node_batch([gl.path_graph(n)], [y], virtual_node=virtual_node)
        return gl.residual_gnn(params, batch)

    np.testing.assert_array_equal(moved(L + 1), z)
    assert np.abs(moved(L) - z).max() > 1e-6
    far = gl.residual_gnn(params, gl.node_batch([gl.path_graph(n)], [x], virtual_node=True))
    assert np.abs(moved(n - 1, virtual_node=True) - far).max() > 1e-6  # two hops via the hub


def test_residual_gnn_bad_inputs():
    data = small_data(2)
    batch = gl.node_batch(data["graphs"], data["features"])
    params = gnn_params()
    with pytest.raises(TypeError, match="batch must be the dict made by node_batch"):
        gl.residual_gnn(params, data["features"])
    with pytest.raises(TypeError, match=r"got \['graph', 'x'\]"):
        gl.residual_gnn(params, {"graph": batch["graph"], "x": batch["x"]})
    with pytest.raises(TypeError, match="params must be the dict made by init_residual_gnn"):
        gl.residual_gnn(batch, params)
    wrong = gl.init_residual_gnn(np.random.default_rng(0), C + 1, 4, 1, C)
    with pytest.raises(ValueError, match=r"W has shape \(5, 4\) but x has d_in=6"):
        gl.residual_gnn(wrong, batch)
    with pytest.raises(ValueError, match=r"labels has shape \(1,\)"):
        gl.residual_gnn_loss(params, batch, data["labels"][:1])
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_residual_gnn(0, C + 2, 4, 1, C)
    with pytest.raises(ValueError, match="num_layers must be >= 0"):
        gl.init_residual_gnn(np.random.default_rng(0), C + 2, 4, -1, C)
    with pytest.raises(TypeError, match="num_layers must be an int"):
        gl.init_residual_gnn(np.random.default_rng(0), C + 2, 4, 2.0, C)


# --- graph_transformer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_pe", "layer_norm"),
    [(True, True), (False, True), (True, False)],
    ids=["pe", "no pe", "no LayerNorm"],
)
def test_graph_transformer_gradients(with_pe, layer_norm):
    data = small_data(3, seed=7, max_distance=3, extra_nodes=1)
    x, pe, mask = padded(data)
    pe = pe if with_pe else None
    params, labels = transformer_params(5), data["labels"]
    kw = {"num_heads": 2, "layer_norm": layer_norm}
    loss, acc, grads = call_without_mutation(
        gl.graph_transformer_loss, params, x, pe, mask, labels, **kw
    )
    z = gl.graph_transformer(params, x, pe, mask, **kw)
    assert loss > 0 and acc == np.mean(z.argmax(axis=1) == labels)
    if not with_pe:  # the positions are not used: their gradient is exactly zero
        assert all((g == 0).all() for _, g in leaves(grads["positions"]))
    if not layer_norm:
        assert all((g == 0).all() for _, g in leaves(grads["layers"]["0"]["ln1"]))
    assert_gradients(
        lambda p: gl.graph_transformer_loss(p, x, pe, mask, labels, **kw)[0], params, grads
    )


@pytest.mark.parametrize("layer_norm", [True, False])
def test_graph_transformer_ignores_the_padding(layer_norm):
    data = small_data(3, seed=8, max_distance=5)
    params, kw = transformer_params(6), {"num_heads": 2, "layer_norm": layer_norm}
    x, pe, mask = padded(data)
    z = gl.graph_transformer(params, x, pe, mask, **kw)
    # garbage in the padded rows changes nothing
    rng = np.random.default_rng(0)
    junk_x = np.where(mask[..., None], x, rng.normal(size=x.shape))
    junk_pe = np.where(mask[..., None], pe, rng.normal(size=pe.shape))
    np.testing.assert_allclose(gl.graph_transformer(params, junk_x, junk_pe, mask, **kw), z)
    # longer padding, and a graph fewer, change nothing for the others
    wide = [np.pad(a, ((0, 0), (0, 3), (0, 0))) for a in (x, pe)]
    wide_mask = np.pad(mask, ((0, 0), (0, 3)))
    np.testing.assert_allclose(gl.graph_transformer(params, *wide, wide_mask, **kw), z)
    n = mask[1].sum()
    alone = gl.graph_transformer(params, x[1:2, :n], pe[1:2, :n], mask[1:2, :n], **kw)
    np.testing.assert_allclose(alone, z[1:2], atol=1e-12)


def test_graph_transformer_without_positions_sees_a_set():
    """pe=None: shuffling the non-source nodes changes nothing -- which node is near is lost."""
    data = small_data(3, seed=9, max_distance=6)
    params = transformer_params(7)
    x, pe, mask = padded(data)
    rng = np.random.default_rng(0)
    shuffled_x, shuffled_pe = x.copy(), pe.copy()
    for b in range(len(x)):
        n = mask[b].sum()
        perm = np.r_[0, 1 + rng.permutation(n - 1)]
        shuffled_x[b, :n], shuffled_pe[b, :n] = x[b, perm], pe[b, perm]
    assert not np.array_equal(shuffled_x, x)
    z = gl.graph_transformer(params, x, None, mask, num_heads=2)
    np.testing.assert_allclose(gl.graph_transformer(params, shuffled_x, None, mask, num_heads=2), z)
    # with positions the order matters ...
    with_pe = gl.graph_transformer(params, x, pe, mask, num_heads=2)
    moved = gl.graph_transformer(params, shuffled_x, pe, mask, num_heads=2)
    assert np.abs(moved - with_pe).max() > 1e-6
    # ... unless the positions move with the nodes: full attention is permutation-equivariant
    same = gl.graph_transformer(params, shuffled_x, shuffled_pe, mask, num_heads=2)
    np.testing.assert_allclose(same, with_pe)


@pytest.mark.parametrize("layer_norm", [True, False])
def test_graph_transformer_cache_and_attention(layer_norm):
    data = small_data(3, seed=10, max_distance=4)
    params, kw = transformer_params(8), {"num_heads": 2, "layer_norm": layer_norm}
    x, pe, mask = padded(data)
    cache = {}
    z = gl.graph_transformer(params, x, pe, mask, cache=cache, **kw)
    assert z.shape == (3, C) and cache["shape"] == (*x.shape[:2], 4)
    assert cache["has_pe"] and cache["layer_norm"] is layer_norm
    np.testing.assert_array_equal(z, gl.graph_transformer(params, x, pe, mask, **kw))
    z2, attention = gl.graph_transformer(params, x, pe, mask, return_attention=True, **kw)
    np.testing.assert_array_equal(z2, z)
    B, L = mask.shape
    assert len(attention) == 2 and all(a.shape == (B, 2, L, L) for a in attention)
    for a in attention:
        np.testing.assert_allclose(a.sum(axis=-1), 1.0)
        assert (a * ~mask[:, None, None, :] == 0).all()  # nobody attends to padding


def test_graph_transformer_bad_inputs():
    data = small_data(3, seed=11)
    params = transformer_params(9)
    x, pe, mask = padded(data)
    B, L, _ = x.shape
    node0_padding = mask.copy()
    node0_padding[1, 0] = False
    cases = [
        ((x[0], pe, mask[0]), ValueError, r"x must be a padded batch \(B, L, F\)"),
        ((x, pe, mask.astype(int)), ValueError, "mask int64"),
        ((x, pe, mask[:, :-1]), ValueError, rf"mask bool \({B}, {L - 1}\)"),
        ((x, pe, node0_padding), ValueError, r"mask\[1, 0\] is False: node 0 of graph 1"),
        ((x, pe[..., 0], mask), ValueError, rf"pe has shape \({B}, {L}\).*need \({B}, {L}, 3\)"),
        ((x, pe[..., :2], mask), ValueError, "params\\['positions'\\] takes k=3"),
        ((x, pe[:2], mask), ValueError, rf"pe has shape \(2, {L}, 3\) but x has \({B}, {L}, 6\)"),
        ((x, pe * np.nan, mask), ValueError, "pe contains NaN"),
        ((x[..., :5], pe, mask), ValueError, r"W has shape \(6, 4\) but x has d_in=5"),
    ]
    for args, error, match in cases:
        with pytest.raises(error, match=match):
            gl.graph_transformer(params, *args, num_heads=2)
    with pytest.raises(TypeError, match="params must be the dict made by init_graph_transformer"):
        gl.graph_transformer(x, params, pe, mask, num_heads=2)
    with pytest.raises(ValueError, match="num_heads=3 must be >= 1 and divide d_model=4"):
        gl.graph_transformer(params, x, pe, mask, num_heads=3)
    with pytest.raises(ValueError, match=rf"labels has shape \(2,\) but logits has shape \({B}"):
        gl.graph_transformer_loss(params, x, pe, mask, data["labels"][:2], num_heads=2)
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_graph_transformer(None, C + 2, 3, 4, 2, 6, C)
    with pytest.raises(TypeError, match="num_layers must be an int"):
        gl.init_graph_transformer(np.random.default_rng(0), C + 2, 3, 4, 2, 6, C, 1.0)


def test_init_graph_transformer_shapes():
    params = gl.init_graph_transformer(np.random.default_rng(0), 6, 3, 8, 2, 16, 4, num_layers=3)
    assert params["input"]["W"].shape == (6, 8) and params["positions"]["W"].shape == (3, 8)
    assert sorted(params["layers"]) == ["0", "1", "2"] and params["out"]["W"].shape == (8, 4)
    gnn = gl.init_residual_gnn(np.random.default_rng(0), 6, 5, 0, 4)
    assert gnn["layers"] == {} and gnn["out"]["W"].shape == (5, 4)
