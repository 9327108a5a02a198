"""GNN, GAT and Transformer layers against loop references, and their symmetries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import (
    call_without_mutation,
    graphs,
    random_graph,
    randomize_params,
    ref_ffn,
    ref_gat,
    ref_gnn,
    ref_layer_norm,
    ref_mha,
    ref_transformer,
    strict_numerics,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl

seeds = st.integers(0, 2**32 - 1)
head_counts = st.integers(1, 3)


def features(seed, n, d, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def gnn_params(seed, d_in, d_out, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_gnn_layer(rng, d_in, d_out, dtype=dtype), rng)


def gat_params(seed, d_in, d_out, H, concat=True, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = gl.init_gat_layer(rng, d_in, d_out, num_heads=H, concat=concat, dtype=dtype)
    return randomize_params(params, rng)


def mha_params(seed, d_model, H, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_multi_head_attention(rng, d_model, H, dtype=dtype), rng)


def transformer_params(seed, d_model, H, d_ff, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_transformer_layer(rng, d_model, H, d_ff, dtype=dtype), rng)


def ref_elu(x):
    return np.vectorize(lambda t: t if t > 0 else math.exp(t) - 1, otypes=[float])(x)


# --- init_* ----------------------------------------------------------------------------


def assert_glorot(w, d_in, d_out):
    limit = math.sqrt(6 / (d_in + d_out))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.8 * limit  # really spread over (-l, l), not a narrow init
    assert abs(w.var() - limit**2 / 3) < 0.25 * limit**2 / 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_gnn_layer(dtype):
    p = gl.init_gnn_layer(np.random.default_rng(0), 40, 30, dtype=dtype)
    assert set(p) == {"U", "V", "b"}
    assert p["U"].shape == p["V"].shape == (40, 30) and p["b"].shape == (30,)
    assert all(x.dtype == dtype for x in p.values())
    assert_glorot(p["U"], 40, 30)
    assert_glorot(p["V"], 40, 30)
    assert not np.array_equal(p["U"], p["V"])
    np.testing.assert_array_equal(p["b"], 0)


@pytest.mark.parametrize("concat", [True, False])
def test_init_gat_layer(concat):
    p = gl.init_gat_layer(np.random.default_rng(0), 40, 20, num_heads=3, concat=concat)
    assert p["W"].shape == (40, 60)
    assert p["a_src"].shape == p["a_dst"].shape == (3, 20)
    assert p["b"].shape == ((60,) if concat else (20,))
    assert_glorot(p["W"], 40, 60)
    assert np.abs(p["a_src"]).min() > 0 and not np.array_equal(p["a_src"], p["a_dst"])
    np.testing.assert_array_equal(p["b"], 0)
    assert gl.init_gat_layer(np.random.default_rng(0), 4, 2)["a_src"].shape == (1, 2)
    p32 = gl.init_gat_layer(np.random.default_rng(0), 4, 2, 2, dtype=np.float32)
    assert all(x.dtype == np.float32 for x in p32.values())


def test_init_transformer_layer():
    p = gl.init_transformer_layer(np.random.default_rng(0), 32, 4, 64, dtype=np.float32)
    assert set(p) == {"attn", "ln1", "ffn", "ln2"}
    for x in "QKVO":
        assert p["attn"][f"W_{x}"].shape == (32, 32)
        assert_glorot(p["attn"][f"W_{x}"], 32, 32)
        np.testing.assert_array_equal(p["attn"][f"b_{x}"], np.zeros(32))
    assert p["ffn"]["W1"].shape == (32, 64) and p["ffn"]["W2"].shape == (64, 32)
    assert_glorot(p["ffn"]["W1"], 32, 64)
    assert_glorot(p["ffn"]["W2"], 64, 32)
    assert p["ffn"]["b1"].shape == (64,) and p["ffn"]["b2"].shape == (32,)
    for ln in ("ln1", "ln2"):
        np.testing.assert_array_equal(p[ln]["gamma"], np.ones(32))
        np.testing.assert_array_equal(p[ln]["beta"], np.zeros(32))
    leaves = [x for sub in p.values() for x in sub.values()]
    assert all(x.dtype == np.float32 for x in leaves)
    mha = gl.init_multi_head_attention(np.random.default_rng(0), 32, 4)
    assert set(mha) == {f"{w}_{x}" for w in "Wb" for x in "QKVO"}


def test_init_is_reproducible_from_the_seed():
    a = gl.init_transformer_layer(np.random.default_rng(7), 8, 2, 16)
    b = gl.init_transformer_layer(np.random.default_rng(7), 8, 2, 16)
    c = gl.init_transformer_layer(np.random.default_rng(8), 8, 2, 16)
    np.testing.assert_array_equal(a["attn"]["W_Q"], b["attn"]["W_Q"])
    assert not np.array_equal(a["attn"]["W_Q"], c["attn"]["W_Q"])


# --- activations -----------------------------------------------------------------------


def test_activations():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(call_without_mutation(gl.relu, x), [0, 0, 0, 0.5, 3])
    np.testing.assert_allclose(call_without_mutation(gl.elu, x), ref_elu(x), rtol=1e-15)
    np.testing.assert_allclose(call_without_mutation(gl.leaky_relu, x), [-0.6, -0.1, 0, 0.5, 3])
    np.testing.assert_allclose(gl.leaky_relu(x, 0.5), [-1.5, -0.25, 0, 0.5, 3])
    ints = gl.leaky_relu(np.array([-5, 5]))
    assert ints.dtype == np.float64 and ints.tolist() == [-1.0, 5.0]
    x32 = x.astype(np.float32)
    for fn in (gl.relu, gl.elu, gl.leaky_relu):
        assert fn(x32).dtype == np.float32
    with strict_numerics():
        np.testing.assert_allclose(gl.elu(np.array([-1e4, 1e4])), [-1.0, 1e4])


# --- GNN ---------------------------------------------------------------------------------


@given(g=graphs(), d_in=st.integers(1, 4), d_out=st.integers(1, 4), seed=seeds)
def test_gnn_layer_matches_loop(g, d_in, d_out, seed):
    params = gnn_params(seed, d_in, d_out)
    h = features(seed, g.num_nodes, d_in)
    out = call_without_mutation(gl.gnn_layer, params, h, g)
    assert out.shape == (g.num_nodes, d_out)
    np.testing.assert_allclose(out, ref_gnn(params, h, g, gl.relu), rtol=1e-12, atol=1e-12)
    raw = gl.gnn_layer(params, h, g, activation=None)
    np.testing.assert_allclose(raw, ref_gnn(params, h, g), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gl.gnn_layer(params, h, g, activation=np.tanh), np.tanh(raw))


def test_gnn_layer_matrix_form():
    """h' = h U + A h V + b: the talk's formula with the adjacency matrix."""
    g = gl.path_graph(5)
    params = gnn_params(0, 3, 2)
    h = features(0, 5, 3)
    expected = h @ params["U"] + g.adjacency() @ h @ params["V"] + params["b"]
    np.testing.assert_allclose(gl.gnn_layer(params, h, g, activation=None), expected)


# --- GAT ---------------------------------------------------------------------------------


@given(
    g=graphs(),
    d_in=st.integers(1, 4),
    d_out=st.integers(1, 3),
    H=head_counts,
    concat=st.booleans(),
    seed=seeds,
)
@settings(max_examples=40)
def test_gat_layer_matches_loop(g, d_in, d_out, H, concat, seed):
    params = gat_params(seed, d_in, d_out, H, concat=concat)
    params["a_src"] *= 3  # make the scores differ enough that the softmax matters
    h = features(seed, g.num_nodes, d_in)
    with strict_numerics():
        out, alpha = call_without_mutation(
            gl.gat_layer, params, h, g, concat=concat, return_attention=True
        )
    ref_out, ref_alpha = ref_gat(params, h, g, concat=concat, activation=ref_elu)
    assert out.shape == (g.num_nodes, H * d_out if concat else d_out)
    assert alpha.shape == (g.num_edges, H)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(alpha, ref_alpha, rtol=1e-12, atol=1e-12)
    raw = gl.gat_layer(params, h, g, concat=concat, activation=None)
    np.testing.assert_allclose(raw, ref_gat(params, h, g, concat=concat)[0], atol=1e-12)
    _, alpha_half = gl.gat_layer(
        params, h, g, concat=concat, negative_slope=0.5, return_attention=True
    )
    ref_half = ref_gat(params, h, g, concat=concat, negative_slope=0.5)[1]
    np.testing.assert_allclose(alpha_half, ref_half, rtol=1e-12, atol=1e-12)


@given(g=graphs(), H=head_counts, seed=seeds)
def test_gat_with_uniform_scores_is_mean_aggregation(g, H, seed):
    params = gat_params(seed, 3, 2, H)
    params["a_src"][:] = 0
    params["a_dst"][:] = 0
    params["b"][:] = 0
    h = features(seed, g.num_nodes, 3)
    out, alpha = gl.gat_layer(params, h, g, activation=None, return_attention=True)
    z = (h @ params["W"]).reshape(g.num_nodes, H, 2)
    deg = g.adjacency().sum(axis=1, keepdims=True)
    mean_adj = np.divide(g.adjacency(), deg, out=np.zeros_like(g.adjacency()), where=deg > 0)
    expected = np.einsum("ij,jhd->ihd", mean_adj, z)
    np.testing.assert_allclose(out.reshape(g.num_nodes, H, 2), expected, atol=1e-12)
    np.testing.assert_allclose(alpha, 1 / deg[g.receivers].repeat(H, axis=1), rtol=1e-12)
    out_mean = gl.gat_layer(params | {"b": np.zeros(2)}, h, g, activation=None, concat=False)
    np.testing.assert_allclose(out_mean, expected.mean(axis=1), atol=1e-12)


def test_gat_isolated_nodes_aggregate_zero(strict):
    g = gl.Graph([0, 1, 1], [1, 1, 2], 4)  # node 0 and node 3 hear nothing
    params = gat_params(1, 3, 2, 2)
    h = features(1, 4, 3) * 1e3
    out, alpha = gl.gat_layer(params, h, g, activation=None, return_attention=True)
    np.testing.assert_array_equal(out[[0, 3]], np.broadcast_to(params["b"], (2, 4)))
    assert np.isfinite(out).all() and np.isfinite(alpha).all()
    np.testing.assert_allclose(alpha[:2].sum(0), 1)  # node 1's two incoming edges
    np.testing.assert_allclose(alpha[2], 1)


# --- multi-head attention -----------------------------------------------------------------


@given(n=st.integers(0, 6), H=head_counts, d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_matches_loop(n, H, d_head, seed):
    d_model = H * d_head
    params = mha_params(seed, d_model, H)
    h = features(seed, n, d_model)
    out, w = call_without_mutation(
        gl.multi_head_attention, params, h, num_heads=H, return_attention=True
    )
    ref_out, ref_w = ref_mha(params, h, H)
    assert out.shape == (n, d_model) and w.shape == (H, n, n)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-12)
    # without biases (they are optional)
    no_bias = {k: v for k, v in params.items() if k.startswith("W")}
    np.testing.assert_allclose(
        gl.multi_head_attention(no_bias, h, num_heads=H), ref_mha(no_bias, h, H)[0], atol=1e-12
    )


@given(g=graphs(), H=head_counts, d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_on_a_graph_matches_masked_loop(g, H, d_head, seed):
    d_model = H * d_head
    params = mha_params(seed, d_model, H)
    h = features(seed, g.num_nodes, d_model)
    with strict_numerics():
        out, alpha = gl.multi_head_attention(params, h, g, num_heads=H, return_attention=True)
    ref_out, ref_w = ref_mha(params, h, H, mask=g.adjacency() > 0)
    assert alpha.shape == (g.num_edges, H)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), ref_w, atol=1e-12)
    isolated = g.in_degree == 0  # nothing to attend: only the output bias is left
    np.testing.assert_allclose(out[isolated], np.broadcast_to(params["b_O"], out[isolated].shape))


@given(n=st.integers(0, 6), H=head_counts, d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_complete_graph_equals_dense(n, H, d_head, seed):
    d_model = H * d_head
    params = mha_params(seed, d_model, H)
    h = features(seed, n, d_model)
    g = gl.complete_graph(n)
    dense, w = gl.multi_head_attention(params, h, num_heads=H, return_attention=True)
    sparse, alpha = gl.multi_head_attention(params, h, g, num_heads=H, return_attention=True)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), w, rtol=0, atol=1e-12)


# --- layer norm and feed-forward -----------------------------------------------------------


@given(shape=st.sampled_from([(1,), (3,), (4, 5), (2, 3, 4), (0, 3)]), seed=seeds)
def test_layer_norm_matches_loop(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 5 + 3
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    out = call_without_mutation(gl.layer_norm, x, gamma, beta)
    np.testing.assert_allclose(out, ref_layer_norm(x, gamma, beta), rtol=1e-10, atol=1e-12)
    out_eps = gl.layer_norm(x, gamma, beta, eps=0.5)
    np.testing.assert_allclose(out_eps, ref_layer_norm(x, gamma, beta, eps=0.5), atol=1e-12)


def test_layer_norm_normalises_each_row():
    x = np.random.default_rng(0).normal(size=(4, 6)) * 10 + 5
    out = gl.layer_norm(x, np.ones(6), np.zeros(6), eps=0.0)
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(-1), 1, atol=1e-12)
    const = gl.layer_norm(np.full((2, 3), 7.0, dtype=np.float32), np.ones(3), np.full(3, 2.0))
    assert const.dtype == np.float32
    np.testing.assert_array_equal(const, 2.0)  # zero variance: eps keeps it finite


@given(shape=st.sampled_from([(3,), (4, 3), (2, 2, 3), (0, 3)]), seed=seeds)
def test_feed_forward_matches_loop(shape, seed):
    rng = np.random.default_rng(seed)
    params = transformer_params(seed, 3, 1, 5)["ffn"]
    x = rng.normal(size=shape)
    out = call_without_mutation(gl.feed_forward, params, x)
    assert out.shape == shape
    expected = np.zeros(shape)
    for idx in np.ndindex(shape[:-1]):
        hidden = [max(0.0, float(x[idx] @ params["W1"][:, f]) + params["b1"][f]) for f in range(5)]
        expected[idx] = np.array(hidden) @ params["W2"] + params["b2"]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, ref_ffn(params, x), rtol=1e-12, atol=1e-12)


# --- transformer layer -------------------------------------------------------------------


@given(
    n=st.integers(0, 5),
    H=head_counts,
    d_head=st.integers(1, 3),
    norm_first=st.booleans(),
    causal=st.booleans(),
    seed=seeds,
)
@settings(max_examples=30)
def test_transformer_layer_matches_loop(n, H, d_head, norm_first, causal, seed):
    d_model = H * d_head
    params = transformer_params(seed, d_model, H, 2 * d_model + 1)
    h = features(seed, n, d_model)
    graph = gl.causal_graph(n) if causal else None
    mask = gl.causal_graph(n).adjacency() > 0 if causal else None
    out, w = call_without_mutation(
        gl.transformer_layer,
        params,
        h,
        graph,
        num_heads=H,
        norm_first=norm_first,
        return_attention=True,
    )
    assert out.shape == (n, d_model)
    assert w.shape == ((graph.num_edges, H) if causal else (H, n, n))
    expected = ref_transformer(params, h, H, mask=mask, norm_first=norm_first)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@given(n=st.integers(0, 6), H=head_counts, norm_first=st.booleans(), seed=seeds)
def test_transformer_layer_complete_graph_equals_dense(n, H, norm_first, seed):
    params = transformer_params(seed, 2 * H, H, 5)
    h = features(seed, n, 2 * H)
    kw = {"num_heads": H, "norm_first": norm_first}
    dense = gl.transformer_layer(params, h, **kw)
    sparse = gl.transformer_layer(params, h, gl.complete_graph(n), **kw)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12)


def test_transformer_layer_default_params_post_ln_output_is_normalised():
    params = gl.init_transformer_layer(np.random.default_rng(0), 8, 2, 16)
    out = gl.transformer_layer(params, features(0, 5, 8), num_heads=2)
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)  # post-LN, gamma=1, beta=0
    np.testing.assert_allclose(out.var(-1), 1, atol=1e-3)


# --- symmetries ----------------------------------------------------------------------------


def relabel(graph, perm):
    """The graph on the permuted nodes: new node k is old node perm[k]."""
    inv = np.argsort(perm)
    return gl.Graph(inv[graph.senders], inv[graph.receivers], graph.num_nodes)


LAYERS = {
    "gnn": lambda p, h, g: gl.gnn_layer(p["gnn"], h, g),
    "gat": lambda p, h, g: gl.gat_layer(p["gat"], h, g),
    "gat_mean": lambda p, h, g: gl.gat_layer(p["gat_mean"], h, g, concat=False),
    "mha_graph": lambda p, h, g: gl.multi_head_attention(p["attn"], h, g, num_heads=2),
    "mha_dense": lambda p, h, g: gl.multi_head_attention(p["attn"], h, num_heads=2),
    "transformer_graph": lambda p, h, g: gl.transformer_layer(p["tf"], h, g, num_heads=2),
    "transformer_dense": lambda p, h, g: gl.transformer_layer(p["tf"], h, num_heads=2),
    "transformer_pre_ln": lambda p, h, g: gl.transformer_layer(
        p["tf"], h, g, num_heads=2, norm_first=True
    ),
}


def all_params(seed, d=4, dtype=np.float64):
    return {
        "gnn": gnn_params(seed, d, 3, dtype),
        "gat": gat_params(seed, d, 3, 2, dtype=dtype),
        "gat_mean": gat_params(seed, d, 3, 2, concat=False, dtype=dtype),
        "attn": mha_params(seed, d, 2, dtype),
        "tf": transformer_params(seed, d, 2, 6, dtype),
    }


@pytest.mark.parametrize("layer", sorted(LAYERS))
@given(g=graphs(min_nodes=1), seed=seeds)
@settings(max_examples=15)
def test_permutation_equivariance(layer, g, seed):
    fn = LAYERS[layer]
    params = all_params(seed)
    h = features(seed, g.num_nodes, 4)
    perm = np.random.default_rng(seed).permutation(g.num_nodes)
    out = fn(params, h, g)
    out_perm = fn(params, h[perm], relabel(g, perm))
    np.testing.assert_allclose(out_perm, out[perm], rtol=1e-12, atol=1e-12)


def test_dense_attention_weights_permute_both_axes():
    params = mha_params(0, 4, 2)
    h = features(0, 5, 4)
    perm = np.array([3, 0, 4, 1, 2])
    _, w = gl.multi_head_attention(params, h, num_heads=2, return_attention=True)
    _, w_perm = gl.multi_head_attention(params, h[perm], num_heads=2, return_attention=True)
    np.testing.assert_allclose(w_perm, w[:, perm][:, :, perm], atol=1e-14)


# --- dtype, mutation, isolated nodes -------------------------------------------------------


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_in_float32_out(layer, params_dtype):
    g = gl.add_self_loops(random_graph(np.random.default_rng(0), 5))
    params = all_params(0, dtype=params_dtype)
    h32 = features(0, 5, 4, np.float32)
    out32 = call_without_mutation(LAYERS[layer], params, h32, g)
    assert out32.dtype == np.float32
    out64 = LAYERS[layer](params, h32.astype(np.float64), g)
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_attention_weights_layer_norm_and_ffn(params_dtype):
    params = all_params(1, dtype=params_dtype)
    h = features(1, 4, 4, np.float32)
    g = gl.causal_graph(4)
    for graph in (None, g):
        _, w = gl.multi_head_attention(params["attn"], h, graph, num_heads=2, return_attention=True)
        assert w.dtype == np.float32
        _, w = gl.transformer_layer(params["tf"], h, graph, num_heads=2, return_attention=True)
        assert w.dtype == np.float32
    _, alpha = gl.gat_layer(params["gat"], h, g, return_attention=True)
    assert alpha.dtype == np.float32
    ln = params["tf"]["ln1"]
    assert gl.layer_norm(h, ln["gamma"], ln["beta"]).dtype == np.float32
    assert gl.feed_forward(params["tf"]["ffn"], h).dtype == np.float32


def test_integer_features_compute_in_float64():
    params = all_params(2)
    h = np.arange(12).reshape(3, 4)
    assert gl.gnn_layer(params["gnn"], h, gl.path_graph(3)).dtype == np.float64
    assert gl.transformer_layer(params["tf"], h, num_heads=2).dtype == np.float64


def test_transformer_isolated_nodes_are_finite(strict):
    g = gl.Graph([0, 1], [1, 1], 4)  # nodes 0, 2, 3 attend to nothing
    params = all_params(3)
    h = features(3, 4, 4) * 100
    for norm_first in (False, True):
        out = gl.transformer_layer(params["tf"], h, g, num_heads=2, norm_first=norm_first)
        assert np.isfinite(out).all()
