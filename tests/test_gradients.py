"""Every backward function against central finite differences (``gradient_check``, float64).

Each layer is checked for every parameter and for its input ``h``, with a random
upstream gradient ``R`` (loss = sum(out * R)), on random graphs that have isolated
nodes, on the complete graph, and on the dense path (also batched and masked).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize_params

import gnnformer_lite as gl

TOL = 1e-6


def _errors(tree, path=""):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _errors(value, f"{path}/{key}")
    else:
        yield path, tree


def assert_gradients(forward, backward, params, h, seed=0):
    """``forward(params, h, cache) -> out``, ``backward(params, cache, d_out) -> (d_params, d_h)``.

    Checks every parameter and ``h`` with ``gl.gradient_check`` (relative error < 1e-6).
    """
    rng = np.random.default_rng(seed)
    cache = {}
    out = forward(params, h, cache)
    np.testing.assert_allclose(out, forward(params, h, None), rtol=1e-12, atol=1e-12)
    R = rng.normal(size=out.shape)
    d_params, d_h = backward(params, cache, R)
    assert d_h.shape == h.shape

    def loss(p):
        return float((forward(p["params"], p["h"], None) * R).sum())

    errors = gl.gradient_check(loss, {"params": params, "h": h}, {"params": d_params, "h": d_h})
    bad = {path: err for path, err in _errors(errors) if not err < TOL}
    assert not bad, f"gradient check failed: {bad}"
    return errors


def graph_with_isolated_node(seed: int, n: int = 6, p: float = 0.4) -> gl.Graph:
    """A random graph (some self loops) whose last node has no edge at all."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    mask[-1, :] = mask[:, -1] = False
    r, s = np.nonzero(mask)
    return gl.Graph(s, r, n)


GRAPHS = {
    "random+isolated": graph_with_isolated_node(1),
    "random+isolated-2": graph_with_isolated_node(2, p=0.25),
    "no edges": gl.Graph([], [], 6),
    "complete": gl.complete_graph(6),
    "path": gl.path_graph(6),
}


@pytest.fixture(params=sorted(GRAPHS))
def graph(request):
    return GRAPHS[request.param]


def features(seed: int, n: int = 6, d: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


# --- message passing ---------------------------------------------------------------------


def test_propagate_backward_is_a_gather_by_receivers(graph):
    rng = np.random.default_rng(0)
    messages = rng.normal(size=(graph.num_edges, 3))
    d_out = rng.normal(size=(graph.num_nodes, 3))
    d_messages = gl.propagate_backward(graph, d_out)
    np.testing.assert_array_equal(d_messages, d_out[graph.receivers])
    # the adjoint identity <propagate(m), y> = <m, propagate_backward(y)>
    np.testing.assert_allclose(
        (gl.propagate(graph, messages) * d_out).sum(), (messages * d_messages).sum()
    )


def test_gather_backward_is_propagate_on_the_reversed_graph(graph):
    rng = np.random.default_rng(1)
    d_messages = rng.normal(size=(graph.num_edges, 2))
    rev, order = gl.reverse_graph(graph, return_edge_order=True)
    np.testing.assert_array_equal(rev.senders, graph.receivers[order])
    np.testing.assert_array_equal(rev.receivers, graph.senders[order])
    by_senders = gl.segment_sum(d_messages, graph.senders, graph.num_nodes)
    np.testing.assert_allclose(gl.propagate(rev, d_messages[order]), by_senders)
    np.testing.assert_array_equal(rev.adjacency(), graph.adjacency().T)
    assert gl.reverse_graph(rev) == graph


def test_segment_softmax_backward(graph):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(graph.num_edges, 2))
    R = rng.normal(size=logits.shape)
    alpha = gl.segment_softmax(logits, graph.receivers, graph.num_nodes)
    d_logits = gl.segment_softmax_backward(alpha, R, graph.receivers, graph.num_nodes)

    def loss(x):
        return float((gl.segment_softmax(x, graph.receivers, graph.num_nodes) * R).sum())

    assert gl.gradient_check(loss, logits, d_logits) < TOL


def test_softmax_backward():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(2, 3, 5))
    R = rng.normal(size=scores.shape)
    for axis in (-1, 1):
        d_scores = gl.softmax_backward(gl.softmax(scores, axis), R, axis)

        def loss(x, axis=axis):
            return float((gl.softmax(x, axis) * R).sum())

        assert gl.gradient_check(loss, scores, d_scores) < TOL


# --- attention ------------------------------------------------------------------------------


def _qkv(seed, n=6, H=2, d=3, batch=()):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=(*batch, n, H, d)) for name in "qkv"}


def _check_attention(forward, backward, qkv, seed=0):
    R = np.random.default_rng(seed).normal(size=forward(qkv, None).shape)
    cache = {}
    forward(qkv, cache)
    d_q, d_k, d_v = backward(cache, R)
    errors = gl.gradient_check(
        lambda p: float((forward(p, None) * R).sum()), qkv, {"q": d_q, "k": d_k, "v": d_v}
    )
    assert max(errors.values()) < TOL, errors


def test_graph_attention_backward(graph):
    def forward(p, cache):
        return gl.graph_attention(p["q"], p["k"], p["v"], graph, cache=cache)[0]

    _check_attention(forward, lambda c, d: gl.graph_attention_backward(graph, c, d), _qkv(4))


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_scaled_dot_product_attention_backward(masked, batch):
    mask = None
    if masked:  # a causal mask, and in the batch a padded sentence; row 0 of key 5 sees nothing
        mask = np.tril(np.ones((6, 6), dtype=bool))
        mask = np.broadcast_to(mask, (*batch, 6, 6)).copy()
        mask[..., :, 5] = False

    def forward(p, cache):
        return gl.scaled_dot_product_attention(p["q"], p["k"], p["v"], mask, cache=cache)[0]

    _check_attention(forward, gl.scaled_dot_product_attention_backward, _qkv(5, batch=batch))


# --- layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", [gl.relu, gl.elu, gl.leaky_relu, None])
def test_gnn_layer_backward(graph, activation):
    params = randomize_params(
        gl.init_gnn_layer(np.random.default_rng(6), 4, 3), np.random.default_rng(7)
    )

    def forward(p, h, cache):
        return gl.gnn_layer(p, h, graph, activation, cache=cache)

    def backward(p, cache, d):
        return gl.gnn_layer_backward(p, graph, cache, d)

    assert_gradients(forward, backward, params, features(8))


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("activation", [gl.elu, None])
def test_gat_layer_backward(graph, concat, activation):
    rng = np.random.default_rng(9)
    params = randomize_params(gl.init_gat_layer(rng, 4, 3, 2, concat), rng)

    def forward(p, h, cache):
        return gl.gat_layer(p, h, graph, activation, concat, cache=cache)

    def backward(p, cache, d):
        return gl.gat_layer_backward(p, graph, cache, d)

    assert_gradients(forward, backward, params, features(10))


@pytest.mark.parametrize("dense", [True, False])
def test_multi_head_attention_backward(graph, dense):
    rng = np.random.default_rng(11)
    params = randomize_params(gl.init_multi_head_attention(rng, 4, 2), rng)
    g = None if dense else graph

    def forward(p, h, cache):
        return gl.multi_head_attention(p, h, g, num_heads=2, cache=cache)

    def backward(p, cache, d):
        return gl.multi_head_attention_backward(p, g, cache, d)

    assert_gradients(forward, backward, params, features(12))


def test_multi_head_attention_backward_without_biases():
    rng = np.random.default_rng(13)
    params = {
        key: value
        for key, value in gl.init_multi_head_attention(rng, 4, 2).items()
        if key[0] == "W"
    }

    def forward(p, h, cache):
        return gl.multi_head_attention(p, h, None, num_heads=2, cache=cache)

    def backward(p, cache, d):
        d_params, d_h = gl.multi_head_attention_backward(p, None, cache, d)
        assert sorted(d_params) == sorted(p)
        return d_params, d_h

    assert_gradients(forward, backward, params, features(14))


def test_layer_norm_backward():
    rng = np.random.default_rng(15)
    params = {"gamma": rng.normal(size=4), "beta": rng.normal(size=4)}

    def forward(p, x, cache):
        return gl.layer_norm(x, p["gamma"], p["beta"], cache=cache)

    def backward(p, cache, d):
        d_x, d_gamma, d_beta = gl.layer_norm_backward(cache, d)
        return {"gamma": d_gamma, "beta": d_beta}, d_x

    assert_gradients(forward, backward, params, features(16))
    assert_gradients(forward, backward, params, rng.normal(size=(2, 3, 4)))  # (..., d)


def test_feed_forward_backward():
    rng = np.random.default_rng(17)
    params = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8)["ffn"], rng)

    def forward(p, x, cache):
        return gl.feed_forward(p, x, cache=cache)

    def backward(p, cache, d):
        return gl.feed_forward_backward(p, cache, d)

    assert_gradients(forward, backward, params, features(18))
    assert_gradients(forward, backward, params, rng.normal(size=(2, 3, 4)))


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("dense", [True, False])
def test_transformer_layer_backward(graph, dense, norm_first):
    rng = np.random.default_rng(19)
    params = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8), rng)
    g = None if dense else graph

    def forward(p, h, cache):
        return gl.transformer_layer(p, h, g, num_heads=2, norm_first=norm_first, cache=cache)

    def backward(p, cache, d):
        return gl.transformer_layer_backward(p, g, cache, d)

    assert_gradients(forward, backward, params, features(20))


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_transformer_layer_backward_padded_batch(norm_first):
    """A padded dense batch (B, L, d) with a key mask: what training on sentences uses."""
    rng = np.random.default_rng(21)
    params = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8), rng)
    lengths = np.array([5, 3, 4])
    mask = (np.arange(5)[None, :] < lengths[:, None])[:, None, :]  # (B, 1, L): real keys only

    def forward(p, h, cache):
        return gl.transformer_layer(
            p, h, None, num_heads=2, norm_first=norm_first, mask=mask, cache=cache
        )

    def backward(p, cache, d):
        return gl.transformer_layer_backward(p, None, cache, d)

    assert_gradients(forward, backward, params, rng.normal(size=(3, 5, 4)))


# --- big inputs: with a cache the textbook path runs, and gives the kernels' numbers ----------


def test_a_cache_takes_the_textbook_path_on_big_inputs():
    rng = np.random.default_rng(22)
    graph = gl.complete_graph(60)  # 3600 edges x 4 heads: the kernel's size
    q, k, v = (rng.normal(size=(60, 4, 8)) for _ in range(3))
    cache = {}
    out, alpha = gl.graph_attention(q, k, v, graph, cache=cache)
    fast_out, fast_alpha = gl.graph_attention(q, k, v, graph)
    np.testing.assert_allclose(out, fast_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(alpha, fast_alpha, rtol=1e-12, atol=1e-12)
    d_q, d_k, d_v = gl.graph_attention_backward(graph, cache, np.ones_like(out))
    # on the complete graph the dense backward must give the same gradients
    dense_cache = {}
    big_q = np.broadcast_to(q, (5, 60, 4, 8))  # a batch of 5: 72000 weights, the kernel's size
    dense_out, _ = gl.scaled_dot_product_attention(
        big_q, big_q * 0 + k, big_q * 0 + v, cache=dense_cache
    )
    np.testing.assert_allclose(dense_out[0], out, rtol=1e-12, atol=1e-12)
    dd = gl.scaled_dot_product_attention_backward(dense_cache, np.ones_like(dense_out))
    for ours, dense in zip((d_q, d_k, d_v), dd, strict=True):
        np.testing.assert_allclose(dense[2], ours, rtol=1e-10, atol=1e-10)


# --- bad input: clear errors -------------------------------------------------------------------


def test_backward_functions_refuse_a_wrong_cache_or_gradient():
    rng = np.random.default_rng(23)
    graph = graph_with_isolated_node(3)
    params = gl.init_gnn_layer(rng, 4, 3)
    h = features(24)
    cache = {}
    gl.gnn_layer(params, h, graph, cache=cache)
    with pytest.raises(
        ValueError, match=r"cache must be the dict filled in by gnn_layer\(\.\.\., cache=cache\)"
    ):
        gl.gnn_layer_backward(params, graph, {}, np.zeros((6, 3)))
    with pytest.raises(ValueError, match="cache must be the dict filled in by layer_norm"):
        gl.layer_norm_backward(None, np.zeros(3))
    with pytest.raises(
        ValueError, match=r"d_out has shape \(6, 4\) but the output of gnn_layer had shape \(6, 3\)"
    ):
        gl.gnn_layer_backward(params, graph, cache, np.zeros((6, 4)))
    with pytest.raises(ValueError, match="graph has num_nodes=5 but h has 6 rows"):
        gl.gnn_layer_backward(params, gl.path_graph(5), cache, np.zeros((6, 3)))
    cache = {}
    gl.gnn_layer(params, h, graph, np.tanh, cache=cache)
    with pytest.raises(ValueError, match="no backward for activation"):
        gl.gnn_layer_backward(params, graph, cache, np.zeros((6, 3)))


def test_attention_backward_bad_input():
    rng = np.random.default_rng(25)
    graph = graph_with_isolated_node(4)
    qkv = _qkv(26)
    cache = {}
    gl.graph_attention(qkv["q"], qkv["k"], qkv["v"], graph, cache=cache)
    other = gl.complete_graph(6)
    with pytest.raises(ValueError, match=r"graph has 36 edges but graph_attention saw \d+"):
        gl.graph_attention_backward(other, cache, np.zeros((6, 2, 3)))
    with pytest.raises(ValueError, match="d_out has shape"):
        gl.graph_attention_backward(graph, cache, np.zeros((6, 2, 4)))
    with pytest.raises(ValueError, match=r"d_weights has shape \(2, 3\) but weights has \(2, 2\)"):
        gl.softmax_backward(np.ones((2, 2)) / 2, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"d_alpha has shape \(3,\) but alpha has \(2,\)"):
        gl.segment_softmax_backward(np.ones(2), np.zeros(3), [0, 0], 1)
    with pytest.raises(ValueError, match="segment_ids contains 1, out of range"):
        gl.segment_softmax_backward(np.ones(2), np.zeros(2), [0, 1], 1)
    with pytest.raises(ValueError, match=r"d_out has shape \(5, 2\) but the graph has 6 nodes"):
        gl.propagate_backward(graph, np.zeros((5, 2)))
    with pytest.raises(TypeError, match="graph must be a gnnformer_lite.Graph"):
        gl.reverse_graph(np.zeros((2, 2)))
    params = gl.init_multi_head_attention(rng, 4, 2)
    with pytest.raises(ValueError, match="mask is for the dense path"):
        gl.multi_head_attention(
            params, features(27), graph, num_heads=2, mask=np.ones((6, 6), bool)
        )
    with pytest.raises(ValueError, match=r"h must be \(num_nodes, d\), got shape \(2, 6, 4\)"):
        gl.multi_head_attention(params, rng.normal(size=(2, 6, 4)), graph, num_heads=2)
    with pytest.raises(ValueError, match=r"h must be \(num_nodes, d\) or a padded batch"):
        gl.multi_head_attention(params, np.zeros(4), num_heads=2)
