"""gnn_layers: the activations, the GNN and the GAT layer, and their backward passes.

- the forwards against plain-loop references (``conftest.ref_gnn``, ``ref_gat``) and
  their symmetries (permutation equivariance, uniform scores = mean aggregation);
- every backward against central finite differences, for every activation and
  ``concat``, on graphs with isolated nodes, without edges, complete, and a path;
- ``concat``, which a GAT's params remember by the length of ``b`` (no setting of its
  own): a conflicting value is a ``ValueError``, an agreeing one changes nothing;
- bad inputs: a ``ValueError`` / ``TypeError`` naming the argument and its shape.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import (
    BACKWARD_GRAPHS,
    assert_glorot,
    call_without_mutation,
    check_backward,
    features,
    graphs,
    layer_tests,
    randomize_params,
    ref_gat,
    ref_gnn,
    refusal_test,
    strict_numerics,
    with_nan,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl

seeds = st.integers(0, 2**32 - 1)


# --- helpers -----------------------------------------------------------------------------


def gnn_params(seed, d_in, d_out, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_gnn_layer(rng, d_in, d_out, dtype=dtype), rng)


def gat_params(seed, d_in, d_out, H, concat=True, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_gat_layer(rng, d_in, d_out, H, concat, dtype=dtype), rng)


def ref_elu(x):
    return np.vectorize(lambda t: t if t > 0 else math.expm1(t), otypes=[float])(x)


# --- init_* --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_gnn_layer(dtype):
    p = gl.init_gnn_layer(np.random.default_rng(0), 40, 30, dtype=dtype)
    assert set(p) == {"U", "V", "b"}  # no settings: a GNN layer has none
    assert p["U"].shape == p["V"].shape == (40, 30) and p["b"].shape == (30,)
    assert all(x.dtype == dtype for x in p.values())
    assert_glorot(p["U"], 40, 30)
    assert_glorot(p["V"], 40, 30)
    assert not np.array_equal(p["U"], p["V"])
    np.testing.assert_array_equal(p["b"], 0)


@pytest.mark.parametrize("concat", [True, False])
def test_init_gat_layer(concat):
    p = gl.init_gat_layer(np.random.default_rng(0), 40, 20, num_heads=3, concat=concat)
    assert set(p) == {"W", "a_src", "a_dst", "b"}  # concat is the length of b: no setting
    assert p["W"].shape == (40, 60)
    assert p["a_src"].shape == p["a_dst"].shape == (3, 20)
    assert p["b"].shape == ((60,) if concat else (20,))
    assert_glorot(p["W"], 40, 60)
    assert np.abs(p["a_src"]).min() > 0 and not np.array_equal(p["a_src"], p["a_dst"])
    np.testing.assert_array_equal(p["b"], 0)
    assert gl.init_gat_layer(np.random.default_rng(0), 4, 2)["a_src"].shape == (1, 2)
    p32 = gl.init_gat_layer(np.random.default_rng(0), 4, 2, 2, dtype=np.float32)
    assert all(x.dtype == np.float32 for x in p32.values())


def test_init_is_reproducible_from_the_seed():
    a, b, c = (gl.init_gat_layer(np.random.default_rng(s), 4, 3, 2) for s in (7, 7, 8))
    np.testing.assert_array_equal(a["W"], b["W"])
    assert not np.array_equal(a["W"], c["W"])


# --- activations ---------------------------------------------------------------------------


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


# --- GNN -------------------------------------------------------------------------------------


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


def test_gnn_layer_without_edges_is_its_self_term(strict):
    g = gl.Graph(np.zeros(0, dtype=np.float32), [], 4)  # an empty list of any dtype
    params, h = gnn_params(1, 6, 3), features(1, 4, 6)
    np.testing.assert_allclose(
        gl.gnn_layer(params, h, g, activation=None), h @ params["U"] + params["b"]
    )


# --- GAT -------------------------------------------------------------------------------------


@given(
    g=graphs(),
    d_in=st.integers(1, 4),
    d_out=st.integers(1, 3),
    H=st.integers(1, 3),
    concat=st.booleans(),
    seed=seeds,
)
@settings(max_examples=40)
def test_gat_layer_matches_loop(g, d_in, d_out, H, concat, seed):
    params = gat_params(seed, d_in, d_out, H, concat=concat)
    params["a_src"] *= 3  # make the scores differ enough that the softmax matters
    h = features(seed, g.num_nodes, d_in)
    with strict_numerics():
        out, alpha = call_without_mutation(gl.gat_layer, params, h, g, return_attention=True)
    ref_out, ref_alpha = ref_gat(params, h, g, concat=concat, activation=ref_elu)
    assert out.shape == (g.num_nodes, H * d_out if concat else d_out)
    assert alpha.shape == (g.num_edges, H)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(alpha, ref_alpha, rtol=1e-12, atol=1e-12)
    raw = gl.gat_layer(params, h, g, activation=None)
    np.testing.assert_allclose(raw, ref_gat(params, h, g, concat=concat)[0], atol=1e-12)
    _, alpha_half = gl.gat_layer(params, h, g, negative_slope=0.5, return_attention=True)
    ref_half = ref_gat(params, h, g, concat=concat, negative_slope=0.5)[1]
    np.testing.assert_allclose(alpha_half, ref_half, rtol=1e-12, atol=1e-12)


@given(g=graphs(), H=st.integers(1, 3), seed=seeds)
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
    out_mean = gl.gat_layer(params | {"b": np.zeros(2)}, h, g, activation=None)  # b: the mean
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
    edgeless = gl.gat_layer(params, h, gl.Graph([], [], 4), activation=None)
    np.testing.assert_array_equal(edgeless, np.tile(params["b"], (4, 1)))


# --- concat: the length of b -----------------------------------------------------------


@pytest.mark.parametrize("concat", [True, False])
def test_gat_layer_reads_concat_from_the_bias(concat):
    params, h, g = gat_params(2, 4, 3, 2, concat), features(2, 5, 4), gl.path_graph(5)
    out = gl.gat_layer(params, h, g)
    assert out.shape == (5, 6 if concat else 3)
    np.testing.assert_allclose(out, ref_gat(params, h, g, concat, ref_elu)[0], atol=1e-12)
    np.testing.assert_array_equal(gl.gat_layer(params, h, g, concat=concat), out)  # agreeing
    b = r"\(6,\)" if concat else r"\(3,\)"
    with pytest.raises(
        ValueError,
        match=rf"b has shape {b} but h has d_in=4 and a_src is \(H, d_out\)=\(2, 3\), "
        rf"concat={not concat}, so b must be",
    ):
        gl.gat_layer(params, h, g, concat=not concat)
    cache = {}
    gl.gat_layer(params, h, g, cache=cache)
    assert cache["concat"] is concat


def test_one_head_concatenated_is_one_head_averaged():
    """With H = 1 the bias has d_out entries either way: both readings give the same."""
    params, h, g = gat_params(3, 4, 3, 1), features(3, 5, 4), gl.path_graph(5)
    out = gl.gat_layer(params, h, g)
    np.testing.assert_allclose(gl.gat_layer(params, h, g, concat=False), out, atol=1e-15)
    np.testing.assert_array_equal(gl.gat_layer(params, h, g, concat=True), out)


# --- backward passes ---------------------------------------------------------------------


@pytest.mark.parametrize("activation", [gl.relu, gl.elu, gl.leaky_relu, None])
def test_gnn_layer_backward(graph, activation):
    check_backward(
        lambda p, h, c: gl.gnn_layer(p, h, graph, activation, cache=c),
        gl.gnn_layer_backward,
        gnn_params(6, 4, 3),
        features(8, 6, 4),
    )


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("activation", [gl.elu, None])
def test_gat_layer_backward(graph, concat, activation):
    check_backward(
        lambda p, h, c: gl.gat_layer(p, h, graph, activation, concat, cache=c),
        gl.gat_layer_backward,
        gat_params(9, 4, 3, 2, concat),
        features(10, 6, 4),
    )


def test_gat_layer_backward_with_another_slope_and_attention_returned():
    g = BACKWARD_GRAPHS["complete"]

    def forward(p, h, c):
        return gl.gat_layer(p, h, g, negative_slope=0.5, return_attention=True, cache=c)[0]

    check_backward(forward, gl.gat_layer_backward, gat_params(11, 4, 2, 3), features(12, 6, 4))


def test_backward_refuses_a_wrong_cache_or_gradient():
    params, h, g = (
        gl.init_gnn_layer(np.random.default_rng(0), 4, 3),
        features(0, 6, 4),
        BACKWARD_GRAPHS["path"],
    )
    cache = {}
    gl.gnn_layer(params, h, g, cache=cache)
    with pytest.raises(
        ValueError,
        match=r"cache must be the dict filled in by gnn_layer\(\.\.\., cache=cache\); it needs "
        r"\['activation', 'graph', 'h', 'params', 'pre'\] but has \[\]",
    ):
        gl.gnn_layer_backward({}, np.zeros((6, 3)))
    with pytest.raises(ValueError, match="cache must be the dict filled in by gat_layer"):
        gl.gat_layer_backward(cache, np.zeros((6, 3)))  # a gnn_layer's cache
    with pytest.raises(ValueError, match=r"but has list of length 0"):
        gl.gnn_layer_backward([], np.zeros((6, 3)))
    with pytest.raises(
        ValueError, match=r"d_out has shape \(6, 4\) but the output of gnn_layer had shape \(6, 3\)"
    ):
        gl.gnn_layer_backward(cache, np.zeros((6, 4)))
    gat_cache = {}
    gl.gat_layer(gat_params(0, 4, 3, 2), h, g, cache=gat_cache)
    with pytest.raises(ValueError, match=r"the output of gat_layer had shape \(6, 6\)"):
        gl.gat_layer_backward(gat_cache, np.zeros((6, 3)))
    with pytest.raises(ValueError, match="d_out contains NaN/inf"):
        gl.gat_layer_backward(gat_cache, np.full((6, 6), np.nan))
    cache = {}
    gl.gnn_layer(params, h, g, np.tanh, cache=cache)
    with pytest.raises(ValueError, match="no backward for activation <ufunc 'tanh'>"):
        gl.gnn_layer_backward(cache, np.zeros((6, 3)))


# --- symmetries, dtypes, zero nodes -----------------------------------------------------------


LAYERS = {
    "gnn": lambda p, h, g: gl.gnn_layer(p["gnn"], h, g),
    "gat": lambda p, h, g: gl.gat_layer(p["gat"], h, g),
    "gat_mean": lambda p, h, g: gl.gat_layer(p["gat_mean"], h, g),
}


def all_params(seed, d=4, dtype=np.float64):
    return {
        "gnn": gnn_params(seed, d, 3, dtype),
        "gat": gat_params(seed, d, 3, 2, dtype=dtype),
        "gat_mean": gat_params(seed, d, 3, 2, concat=False, dtype=dtype),
    }


test_permutation_equivariance, test_float32_in_float32_out = layer_tests(LAYERS, all_params)


@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_attention_weights(params_dtype):
    g = gl.add_self_loops(gl.path_graph(5))
    h32 = features(0, 5, 4, np.float32)
    _, alpha = gl.gat_layer(
        gat_params(0, 4, 3, 2, dtype=params_dtype), h32, g, return_attention=True
    )
    assert alpha.dtype == np.float32


def test_integer_features_compute_in_float64():
    h = np.arange(12).reshape(3, 4)
    assert gl.gnn_layer(gnn_params(2, 4, 3), h, gl.path_graph(3)).dtype == np.float64
    assert gl.gat_layer(gat_params(2, 4, 3, 2), h, gl.path_graph(3)).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("layer", "d_out"), [("gnn", 3), ("gat", 6), ("gat_mean", 3)])
def test_layers_on_zero_nodes_and_without_edges(layer, d_out, dtype):
    params = all_params(1, d=6)
    with strict_numerics():
        out = LAYERS[layer](params, np.zeros((0, 6), dtype=dtype), gl.Graph([], [], 0))
        assert out.shape == (0, d_out) and out.dtype == dtype
        out = LAYERS[layer](params, features(1, 4, 6), gl.Graph([], [], 4))
        assert out.shape == (4, d_out) and np.isfinite(out).all()


# --- bad inputs ------------------------------------------------------------------------------


H4 = np.random.default_rng(0).normal(size=(4, 6))  # 4 nodes, d = 6
G4 = gl.path_graph(4)
GNN = gl.init_gnn_layer(np.random.default_rng(1), 6, 3)
GAT = gl.init_gat_layer(np.random.default_rng(2), 6, 3, num_heads=2)


# (id, callable, exception, message fragment)
BAD = [
    # --- parameters of the wrong shape: the message names the array
    (
        "gnn_U_shape",
        lambda: gl.gnn_layer(GNN | {"U": np.zeros((5, 3))}, H4, G4),
        ValueError,
        r"U has shape \(5, 3\) but h has d_in=6",
    ),
    (
        "gnn_V_shape",
        lambda: gl.gnn_layer(GNN | {"V": np.zeros((6, 4))}, H4, G4),
        ValueError,
        r"V has shape \(6, 4\) but h has d_in=6 .*, so V must be \(6, 3\)",
    ),
    ("gnn_b_shape", lambda: gl.gnn_layer(GNN | {"b": np.zeros(4)}, H4, G4), ValueError, r"b has"),
    (
        "gnn_U_ndim",
        lambda: gl.gnn_layer(GNN | {"U": np.zeros(6)}, H4, G4),
        ValueError,
        r"U must be 2-D.*got shape \(6,\)",
    ),
    (
        "gnn_U_nan",
        lambda: gl.gnn_layer(GNN | {"U": with_nan(GNN["U"])}, H4, G4),
        ValueError,
        r"U contains NaN/inf \(shape \(6, 3\)\)",
    ),
    (
        "gnn_missing_key",
        lambda: gl.gnn_layer({"U": GNN["U"], "b": GNN["b"]}, H4, G4),
        ValueError,
        r"params is missing key 'V' \(has \['U', 'b'\]\)",
    ),
    (
        "gnn_params_of_gat",
        lambda: gl.gnn_layer(GAT, H4, G4),
        ValueError,
        r"missing key 'U'.*another layer",
    ),
    (
        "gnn_params_not_dict",
        lambda: gl.gnn_layer([GNN["U"]], H4, G4),
        TypeError,
        r"params must be a dict of arrays \(made by init_gnn_layer\), got list of length 1",
    ),
    (
        "gnn_arguments_swapped",
        lambda: gl.gnn_layer(H4, GNN, G4),
        TypeError,
        r"params must be a dict of arrays \(made by init_gnn_layer\), got ndarray of shape "
        r"\(4, 6\).*The order is gnn_layer\(params, h, graph\)",
    ),
    (
        "gat_arguments_swapped",
        lambda: gl.gat_layer(H4, GAT, G4),
        TypeError,
        r"The order is gat_layer\(params, h, graph\)",
    ),
    (
        "gat_W_shape",
        lambda: gl.gat_layer(GAT | {"W": np.zeros((6, 3))}, H4, G4),
        ValueError,
        r"W has shape \(6, 3\) but .*, so W must be \(6, 6\)",
    ),
    (
        "gat_a_dst_shape",
        lambda: gl.gat_layer(GAT | {"a_dst": np.zeros((1, 3))}, H4, G4),
        ValueError,
        r"a_dst has shape \(1, 3\) but h has d_in=6 and a_src is \(H, d_out\)=\(2, 3\)",
    ),
    (
        "gat_concat_conflict",
        lambda: gl.gat_layer(GAT, H4, G4, concat=False),
        ValueError,
        r"b has shape \(6,\) but .*concat=False, so b must be \(3,\)",
    ),
    (
        "gat_mean_heads_concat_conflict",
        lambda: gl.gat_layer(GAT | {"b": np.zeros(3)}, H4, G4, concat=True),
        ValueError,
        r"b has shape \(3,\) but .*concat=True, so b must be \(6,\)",
    ),
    (
        "gat_b_neither",
        lambda: gl.gat_layer(GAT | {"b": np.zeros(4)}, H4, G4),
        ValueError,
        r"b has shape \(4,\) but .*concat=True, so b must be \(6,\)",
    ),
    (
        "gat_missing_b",
        lambda: gl.gat_layer({k: v for k, v in GAT.items() if k != "b"}, H4, G4),
        ValueError,
        r"params is missing key 'b'",
    ),
    # --- features
    ("gnn_h_1d", lambda: gl.gnn_layer(GNN, H4[0], G4), ValueError, r"h must be \(num_nodes, d\)"),
    (
        "gat_h_3d",
        lambda: gl.gat_layer(GAT, H4[None], G4),
        ValueError,
        r"h must be \(num_nodes, d\), got shape \(1, 4, 6\)",
    ),
    ("gnn_h_nan", lambda: gl.gnn_layer(GNN, with_nan(H4), G4), ValueError, "h contains NaN/inf"),
    (
        "gat_h_inf",
        lambda: gl.gat_layer(GAT, with_nan(H4, np.inf), G4),
        ValueError,
        r"h contains NaN/inf \(shape \(4, 6\)\)",
    ),
    (
        "gnn_h_complex",
        lambda: gl.gnn_layer(GNN, H4 + 1j, G4),
        TypeError,
        r"h must be a real-valued array, got dtype complex128",
    ),
    (
        "gat_h_text",
        lambda: gl.gat_layer(GAT, np.array([["a"] * 6] * 4), G4),
        TypeError,
        r"h must be a real-valued array, got dtype <U1",
    ),
    # --- graph vs features
    (
        "gnn_graph_size",
        lambda: gl.gnn_layer(GNN, H4, gl.path_graph(5)),
        ValueError,
        r"graph has num_nodes=5 but h has 4 rows",
    ),
    (
        "gat_graph_size",
        lambda: gl.gat_layer(GAT, H4, gl.path_graph(3)),
        ValueError,
        r"graph has num_nodes=3 but h has 4 rows",
    ),
    (
        "gnn_graph_not_graph",
        lambda: gl.gnn_layer(GNN, H4, G4.adjacency()),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "gat_graph_none",
        lambda: gl.gat_layer(GAT, H4, None),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got NoneType",
    ),
    (
        "activation_not_callable",
        lambda: gl.gnn_layer(GNN, H4, G4, activation="relu"),
        TypeError,
        r"activation must be a function or None, got 'relu'",
    ),
    (
        "gat_activation_not_callable",
        lambda: gl.gat_layer(GAT, H4, G4, activation=1),
        TypeError,
        r"activation must be a function or None, got 1",
    ),
    # --- init
    (
        "init_gat_zero_heads",
        lambda: gl.init_gat_layer(np.random.default_rng(0), 6, 3, num_heads=0),
        ValueError,
        r"num_heads must be >= 1, got 0",
    ),
    (
        "init_gat_float_heads",
        lambda: gl.init_gat_layer(np.random.default_rng(0), 6, 3, num_heads=2.0),
        TypeError,
        r"num_heads must be an int, got float 2.0",
    ),
    (
        "init_gnn_negative_size",
        lambda: gl.init_gnn_layer(np.random.default_rng(0), -1, 3),
        ValueError,
        r"d_in must be >= 0, got -1",
    ),
    (
        "init_gat_bool_size",
        lambda: gl.init_gat_layer(np.random.default_rng(0), 6, True),
        TypeError,
        r"d_out must be an int, got bool",
    ),
    (
        "init_gnn_int_seed",
        lambda: gl.init_gnn_layer(0, 6, 3),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got int",
    ),
    (
        "init_gat_module_random",
        lambda: gl.init_gat_layer(np.random, 6, 3),
        TypeError,
        r"np.random.Generator.*got module",
    ),
    # --- the LeakyReLU slope: a NaN slope would make every score NaN
    (
        "gat_slope_not_a_number",
        lambda: gl.gat_layer(GAT, H4, G4, negative_slope="0.2"),
        TypeError,
        r"^negative_slope must be a number, got '0\.2'$",
    ),
    (
        "gat_slope_nan",
        lambda: gl.gat_layer(GAT, H4, G4, negative_slope=float("nan")),
        ValueError,
        r"^negative_slope must be finite, got nan$",
    ),
    (  # notebook 03 invites changing the slope: a string or a list is refused by name
        "leaky_relu_slope_string",
        lambda: gl.leaky_relu(H4, "0.2"),
        TypeError,
        r"^negative_slope must be a number, got '0\.2'$",
    ),
    (
        "leaky_relu_slope_list",
        lambda: gl.leaky_relu(H4, [0.1, 0.2, 0.3]),
        TypeError,
        r"^negative_slope must be a number, got \[0\.1, 0\.2, 0\.3\]$",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
