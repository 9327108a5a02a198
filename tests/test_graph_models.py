"""graph_models: the node classifier, the residual GNN and the Graph Transformer (notebooks 07, 09).

- their backward passes -- whole losses and ``*_backward(cache, d_scores) -> (d_params,
  d_x)`` -- against central finite differences on every parameter and the input, for 1
  and 2 layers, with and without a virtual node, with and without positions, every norm;
- the settings they record: ``virtual_node`` (``init_residual_gnn`` vs ``node_batch``),
  ``num_heads`` and ``norm`` in each Graph Transformer layer, and its positions
  (``pe`` given to a model built without, ``pe=None`` to one built with): a conflict is
  a ``ValueError``, an agreeing value changes nothing;
- padding, relabelling and hop-count facts; ``node_batch``; bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    NORMS,
    assert_grads_like,
    assert_loss_gradients,
    call_without_mutation,
    check_backward,
    conflicting_settings,
    flat,
    randomize_params,
)

import gnnformer_lite as gl

C = 4  # colours in the small datasets below


# --- helpers -----------------------------------------------------------------------------


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


def transformer_params(seed=0, k=3, num_layers=2, **kwargs):
    rng = np.random.default_rng(seed)
    params = gl.init_graph_transformer(rng, C + 2, k, 4, 2, 6, C, num_layers, **kwargs)
    return randomize_params(params, rng)  # biases and LayerNorms away from 0 / 1


def gnn_params(seed=0, num_layers=2, virtual_node=False):
    rng = np.random.default_rng(seed)
    params = gl.init_residual_gnn(rng, C + 2, 4, num_layers, C, virtual_node=virtual_node)
    return randomize_params(params, rng)


# --- node_classifier -----------------------------------------------------------------------


def test_init_node_classifier():
    params = gl.init_node_classifier(np.random.default_rng(0), 34, 16, 2)
    assert set(params) == {"layer1", "layer2"}
    assert params["layer1"]["U"].shape == (34, 16) and params["layer2"]["V"].shape == (16, 2)
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_node_classifier(0, 3, 4, 2)


def test_node_classifier_is_two_gnn_layers():
    graph, _, _ = gl.karate_club()
    rng = np.random.default_rng(0)
    params = randomize_params(gl.init_node_classifier(rng, 3, 4, 2), rng)
    x = rng.normal(size=(34, 3))
    z, h = call_without_mutation(gl.node_classifier, params, x, graph)
    np.testing.assert_array_equal(h, gl.gnn_layer(params["layer1"], x, graph))
    np.testing.assert_array_equal(z, gl.gnn_layer(params["layer2"], h, graph, activation=None))


def test_node_classifier_refuses_other_params():
    graph, x = gl.path_graph(3), np.zeros((3, 2))
    layer = gl.init_gnn_layer(np.random.default_rng(0), 2, 2)
    for wrong in (layer, {"layer1": layer}, [layer, layer]):
        with pytest.raises(
            TypeError,
            match=r"params must be the dict made by init_node_classifier; the order is "
            r"node_classifier\(params, x, graph\)",
        ):
            gl.node_classifier(wrong, x, graph)
    with pytest.raises(TypeError, match="params must be the dict made by init_node_classifier"):
        gl.node_classifier_loss(x, {"layer1": layer, "layer2": layer}, graph, [0], [1])


def test_node_classifier_backward():
    graph = gl.path_graph(6)
    rng = np.random.default_rng(1)
    params = randomize_params(gl.init_node_classifier(rng, 3, 4, 2), rng)

    def forward(p, x, cache):
        return gl.node_classifier(p, x, graph, cache=cache)[0]

    check_backward(forward, gl.node_classifier_backward, params, rng.normal(size=(6, 3)))


def test_node_classifier_loss_on_a_few_labelled_nodes():
    graph, club, _ = gl.karate_club()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(graph.num_nodes, 3))
    params = gl.init_node_classifier(rng, 3, 4, 2)
    nodes = np.array([0, 5, 33])
    loss, acc, grads = call_without_mutation(
        gl.node_classifier_loss, params, x, graph, nodes, club[nodes]
    )
    z, _ = gl.node_classifier(params, x, graph)
    assert loss == gl.softmax_cross_entropy(z[nodes], club[nodes])[0]
    assert acc == gl.accuracy(z[nodes], club[nodes])
    assert_loss_gradients(
        lambda p: gl.node_classifier(p, x, graph)[0][nodes], club[nodes], params, grads
    )


# --- node_batch ------------------------------------------------------------------------------


@pytest.mark.parametrize("virtual_node", [False, True])
def test_node_batch_rows_point_at_node_0(virtual_node):
    data = small_data(4, extra_nodes=1)
    batch = call_without_mutation(
        gl.node_batch, data["graphs"], data["features"], virtual_node=virtual_node
    )
    assert set(batch) == {"graph", "x", "rows", "virtual_node"}
    assert batch["virtual_node"] is virtual_node
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
        ([], [], ValueError, "got 0 graphs but 0 feature arrays"),
        (
            [gl.path_graph(2), gl.path_graph(3)],
            [np.ones((2, 3)), np.ones((3, 4))],
            ValueError,
            r"features\[1\] has 4 columns but features\[0\] has 3: every graph needs the same F",
        ),
        (
            [gl.path_graph(2)],
            [np.ones((3, 3))],
            ValueError,
            r"features\[0\] has shape \(3, 3\) but graphs\[0\] has 2 nodes: need \(2, F\)",
        ),
        ([gl.path_graph(2)], [np.ones(2)], ValueError, r"need \(2, F\)"),
        ([gl.Graph([], [], 0)], [np.ones((0, 3))], ValueError, r"graphs\[0\] has no nodes"),
        ([np.eye(2)], [np.ones((2, 3))], TypeError, r"graphs\[0\] must be a gnnformer_lite"),
        (
            [gl.path_graph(2)],
            [np.array([["a"], ["b"]])],
            TypeError,
            r"features\[0\] must be a real-valued",
        ),
        ([gl.path_graph(2)], [np.full((2, 1), np.nan)], ValueError, "contains NaN"),
        (gl.path_graph(2), np.ones((2, 3)), TypeError, "graphs and features must be lists"),
    ],
)
def test_node_batch_bad_inputs(graphs, features, error, match):
    with pytest.raises(error, match=match):
        gl.node_batch(graphs, features)


# --- residual_gnn ------------------------------------------------------------------------


@pytest.mark.parametrize("virtual_node", [False, True])
def test_init_residual_gnn(virtual_node):
    params = gl.init_residual_gnn(np.random.default_rng(0), 6, 5, 3, 4, virtual_node=virtual_node)
    assert set(params) == {"input", "layers", "out", "virtual_node"}
    assert params["virtual_node"] is virtual_node
    assert params["input"]["W"].shape == (6, 5) and params["out"]["W"].shape == (5, 4)
    assert isinstance(params["layers"], list) and len(params["layers"]) == 3
    for layer in params["layers"]:
        assert set(layer) == {"norm", "gnn"} and layer["gnn"]["U"].shape == (5, 5)
        np.testing.assert_array_equal(layer["norm"]["gamma"], 1)
    assert gl.init_residual_gnn(np.random.default_rng(0), 6, 5, 0, 4)["layers"] == []
    assert gl.init_residual_gnn(np.random.default_rng(0), 6, 5, 1, 4)["virtual_node"] is False


@pytest.mark.parametrize(
    ("virtual_node", "extra_nodes", "num_layers"),
    [(False, 0, 2), (True, 2, 2), (False, 2, 1), (True, 0, 1)],
)
def test_residual_gnn_gradients(virtual_node, extra_nodes, num_layers):
    data = small_data(3, seed=4, extra_nodes=extra_nodes)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)
    params, labels = gnn_params(1, num_layers, virtual_node), data["labels"]
    loss, acc, grads = call_without_mutation(gl.residual_gnn_loss, params, batch, labels)
    z = gl.residual_gnn(params, batch)
    assert loss == gl.softmax_cross_entropy(z, labels)[0] and acc == gl.accuracy(z, labels)
    assert_loss_gradients(lambda p: gl.residual_gnn(p, batch), labels, params, grads)


@pytest.mark.parametrize("virtual_node", [False, True])
def test_residual_gnn_backward_gives_the_input_gradient(virtual_node):
    data = small_data(2, seed=5, extra_nodes=1)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)

    def forward(p, x, cache):
        return gl.residual_gnn(p, batch | {"x": x}, cache=cache)

    check_backward(forward, gl.residual_gnn_backward, gnn_params(2, 2, virtual_node), batch["x"])


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
    hub = params | {"virtual_node": True}  # the same weights, for batches with a virtual node
    x = np.random.default_rng(1).normal(size=(n, C + 2))
    z = gl.residual_gnn(params, gl.node_batch([gl.path_graph(n)], [x]))

    def moved(node, virtual_node=False):
        y = x.copy()
        y[node] += 1.0
        batch = gl.node_batch([gl.path_graph(n)], [y], virtual_node=virtual_node)
        return gl.residual_gnn(hub if virtual_node else params, batch)

    np.testing.assert_array_equal(moved(L + 1), z)
    assert np.abs(moved(L) - z).max() > 1e-6
    far = gl.residual_gnn(hub, gl.node_batch([gl.path_graph(n)], [x], virtual_node=True))
    assert np.abs(moved(n - 1, virtual_node=True) - far).max() > 1e-6  # two hops via the hub


@pytest.mark.parametrize("virtual_node", [False, True])
def test_residual_gnn_refuses_a_batch_of_the_other_kind(virtual_node):
    data = small_data(2, seed=7)
    params = gnn_params(5, virtual_node=virtual_node)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)
    other = gl.node_batch(data["graphs"], data["features"], virtual_node=not virtual_node)
    z = gl.residual_gnn(params, batch)
    message = (
        rf"the model was built with virtual_node={virtual_node} \(init_residual_gnn\) but the "
        rf"batch has virtual_node={not virtual_node} \(node_batch\): make them agree"
    )
    with pytest.raises(ValueError, match=message):
        gl.residual_gnn(params, other)
    with pytest.raises(ValueError, match=message):
        gl.residual_gnn_loss(params, other, data["labels"])
    # made by hand: a params or a batch without the setting means no virtual node
    by_hand = {key: value for key, value in batch.items() if key != "virtual_node"}
    hand_params = {key: value for key, value in params.items() if key != "virtual_node"}
    if virtual_node:
        with pytest.raises(ValueError, match=r"virtual_node=True .* virtual_node=False"):
            gl.residual_gnn(params, by_hand)
        with pytest.raises(ValueError, match=r"virtual_node=False .* virtual_node=True"):
            gl.residual_gnn(hand_params, batch)
    else:
        np.testing.assert_array_equal(gl.residual_gnn(params, by_hand), z)
        np.testing.assert_array_equal(gl.residual_gnn(hand_params, batch), z)
        _, _, grads = gl.residual_gnn_loss(hand_params, by_hand, data["labels"])
        assert_grads_like(grads, hand_params)


def test_residual_gnn_bad_inputs():
    data = small_data(2)
    batch = gl.node_batch(data["graphs"], data["features"])
    params = gnn_params()
    with pytest.raises(TypeError, match=r"batch must be the dict made by node_batch \(graph, x"):
        gl.residual_gnn(params, data["features"])
    with pytest.raises(TypeError, match=r"got \['graph', 'x'\]"):
        gl.residual_gnn(params, {"graph": batch["graph"], "x": batch["x"]})
    with pytest.raises(TypeError, match="params must be the dict made by init_residual_gnn"):
        gl.residual_gnn(batch, params)
    wrong = gl.init_residual_gnn(np.random.default_rng(0), C + 1, 4, 1, C)
    with pytest.raises(
        ValueError, match=r"has 6 features per node .* built for d_in=5 \(init_residual_gnn"
    ):
        gl.residual_gnn(wrong, batch)
    with pytest.raises(ValueError, match=r"labels has shape \(1,\)"):
        gl.residual_gnn_loss(params, batch, data["labels"][:1])
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_residual_gnn(0, C + 2, 4, 1, C)
    with pytest.raises(ValueError, match="num_layers must be >= 0"):
        gl.init_residual_gnn(np.random.default_rng(0), C + 2, 4, -1, C)
    with pytest.raises(TypeError, match="num_layers must be an int"):
        gl.init_residual_gnn(np.random.default_rng(0), C + 2, 4, 2.0, C)


# --- graph_transformer ----------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
def test_init_graph_transformer(norm):
    rng = np.random.default_rng
    params = gl.init_graph_transformer(rng(0), 6, 3, 8, 2, 16, 4, num_layers=3, norm=norm)
    assert set(params) == {"input", "positions", "layers", "out"}
    assert params["input"]["W"].shape == (6, 8) and params["positions"]["W"].shape == (3, 8)
    assert params["out"]["W"].shape == (8, 4)
    assert isinstance(params["layers"], list) and len(params["layers"]) == 3
    assert all(
        layer["norm"] == norm and layer["attn"]["num_heads"] == 2 for layer in params["layers"]
    )
    default = gl.init_graph_transformer(rng(0), 6, 3, 8, 2, 16, 4)
    assert len(default["layers"]) == 1 and default["layers"][0]["norm"] == "pre"
    # without positions: the same other weights (the positions' map is drawn all the same)
    no_pe = gl.init_graph_transformer(rng(0), 6, 3, 8, 2, 16, 4, 3, positions=False, norm=norm)
    assert set(no_pe) == {"input", "layers", "out"}
    same = {key: value for key, value in params.items() if key != "positions"}
    for (path, a), (other, b) in zip(flat(same), flat(no_pe), strict=True):
        assert path == other
        np.testing.assert_array_equal(a, b, err_msg=path)


GRADIENT_CASES = [  # every norm with 1 and 2 layers, positions on and off
    (True, "pre", 2),
    (False, "pre", 1),
    (True, None, 1),
    (False, None, 2),
    (True, "post", 1),
    (False, "post", 2),
]


@pytest.mark.parametrize(("positions", "norm", "num_layers"), GRADIENT_CASES)
def test_graph_transformer_gradients(positions, norm, num_layers):
    data = small_data(3, seed=7, max_distance=3, extra_nodes=1)
    x, pe, mask = padded(data)
    pe = pe if positions else None
    params = transformer_params(5, num_layers=num_layers, positions=positions, norm=norm)
    labels = data["labels"]
    loss, acc, grads = call_without_mutation(gl.graph_transformer_loss, params, x, pe, mask, labels)
    z = gl.graph_transformer(params, x, pe, mask)
    assert loss == gl.softmax_cross_entropy(z, labels)[0] and acc == gl.accuracy(z, labels)
    assert ("positions" in grads) is positions
    assert_loss_gradients(lambda p: gl.graph_transformer(p, x, pe, mask), labels, params, grads)


@pytest.mark.parametrize("positions", [True, False])
def test_graph_transformer_backward_gives_the_input_gradient(positions):
    data = small_data(3, seed=0, max_distance=3)  # 5, 3 and 5 nodes
    x, pe, mask = padded(data)
    pe = pe if positions else None
    assert not mask.all()  # padded rows too: their gradient is 0

    def forward(p, x, cache):
        return gl.graph_transformer(p, x, pe, mask, cache=cache)

    params = transformer_params(6, num_layers=1, positions=positions)
    check_backward(forward, gl.graph_transformer_backward, params, x)


@pytest.mark.parametrize("norm", NORMS)
def test_graph_transformer_ignores_the_padding(norm):
    data = small_data(3, seed=8, max_distance=5)
    params = transformer_params(6, norm=norm)
    x, pe, mask = padded(data)
    z = gl.graph_transformer(params, x, pe, mask)
    # garbage in the padded rows changes nothing
    rng = np.random.default_rng(0)
    junk_x = np.where(mask[..., None], x, rng.normal(size=x.shape))
    junk_pe = np.where(mask[..., None], pe, rng.normal(size=pe.shape))
    np.testing.assert_allclose(gl.graph_transformer(params, junk_x, junk_pe, mask), z)
    # longer padding, and a graph fewer, change nothing for the others
    wide = [np.pad(a, ((0, 0), (0, 3), (0, 0))) for a in (x, pe)]
    wide_mask = np.pad(mask, ((0, 0), (0, 3)))
    np.testing.assert_allclose(gl.graph_transformer(params, *wide, wide_mask), z)
    n = mask[1].sum()
    alone = gl.graph_transformer(params, x[1:2, :n], pe[1:2, :n], mask[1:2, :n])
    np.testing.assert_allclose(alone, z[1:2], atol=1e-12)


def test_graph_transformer_without_positions_sees_a_set():
    """positions=False: shuffling the non-source nodes changes nothing."""
    data = small_data(3, seed=9, max_distance=6)
    with_positions = transformer_params(7)
    without = transformer_params(7, positions=False)  # the same other weights
    x, pe, mask = padded(data)
    rng = np.random.default_rng(0)
    shuffled_x, shuffled_pe = x.copy(), pe.copy()
    for b in range(len(x)):
        n = mask[b].sum()
        perm = np.r_[0, 1 + rng.permutation(n - 1)]
        shuffled_x[b, :n], shuffled_pe[b, :n] = x[b, perm], pe[b, perm]
    assert not np.array_equal(shuffled_x, x)
    z = gl.graph_transformer(without, x, None, mask)
    np.testing.assert_allclose(gl.graph_transformer(without, shuffled_x, None, mask), z)
    # with positions the order matters ...
    with_pe = gl.graph_transformer(with_positions, x, pe, mask)
    moved = gl.graph_transformer(with_positions, shuffled_x, pe, mask)
    assert np.abs(moved - with_pe).max() > 1e-6
    # ... unless the positions move with the nodes: full attention is permutation-equivariant
    same = gl.graph_transformer(with_positions, shuffled_x, shuffled_pe, mask)
    np.testing.assert_allclose(same, with_pe)


@pytest.mark.parametrize("norm", NORMS)
def test_graph_transformer_cache_and_attention(norm):
    data = small_data(3, seed=10, max_distance=4)
    params = transformer_params(8, norm=norm)
    x, pe, mask = padded(data)
    cache = {}
    z = gl.graph_transformer(params, x, pe, mask, cache=cache)
    assert z.shape == (3, C) and cache["shape"] == (*x.shape[:2], 4) and cache["has_pe"]
    np.testing.assert_array_equal(z, gl.graph_transformer(params, x, pe, mask))
    z2, attention = gl.graph_transformer(params, x, pe, mask, return_attention=True)
    np.testing.assert_array_equal(z2, z)
    B, L = mask.shape
    assert len(attention) == 2 and all(a.shape == (B, 2, L, L) for a in attention)
    for a in attention:
        np.testing.assert_allclose(a.sum(axis=-1), 1.0)
        assert (a * ~mask[:, None, None, :] == 0).all()  # nobody attends to padding


# --- the settings of graph_transformer ----------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("positions", [True, False])
def test_graph_transformer_refuses_conflicting_settings(norm, positions):
    data = small_data(3, seed=11)
    x, pe, mask = padded(data)
    pe = pe if positions else None
    params, labels = (
        transformer_params(9, num_layers=1, positions=positions, norm=norm),
        data["labels"],
    )
    z = gl.graph_transformer(params, x, pe, mask)
    loss, _, grads = gl.graph_transformer_loss(params, x, pe, mask, labels)
    agreeing = {"num_heads": 2, "norm": norm}
    np.testing.assert_array_equal(gl.graph_transformer(params, x, pe, mask, **agreeing), z)
    loss2, _, grads2 = gl.graph_transformer_loss(params, x, pe, mask, labels, **agreeing)
    assert loss2 == loss
    for (path, a), (_, b) in zip(flat(grads), flat(grads2), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=path)
    for kwargs, match in conflicting_settings(norm, num_heads=2):
        with pytest.raises(ValueError, match=match):
            gl.graph_transformer(params, x, pe, mask, **kwargs)
        with pytest.raises(ValueError, match=match):
            gl.graph_transformer_loss(params, x, pe, mask, labels, **kwargs)


def test_graph_transformer_positions_must_match_the_model():
    data = small_data(3, seed=12)
    x, pe, mask = padded(data)
    labels = data["labels"]
    with_pe, without = transformer_params(10), transformer_params(10, positions=False)
    built_with = (
        r"pe is None, but the model was built with positions \(init_graph_transformer\(\.\.\., "
        r"positions=True\)\): give it its positions, or build one with positions=False"
    )
    built_without = (
        r"the model was built without positions \(init_graph_transformer\(\.\.\., "
        r"positions=False\)\): pass pe=None"
    )
    for call in (gl.graph_transformer, gl.graph_transformer_loss):
        extra = (labels,) if call is gl.graph_transformer_loss else ()
        with pytest.raises(ValueError, match=built_with):
            call(with_pe, x, None, mask, *extra)
        with pytest.raises(ValueError, match=built_without):
            call(without, x, pe, mask, *extra)


def test_both_models_name_features_of_the_wrong_width():
    """Features with a colour too many: the model's d_in is named, not a matmul's shapes."""
    data = small_data(2, seed=13)
    wide = [np.hstack([f, np.zeros((len(f), 1))]) for f in data["features"]]
    d_in = data["features"][0].shape[1]
    with pytest.raises(
        ValueError,
        match=rf"the batch's x \(node_batch\) has {d_in + 1} features "
        rf"per node .* built for d_in={d_in} \(init_residual_gnn;",
    ):
        gl.residual_gnn(gnn_params(5), gl.node_batch(data["graphs"], wide))
    x, pe, mask = padded(data)
    x = np.concatenate([x, np.zeros((*x.shape[:2], 1))], axis=-1)
    with pytest.raises(
        ValueError,
        match=rf"^x has {d_in + 1} features per node .* "
        rf"built for d_in={d_in} \(init_graph_transformer;",
    ):
        gl.graph_transformer(transformer_params(10), x, pe, mask)


def test_hand_made_graph_transformer_params():
    """Layers without their settings: num_heads must be given, norm defaults to "post"."""
    data = small_data(3, seed=13)
    x, pe, mask = padded(data)
    params = transformer_params(11, norm="pre")
    bare = params | {
        "layers": [
            {key: value for key, value in layer.items() if key != "norm"}
            | {"attn": {k: v for k, v in layer["attn"].items() if k != "num_heads"}}
            for layer in params["layers"]
        ]
    }
    z = gl.graph_transformer(params, x, pe, mask)
    np.testing.assert_array_equal(
        gl.graph_transformer(bare, x, pe, mask, num_heads=2, norm="pre"), z
    )
    post = [{**layer, "norm": "post"} for layer in params["layers"]]
    np.testing.assert_array_equal(
        gl.graph_transformer(bare, x, pe, mask, num_heads=2),
        gl.graph_transformer(params | {"layers": post}, x, pe, mask),
    )
    _, _, grads = gl.graph_transformer_loss(bare, x, pe, mask, data["labels"], num_heads=2)
    assert_grads_like(grads, bare)
    with pytest.raises(ValueError, match="num_heads is needed"):
        gl.graph_transformer(bare, x, pe, mask)


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
        ((x, pe[..., :2], mask), ValueError, r"params\['positions'\] takes k=3"),
        ((x, pe[:2], mask), ValueError, rf"pe has shape \(2, {L}, 3\) but x has \({B}, {L}, 6\)"),
        ((x, pe * np.nan, mask), ValueError, "pe contains NaN"),
        ((x * np.nan, pe, mask), ValueError, "x contains NaN"),
        (
            (x[..., :5], pe, mask),
            ValueError,
            r"^x has 5 features per node .* built for d_in=6 \(init_graph_transformer",
        ),
    ]
    for args, error, match in cases:
        with pytest.raises(error, match=match):
            gl.graph_transformer(params, *args)
    with pytest.raises(TypeError, match="params must be the dict made by init_graph_transformer"):
        gl.graph_transformer(x, params, pe, mask)
    with pytest.raises(ValueError, match=rf"labels has shape \(2,\) but logits has shape \({B}"):
        gl.graph_transformer_loss(params, x, pe, mask, data["labels"][:2])
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_graph_transformer(None, C + 2, 3, 4, 2, 6, C)
    with pytest.raises(TypeError, match="num_layers must be an int"):
        gl.init_graph_transformer(np.random.default_rng(0), C + 2, 3, 4, 2, 6, C, 1.0)
    with pytest.raises(ValueError, match="num_heads=3 must be >= 1 and divide d_model=4"):
        gl.init_graph_transformer(np.random.default_rng(0), C + 2, 3, 4, 3, 6, C)
    with pytest.raises(ValueError, match=r"norm must be \"post\", \"pre\" or None, got 'layer'"):
        gl.init_graph_transformer(np.random.default_rng(0), C + 2, 3, 4, 2, 6, C, norm="layer")
