"""transformer_layers: multi-head attention and the Transformer layer (LayerNorm and the
feed-forward net: test_position_wise.py).

- the forwards against plain-loop references (``conftest.ref_mha``, ``ref_transformer``),
  sparse = dense on the complete graph, symmetries;
- every backward against central finite differences: dense, padded and masked, and on
  graphs, for ``norm`` = ``"post"``, ``"pre"`` and ``None``;
- the settings ``num_heads`` (``init_multi_head_attention``) and ``norm``
  (``init_transformer_layer``): a conflicting value is a ``ValueError``, an agreeing one
  changes nothing, hand-made params without them still work;
- bad inputs: a ``ValueError`` / ``TypeError`` naming the argument and its shape.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    NORMS,
    assert_glorot,
    call_without_mutation,
    check_backward,
    features,
    flat,
    graph_with_isolated_node,
    graphs,
    layer_tests,
    randomize_params,
    ref_ffn,
    ref_mha,
    ref_transformer,
    refusal_test,
    strict_numerics,
    with_nan,
    without,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl
from gnnformer_lite._params import is_setting

seeds = st.integers(0, 2**32 - 1)
norms = st.sampled_from(NORMS)


# --- helpers -----------------------------------------------------------------------------


def mha_params(seed, d_model, H, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_multi_head_attention(rng, d_model, H, dtype=dtype), rng)


def transformer_params(seed, d_model, H, d_ff, norm="post", dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = gl.init_transformer_layer(rng, d_model, H, d_ff, norm=norm, dtype=dtype)
    return randomize_params(params, rng)


def ref_layer(params, h, num_heads, mask=None):
    """The Transformer layer of ``params["norm"]`` from the loop references."""
    if params["norm"] is None:
        x = h + ref_mha(params["attn"], h, num_heads, mask)[0]
        return x + ref_ffn(params["ffn"], x)
    return ref_transformer(params, h, num_heads, mask, norm_first=params["norm"] == "pre")


GRAPHS = {
    "dense": None,
    "random+isolated": graph_with_isolated_node(1),
    "no edges": gl.Graph([], [], 6),
    "complete": gl.complete_graph(6),
    "causal": gl.causal_graph(6),
}


@pytest.fixture(params=sorted(GRAPHS))
def graph(request):
    return GRAPHS[request.param]


# --- init_* --------------------------------------------------------------------------------


def test_init_multi_head_attention_records_num_heads():
    p = gl.init_multi_head_attention(np.random.default_rng(0), 32, 4)
    assert set(p) == {f"{w}_{x}" for w in "Wb" for x in "QKVO"} | {"num_heads"}
    assert p["num_heads"] == 4 and type(p["num_heads"]) is int
    for x in "QKVO":
        assert p[f"W_{x}"].shape == (32, 32)
        assert_glorot(p[f"W_{x}"], 32, 32)
        np.testing.assert_array_equal(p[f"b_{x}"], np.zeros(32))
    assert gl.init_multi_head_attention(np.random.default_rng(0), 6, np.int64(3))["num_heads"] == 3


@pytest.mark.parametrize("norm", NORMS)
def test_init_transformer_layer_records_norm(norm):
    p = gl.init_transformer_layer(np.random.default_rng(0), 32, 4, 64, norm=norm, dtype=np.float32)
    parts = {"attn", "ffn"} if norm is None else {"attn", "ln1", "ffn", "ln2"}
    assert set(p) == parts | {"norm"} and p["norm"] == norm
    assert p["attn"]["num_heads"] == 4
    assert p["ffn"]["W1"].shape == (32, 64) and p["ffn"]["W2"].shape == (64, 32)
    assert_glorot(p["ffn"]["W1"], 32, 64)
    assert_glorot(p["ffn"]["W2"], 64, 32)
    assert p["ffn"]["b1"].shape == (64,) and p["ffn"]["b2"].shape == (32,)
    for ln in parts - {"attn", "ffn"}:
        np.testing.assert_array_equal(p[ln]["gamma"], np.ones(32))
        np.testing.assert_array_equal(p[ln]["beta"], np.zeros(32))
    arrays = [leaf for part in parts for leaf in p[part].values() if not is_setting(leaf)]
    assert all(x.dtype == np.float32 for x in arrays)
    assert gl.init_transformer_layer(np.random.default_rng(0), 4, 2, 8)["norm"] == "post"


def test_init_is_reproducible_from_the_seed_and_the_same_for_every_norm():
    a, b, c = (gl.init_transformer_layer(np.random.default_rng(s), 8, 2, 16) for s in (7, 7, 8))
    np.testing.assert_array_equal(a["attn"]["W_Q"], b["attn"]["W_Q"])
    assert not np.array_equal(a["attn"]["W_Q"], c["attn"]["W_Q"])
    for norm in ("pre", None):  # the LayerNorms draw nothing: the same weights
        other = gl.init_transformer_layer(np.random.default_rng(7), 8, 2, 16, norm=norm)
        np.testing.assert_array_equal(other["ffn"]["W2"], a["ffn"]["W2"])


# --- multi-head attention ----------------------------------------------------------------


@given(n=st.integers(0, 6), H=st.integers(1, 3), d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_matches_loop(n, H, d_head, seed):
    params = mha_params(seed, H * d_head, H)
    h = features(seed, n, H * d_head)
    out, w = call_without_mutation(gl.multi_head_attention, params, h, return_attention=True)
    ref_out, ref_w = ref_mha(params, h, H)
    assert out.shape == (n, H * d_head) and w.shape == (H, n, n)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-12)
    # made by hand without biases (they are optional) and without num_heads (then given)
    no_bias = {k: v for k, v in params.items() if k.startswith("W")}
    np.testing.assert_allclose(
        gl.multi_head_attention(no_bias, h, num_heads=H), ref_mha(no_bias, h, H)[0], atol=1e-12
    )


@given(g=graphs(), H=st.integers(1, 3), d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_on_a_graph_matches_masked_loop(g, H, d_head, seed):
    params = mha_params(seed, H * d_head, H)
    h = features(seed, g.num_nodes, H * d_head)
    with strict_numerics():
        out, alpha = gl.multi_head_attention(params, h, g, return_attention=True)
    ref_out, ref_w = ref_mha(params, h, H, mask=g.adjacency() > 0)
    assert alpha.shape == (g.num_edges, H)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), ref_w, atol=1e-12)
    isolated = g.in_degree == 0  # nothing to attend: only the output bias is left
    np.testing.assert_allclose(out[isolated], np.broadcast_to(params["b_O"], out[isolated].shape))


@given(n=st.integers(0, 6), H=st.integers(1, 3), d_head=st.integers(1, 3), seed=seeds)
def test_multi_head_attention_complete_graph_equals_dense(n, H, d_head, seed):
    params = mha_params(seed, H * d_head, H)
    h = features(seed, n, H * d_head)
    g = gl.complete_graph(n)
    dense, w = gl.multi_head_attention(params, h, return_attention=True)
    sparse, alpha = gl.multi_head_attention(params, h, g, return_attention=True)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), w, rtol=0, atol=1e-12)


def test_multi_head_attention_on_a_padded_batch_equals_each_sentence_alone():
    params = mha_params(1, 4, 2)
    h = np.random.default_rng(1).normal(size=(3, 5, 4))
    lengths = np.array([5, 2, 4])
    keep = np.arange(5)[None, :] < lengths[:, None]
    out, w = gl.multi_head_attention(params, h, mask=keep[:, None, :], return_attention=True)
    assert out.shape == (3, 5, 4) and w.shape == (3, 2, 5, 5)
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(out[b, :n], ref_mha(params, h[b, :n], 2)[0], atol=1e-12)
        assert (w[b, :, :, n:] == 0).all()  # nobody attends to padding


def test_multi_head_attention_without_edges_is_its_output_bias(strict):
    params = mha_params(2, 6, 2)
    out, alpha = gl.multi_head_attention(
        params, features(2, 4, 6), gl.Graph([], [], 4), return_attention=True
    )
    np.testing.assert_array_equal(out, np.tile(params["b_O"], (4, 1)))
    assert alpha.shape == (0, 2)


def test_dense_attention_weights_permute_both_axes():
    params = mha_params(0, 4, 2)
    h = features(0, 5, 4)
    perm = np.array([3, 0, 4, 1, 2])
    _, w = gl.multi_head_attention(params, h, return_attention=True)
    _, w_perm = gl.multi_head_attention(params, h[perm], return_attention=True)
    np.testing.assert_allclose(w_perm, w[:, perm][:, :, perm], atol=1e-14)


# --- the setting num_heads ----------------------------------------------------------------


@pytest.mark.parametrize("graph", [None, gl.path_graph(5)], ids=["dense", "graph"])
def test_multi_head_attention_reads_num_heads_from_params(graph):
    params, h = mha_params(3, 6, 3), features(3, 5, 6)
    out = gl.multi_head_attention(params, h, graph)
    np.testing.assert_array_equal(gl.multi_head_attention(params, h, graph, num_heads=3), out)
    np.testing.assert_array_equal(
        gl.multi_head_attention(params, h, graph, num_heads=np.int64(3)), out
    )
    for wrong in (1, 2, 6):  # each divides d_model: without the setting, another layer
        with pytest.raises(
            ValueError,
            match=rf"num_heads={wrong}, but these params were built with num_heads=3: drop the "
            rf"argument \(the model knows its settings\), or build one with num_heads={wrong}",
        ):
            gl.multi_head_attention(params, h, graph, num_heads=wrong)
    hand_made = without(params, "num_heads")
    np.testing.assert_array_equal(gl.multi_head_attention(hand_made, h, graph, num_heads=3), out)
    assert not np.allclose(gl.multi_head_attention(hand_made, h, graph, num_heads=1), out)
    with pytest.raises(
        ValueError,
        match=r"num_heads is needed: these params do not record it "
        r"\(init_multi_head_attention does\); pass num_heads=H",
    ):
        gl.multi_head_attention(hand_made, h, graph)


def test_multi_head_attention_backward_of_hand_made_params():
    """Without biases and without num_heads: the gradients have the params' keys."""
    params = without(mha_params(13, 4, 2), "num_heads", "b_Q", "b_K", "b_V", "b_O")
    check_backward(
        lambda p, h, c: gl.multi_head_attention(p, h, num_heads=2, cache=c),
        gl.multi_head_attention_backward,
        params,
        features(14, 6, 4),
    )


# --- the Transformer layer ------------------------------------------------------------------


@given(
    n=st.integers(0, 5),
    H=st.integers(1, 3),
    d_head=st.integers(1, 3),
    norm=norms,
    causal=st.booleans(),
    seed=seeds,
)
@settings(max_examples=30)
def test_transformer_layer_matches_loop(n, H, d_head, norm, causal, seed):
    d_model = H * d_head
    params = transformer_params(seed, d_model, H, 2 * d_model + 1, norm)
    h = features(seed, n, d_model)
    graph = gl.causal_graph(n) if causal else None
    mask = gl.causal_graph(n).adjacency() > 0 if causal else None
    out, w = call_without_mutation(gl.transformer_layer, params, h, graph, return_attention=True)
    assert out.shape == (n, d_model)
    assert w.shape == ((graph.num_edges, H) if causal else (H, n, n))
    np.testing.assert_allclose(out, ref_layer(params, h, H, mask), rtol=1e-10, atol=1e-10)


@given(n=st.integers(0, 6), H=st.integers(1, 3), norm=norms, seed=seeds)
def test_transformer_layer_complete_graph_equals_dense(n, H, norm, seed):
    params = transformer_params(seed, 2 * H, H, 5, norm)
    h = features(seed, n, 2 * H)
    dense = gl.transformer_layer(params, h)
    sparse = gl.transformer_layer(params, h, gl.complete_graph(n))
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-12)


def test_transformer_layer_default_params_post_ln_output_is_normalised():
    params = gl.init_transformer_layer(np.random.default_rng(0), 8, 2, 16)
    out = gl.transformer_layer(params, features(0, 5, 8))
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)  # post-LN, gamma=1, beta=0
    np.testing.assert_allclose(out.var(-1), 1, atol=1e-3)


def test_transformer_layer_on_a_padded_batch_equals_each_sentence_alone():
    params = transformer_params(4, 4, 2, 8, "pre")
    h = np.random.default_rng(4).normal(size=(3, 5, 4))
    lengths = np.array([5, 3, 1])
    keep = (np.arange(5)[None, :] < lengths[:, None])[:, None, :]
    out, w = gl.transformer_layer(params, h, mask=keep, return_attention=True)
    assert out.shape == (3, 5, 4) and w.shape == (3, 2, 5, 5)
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(out[b, :n], gl.transformer_layer(params, h[b, :n]), atol=1e-12)


# --- the settings norm and num_heads ------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
def test_transformer_layer_reads_its_settings(norm):
    params, h = transformer_params(5, 4, 2, 8, norm), features(5, 5, 4)
    out = gl.transformer_layer(params, h)
    np.testing.assert_allclose(out, ref_layer(params, h, 2), rtol=1e-10, atol=1e-10)
    same = gl.transformer_layer(params, h, norm=norm, num_heads=2)  # agreeing: accepted
    np.testing.assert_array_equal(same, out)
    for other in NORMS:
        if other != norm:
            with pytest.raises(
                ValueError,
                match=rf"norm={other!r}, but these params were built with norm={norm!r}: drop "
                rf"the argument",
            ):
                gl.transformer_layer(params, h, norm=other)
    for graph in (None, gl.path_graph(5)):
        with pytest.raises(
            ValueError, match=r"num_heads=4, but these params were built with num_heads=2"
        ):
            gl.transformer_layer(params, h, graph, num_heads=4)
    with pytest.raises(ValueError, match=r"norm='Pre', but these params were built"):
        gl.transformer_layer(params, h, norm="Pre")


def test_transformer_layer_placements_on_the_same_weights():
    """``{**params, "norm": ...}``: the same weights with the LayerNorm elsewhere."""
    params, h = transformer_params(6, 4, 2, 8, "post"), features(6, 5, 4)
    for norm in ("pre", None):
        out = gl.transformer_layer({**params, "norm": norm}, h)
        np.testing.assert_allclose(out, ref_layer({**params, "norm": norm}, h, 2), atol=1e-10)
        assert not np.allclose(out, gl.transformer_layer(params, h))


def test_hand_made_transformer_params_default_to_post_ln():
    params, h = transformer_params(7, 4, 2, 8, "post"), features(7, 5, 4)
    out = gl.transformer_layer(params, h)
    hand_made = without(params, "norm") | {"attn": without(params["attn"], "num_heads")}
    np.testing.assert_array_equal(gl.transformer_layer(hand_made, h, num_heads=2), out)
    np.testing.assert_array_equal(gl.transformer_layer(hand_made, h, norm="post", num_heads=2), out)
    pre = gl.transformer_layer(hand_made, h, norm="pre", num_heads=2)
    np.testing.assert_array_equal(pre, gl.transformer_layer({**params, "norm": "pre"}, h))
    no_ln = without(hand_made, "ln1", "ln2")
    np.testing.assert_array_equal(
        gl.transformer_layer(no_ln, h, norm=None, num_heads=2),
        gl.transformer_layer({**params, "norm": None}, h),
    )
    with pytest.raises(ValueError, match="num_heads is needed"):
        gl.transformer_layer(hand_made, h)
    with pytest.raises(
        ValueError,
        match=r"params is missing key 'ln1' \(has \['attn', 'ffn'\]\) for norm='post'; use "
        r"init_transformer_layer\(\.\.\., norm='post'\)",
    ):
        gl.transformer_layer(no_ln, h, num_heads=2)
    with pytest.raises(ValueError, match=r"missing key 'ln2'.*norm='pre'"):
        gl.transformer_layer(without(params, "ln2", "norm"), h, norm="pre")


# --- backward passes ------------------------------------------------------------------------


def test_multi_head_attention_backward(graph):
    check_backward(
        lambda p, h, c: gl.multi_head_attention(p, h, graph, cache=c),
        gl.multi_head_attention_backward,
        mha_params(11, 4, 2),
        features(12, 6, 4),
    )


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_backward_padded_batch(masked):
    rng = np.random.default_rng(15)
    lengths = np.array([5, 2, 4]) if masked else np.array([5, 5, 5])
    keep = np.arange(5)[None, :] < lengths[:, None]
    check_backward(
        lambda p, h, c: gl.multi_head_attention(p, h, mask=keep[:, None, :], cache=c),
        gl.multi_head_attention_backward,
        mha_params(15, 4, 2),
        rng.normal(size=(3, 5, 4)),
        rows=keep,
    )


@pytest.mark.parametrize("norm", NORMS, ids=["post-LN", "pre-LN", "no-LN"])
def test_transformer_layer_backward(graph, norm):
    check_backward(
        lambda p, h, c: gl.transformer_layer(p, h, graph, cache=c),
        gl.transformer_layer_backward,
        transformer_params(19, 4, 2, 8, norm),
        features(20, 6, 4),
    )


@pytest.mark.parametrize("norm", NORMS, ids=["post-LN", "pre-LN", "no-LN"])
def test_transformer_layer_backward_padded_batch(norm):
    """A padded dense batch (B, L, d) with a key mask: what training on sentences uses."""
    rng = np.random.default_rng(21)
    lengths = np.array([5, 3, 4])
    keep = np.arange(5)[None, :] < lengths[:, None]
    check_backward(
        lambda p, h, c: gl.transformer_layer(p, h, mask=keep[:, None, :], cache=c),
        gl.transformer_layer_backward,
        transformer_params(21, 4, 2, 8, norm),
        rng.normal(size=(3, 5, 4)),
        rows=keep,
    )


def test_transformer_layer_backward_of_other_placements_and_hand_made_params():
    params = transformer_params(22, 4, 2, 8, "post")
    h, g = features(22, 6, 4), GRAPHS["random+isolated"]
    check_backward(  # the same weights, pre-LN
        lambda p, x, c: gl.transformer_layer(p, x, g, cache=c),
        gl.transformer_layer_backward,
        {**params, "norm": "pre"},
        h,
    )
    hand_made = without(params, "norm") | {"attn": without(params["attn"], "num_heads")}
    check_backward(
        lambda p, x, c: gl.transformer_layer(p, x, norm="pre", num_heads=2, cache=c),
        gl.transformer_layer_backward,
        hand_made,
        h,
    )


def test_transformer_layer_backward_gives_layer_norms_it_did_not_run_a_zero_gradient():
    """``{**params, "norm": None}`` keeps ``ln1``, ``ln2`` unused: their gradients are 0, the
    rest that of the layer built without them (so Adam can update the params as they are)."""
    params, h = transformer_params(24, 4, 2, 8, "post"), features(24, 5, 4)
    cache, bare_cache = {}, {}
    out = gl.transformer_layer({**params, "norm": None}, h, cache=cache)
    d_params, d_h = gl.transformer_layer_backward(cache, np.ones_like(out))
    assert list(d_params) == ["attn", "ln1", "ffn", "ln2"]  # the order of params
    for part in ("ln1", "ln2"):
        assert set(d_params[part]) == {"gamma", "beta"}
        for key, grad in d_params[part].items():
            assert grad.dtype == params[part][key].dtype
            np.testing.assert_array_equal(grad, np.zeros(4))
    gl.transformer_layer(without(params, "ln1", "ln2") | {"norm": None}, h, cache=bare_cache)
    d_bare, d_h_bare = gl.transformer_layer_backward(bare_cache, np.ones_like(out))
    np.testing.assert_array_equal(d_h, d_h_bare)
    for (path, a), (_, b) in zip(flat(without(d_params, "ln1", "ln2")), flat(d_bare), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=path)
    check_backward(  # and 0 is what finite differences say
        lambda p, x, c: gl.transformer_layer(p, x, cache=c),
        gl.transformer_layer_backward,
        {**params, "norm": None},
        h,
    )


def test_backward_refuses_a_wrong_cache_or_gradient():
    params, h = transformer_params(23, 4, 2, 8), features(23, 6, 4)
    cache = {}
    gl.transformer_layer(params, h, cache=cache)
    with pytest.raises(
        ValueError, match=r"cache must be the dict filled in by transformer_layer\(\.\.\."
    ):
        gl.transformer_layer_backward(cache["attn"], np.zeros((6, 4)))
    with pytest.raises(ValueError, match=r"the output of transformer_layer had shape \(6, 4\)"):
        gl.transformer_layer_backward(cache, np.zeros((6, 3)))
    with pytest.raises(ValueError, match=r"cache must be the dict filled in by multi_head"):
        gl.multi_head_attention_backward(cache, np.zeros((6, 4)))
    with pytest.raises(ValueError, match=r"the output of multi_head_attention had shape"):
        gl.multi_head_attention_backward(cache["attn"], np.zeros((5, 4)))


# --- symmetries, dtypes, zero nodes -----------------------------------------------------------


LAYERS = {
    "mha_graph": lambda p, h, g: gl.multi_head_attention(p["attn"], h, g),
    "mha_dense": lambda p, h, g: gl.multi_head_attention(p["attn"], h),
    "transformer_graph": lambda p, h, g: gl.transformer_layer(p["post"], h, g),
    "transformer_dense": lambda p, h, g: gl.transformer_layer(p["post"], h),
    "transformer_pre_ln": lambda p, h, g: gl.transformer_layer(p["pre"], h, g),
    "transformer_no_ln": lambda p, h, g: gl.transformer_layer(p["none"], h, g),
}


def all_params(seed, d=4, dtype=np.float64):
    return {
        "attn": mha_params(seed, d, 2, dtype),
        "post": transformer_params(seed, d, 2, 6, "post", dtype),
        "pre": transformer_params(seed, d, 2, 6, "pre", dtype),
        "none": transformer_params(seed, d, 2, 6, None, dtype),
    }


test_permutation_equivariance, test_float32_in_float32_out = layer_tests(LAYERS, all_params)


@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_attention_weights(params_dtype):
    params = all_params(1, dtype=params_dtype)
    h = features(1, 4, 4, np.float32)
    for graph in (None, gl.causal_graph(4)):
        _, w = gl.multi_head_attention(params["attn"], h, graph, return_attention=True)
        assert w.dtype == np.float32
        _, w = gl.transformer_layer(params["post"], h, graph, return_attention=True)
        assert w.dtype == np.float32


def test_integer_features_compute_in_float64():
    params = all_params(2)
    h = np.arange(12).reshape(3, 4)
    assert gl.transformer_layer(params["post"], h).dtype == np.float64
    assert gl.multi_head_attention(params["attn"], h, gl.path_graph(3)).dtype == np.float64


@pytest.mark.parametrize("norm", NORMS)
def test_transformer_isolated_nodes_are_finite(norm, strict):
    g = gl.Graph([0, 1], [1, 1], 4)  # nodes 0, 2, 3 attend to nothing
    params = transformer_params(3, 4, 2, 6, norm)
    out = gl.transformer_layer(params, features(3, 4, 4) * 100, g)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_on_zero_nodes_and_without_edges(layer, dtype):
    params = all_params(1, d=4)
    with strict_numerics():
        out = LAYERS[layer](params, np.zeros((0, 4), dtype=dtype), gl.Graph([], [], 0))
        assert out.shape == (0, 4) and out.dtype == dtype
        out = LAYERS[layer](params, features(1, 3, 4), gl.Graph([], [], 3))
        assert out.shape == (3, 4) and np.isfinite(out).all()


# --- bad inputs ------------------------------------------------------------------------------


H4 = np.random.default_rng(0).normal(size=(4, 6))  # 4 nodes, d = 6
G4 = gl.path_graph(4)
MHA = gl.init_multi_head_attention(np.random.default_rng(3), 6, 2)
TF = gl.init_transformer_layer(np.random.default_rng(4), 6, 2, 12)
TF_PRE = gl.init_transformer_layer(np.random.default_rng(4), 6, 2, 12, norm="pre")


def replace(params, key, value):
    """A copy of ``params`` with ``params[part][key] = value`` for ``key = "part/key"``."""
    part, key = key.split("/")
    return params | {part: params[part] | {key: value}}


# (id, callable, exception, message fragment)
BAD = [
    # --- arguments swapped, parameters of the wrong shape
    (
        "mha_arguments_swapped",
        lambda: gl.multi_head_attention(H4, MHA),
        TypeError,
        r"params must be a dict of arrays \(made by init_multi_head_attention\), got ndarray "
        r"of shape \(4, 6\).*The order is multi_head_attention\(params, h, graph\)",
    ),
    (
        "tf_arguments_swapped",
        lambda: gl.transformer_layer(H4, TF),
        TypeError,
        r"The order is transformer_layer\(params, h, graph\)",
    ),
    (
        "tf_params_not_dict",
        lambda: gl.transformer_layer(None, H4),
        TypeError,
        r"params must be a dict of arrays \(made by init_transformer_layer\), got NoneType",
    ),
    (
        "mha_W_Q_shape",
        lambda: gl.multi_head_attention(MHA | {"W_Q": np.zeros((8, 8))}, H4),
        ValueError,
        r"W_Q has shape \(8, 8\) but h has d_model=6, so W_Q must be \(6, 6\)",
    ),
    (
        "mha_W_O_shape",
        lambda: gl.multi_head_attention(MHA | {"W_O": np.zeros((6, 5))}, H4),
        ValueError,
        r"W_O has shape \(6, 5\)",
    ),
    (
        "mha_b_K_shape",
        lambda: gl.multi_head_attention(MHA | {"b_K": np.zeros(5)}, H4),
        ValueError,
        r"b_K has shape \(5,\) but h has d_model=6, so b_K must be \(6,\)",
    ),
    (
        "mha_missing_W_V",
        lambda: gl.multi_head_attention(without(MHA, "W_V"), H4),
        ValueError,
        r"params is missing key 'W_V'",
    ),
    (
        "tf_W1_shape",
        lambda: gl.transformer_layer(replace(TF, "ffn/W1", np.zeros((5, 12))), H4),
        ValueError,
        r"W1 has shape \(5, 12\) but x has d_model=6",
    ),
    (
        "tf_W2_shape",
        lambda: gl.transformer_layer(replace(TF, "ffn/W2", np.zeros((12, 5))), H4),
        ValueError,
        r"W2 has shape \(12, 5\)",
    ),
    (
        "tf_gamma_shape",
        lambda: gl.transformer_layer(replace(TF, "ln1/gamma", np.ones(5)), H4),
        ValueError,
        r"gamma has shape \(5,\) but x has d=6; expected \(6,\)",
    ),
    (
        "tf_beta_shape_pre_ln",
        lambda: gl.transformer_layer(replace(TF_PRE, "ln2/beta", np.ones(7)), H4),
        ValueError,
        r"beta has shape \(7,\)",
    ),
    (
        "tf_missing_ffn",
        lambda: gl.transformer_layer(without(TF, "ffn"), H4),
        ValueError,
        r"params is missing key 'ffn'",
    ),
    (
        "tf_norm_not_a_norm",
        lambda: gl.transformer_layer(TF | {"norm": "mid"}, H4),
        ValueError,
        r"norm must be \"post\", \"pre\" or None, got 'mid'",
    ),
    (
        "tf_hand_made_norm_not_a_norm",
        lambda: gl.transformer_layer(without(TF, "norm"), H4, norm=True),
        ValueError,
        r"norm must be \"post\", \"pre\" or None, got True",
    ),
    # --- settings that conflict with the params
    (
        "mha_heads_conflict",
        lambda: gl.multi_head_attention(MHA, H4, num_heads=3),
        ValueError,
        r"num_heads=3, but these params were built with num_heads=2",
    ),
    (
        "tf_heads_conflict",
        lambda: gl.transformer_layer(TF, H4, G4, num_heads=1),
        ValueError,
        r"num_heads=1, but these params were built with num_heads=2",
    ),
    (
        "tf_norm_conflict",
        lambda: gl.transformer_layer(TF, H4, norm=None),
        ValueError,
        r"norm=None, but these params were built with norm='post'",
    ),
    (
        "tf_pre_norm_conflict",
        lambda: gl.transformer_layer(TF_PRE, H4, norm="post"),
        ValueError,
        r"norm='post', but these params were built with norm='pre'",
    ),
    # --- heads of hand-made params
    (
        "mha_heads_missing",
        lambda: gl.multi_head_attention(without(MHA, "num_heads"), H4),
        ValueError,
        r"num_heads is needed: these params do not record it",
    ),
    (
        "mha_heads_do_not_divide",
        lambda: gl.multi_head_attention(without(MHA, "num_heads"), H4, num_heads=4),
        ValueError,
        r"num_heads=4 must be >= 1 and divide d_model=6",
    ),
    (
        "mha_zero_heads",
        lambda: gl.multi_head_attention(without(MHA, "num_heads"), H4, num_heads=0),
        ValueError,
        r"num_heads=0 must be >= 1",
    ),
    (
        "mha_heads_float",
        lambda: gl.multi_head_attention(without(MHA, "num_heads"), H4, num_heads=2.0),
        TypeError,
        r"num_heads must be an int, got float",
    ),
    (
        "init_mha_heads_do_not_divide",
        lambda: gl.init_multi_head_attention(np.random.default_rng(0), 6, 4),
        ValueError,
        r"num_heads=4 must be >= 1 and divide d_model=6",
    ),
    (
        "init_tf_heads_float",
        lambda: gl.init_transformer_layer(np.random.default_rng(0), 6, 2.0, 12),
        TypeError,
        r"num_heads must be an int, got float",
    ),
    (
        "init_tf_bad_norm",
        lambda: gl.init_transformer_layer(np.random.default_rng(0), 6, 2, 12, norm="both"),
        ValueError,
        r"norm must be \"post\", \"pre\" or None, got 'both'",
    ),
    (
        "init_tf_norm_first_is_gone",
        lambda: gl.init_transformer_layer(np.random.default_rng(0), 6, 2, 12, norm=True),
        ValueError,
        r"norm must be \"post\", \"pre\" or None, got True",
    ),
    (
        "init_tf_negative_d_ff",
        lambda: gl.init_transformer_layer(np.random.default_rng(0), 6, 2, -1),
        ValueError,
        r"d_ff must be >= 0, got -1",
    ),
    (
        "init_tf_random_state",
        lambda: gl.init_transformer_layer(np.random.RandomState(0), 6, 2, 12),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got RandomState",
    ),
    (
        "init_mha_int_seed",
        lambda: gl.init_multi_head_attention(0, 6, 2),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got int",
    ),
    # --- features, graphs and masks
    (
        "mha_h_1d",
        lambda: gl.multi_head_attention(MHA, H4[0]),
        ValueError,
        r"h must be \(num_nodes, d\) or a padded batch \(\.\.\., n, d\), got shape \(6,\)",
    ),
    (
        "mha_batch_on_a_graph",
        lambda: gl.multi_head_attention(MHA, H4[None], G4),
        ValueError,
        r"h must be \(num_nodes, d\), got shape \(1, 4, 6\)",
    ),
    (
        "tf_batch_on_a_graph",
        lambda: gl.transformer_layer(TF, H4[None], G4),
        ValueError,
        r"h must be \(num_nodes, d\), got shape \(1, 4, 6\)",
    ),
    (
        "mha_h_nan",
        lambda: gl.multi_head_attention(MHA, with_nan(H4)),
        ValueError,
        "h contains NaN/inf",
    ),
    (
        "tf_h_neg_inf",
        lambda: gl.transformer_layer(TF, with_nan(H4, -np.inf)),
        ValueError,
        r"h contains NaN/inf \(shape \(4, 6\)\)",
    ),
    (
        "mha_graph_size",
        lambda: gl.multi_head_attention(MHA, H4, gl.complete_graph(5)),
        ValueError,
        r"graph has num_nodes=5 but h has 4 rows",
    ),
    (
        "tf_graph_size",
        lambda: gl.transformer_layer(TF, H4, gl.causal_graph(2)),
        ValueError,
        r"graph has num_nodes=2 but h has 4 rows",
    ),
    (
        "mha_graph_not_graph",
        lambda: gl.multi_head_attention(MHA, H4, G4.adjacency()),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "mha_mask_with_a_graph",
        lambda: gl.multi_head_attention(MHA, H4, G4, mask=np.ones((4, 4), bool)),
        ValueError,
        r"mask is for the dense path \(graph=None\); a graph is its own mask",
    ),
    (
        "tf_mask_with_a_graph",
        lambda: gl.transformer_layer(TF, H4, G4, mask=np.ones((4, 4), bool)),
        ValueError,
        r"mask is for the dense path",
    ),
    (
        "mha_mask_shape",
        lambda: gl.multi_head_attention(MHA, H4, mask=np.ones((4, 3), bool)),
        ValueError,
        r"mask has shape \(4, 3\), which does not broadcast",
    ),
    (
        "tf_mask_not_bool",
        lambda: gl.transformer_layer(TF, H4, mask=np.ones((4, 4))),
        TypeError,
        r"mask must be a boolean array, got dtype float64",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
