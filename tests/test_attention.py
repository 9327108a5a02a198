"""``attention``: dense and graph attention, the same computation on the complete graph.

Softmax, ``self_attention``, ``scaled_dot_product_attention`` and ``graph_attention``
against one-query-at-a-time loops, their backward passes against finite differences,
and clear errors for bad input. Both sides of the size thresholds: tests/test_kernels.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    call_without_mutation,
    graphs,
    ref_attention,
    ref_softmax,
    refusal_test,
    strict_numerics,
    with_nan,
)
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl


def qkv(seed, n, H, d, m=None, d_v=None, batch=(), scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    m = n if m is None else m
    d_v = d if d_v is None else d_v
    q = rng.normal(size=(*batch, n, H, d)) * scale
    k = rng.normal(size=(*batch, m, H, d)) * scale
    v = rng.normal(size=(*batch, m, H, d_v))
    return q.astype(dtype), k.astype(dtype), v.astype(dtype)


heads = st.integers(1, 3)
dims = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


# --- dense attention --------------------------------------------------------------------


@given(n=st.integers(0, 6), m=st.integers(0, 6), H=heads, d=dims, d_v=dims, seed=seeds)
def test_dense_attention_matches_loop(n, m, H, d, d_v, seed):
    q, k, v = qkv(seed, n, H, d, m=m, d_v=d_v)
    mask = np.random.default_rng(seed + 1).random((n, m)) < 0.6
    for msk in (None, mask):
        with strict_numerics():
            out, w = call_without_mutation(gl.scaled_dot_product_attention, q, k, v, mask=msk)
        ref_out, ref_w = ref_attention(q, k, v, msk)
        assert out.shape == (n, H, d_v) and w.shape == (H, n, m)
        np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-12)


@given(batch=st.sampled_from([(2,), (1, 3), (2, 2)]), n=st.integers(1, 5), H=heads, d=dims)
def test_dense_attention_leading_batch_axes(batch, n, H, d):
    q, k, v = qkv(n * H * d, n, H, d, batch=batch)
    mask = np.tril(np.ones((n, n), dtype=bool))
    out, w = gl.scaled_dot_product_attention(q, k, v, mask=mask)  # one mask for the batch
    assert out.shape == (*batch, n, H, d) and w.shape == (*batch, H, n, n)
    full_mask = np.random.default_rng(0).random((*batch, n, n)) < 0.5  # one mask per item
    out2, w2 = gl.scaled_dot_product_attention(q, k, v, mask=full_mask)
    for idx in np.ndindex(batch):
        o, a = ref_attention(q[idx], k[idx], v[idx], mask)
        np.testing.assert_allclose(out[idx], o, atol=1e-12)
        np.testing.assert_allclose(w[idx], a, atol=1e-12)
        o2, a2 = ref_attention(q[idx], k[idx], v[idx], full_mask[idx])
        np.testing.assert_allclose(out2[idx], o2, atol=1e-12)
        np.testing.assert_allclose(w2[idx], a2, atol=1e-12)


def test_dense_attention_row_with_nothing_to_attend_is_zero(strict):
    q, k, v = qkv(0, 4, 2, 3)
    mask = np.ones((4, 4), dtype=bool)
    mask[1] = False  # query 1 may attend nothing
    out, w = gl.scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_array_equal(out[1], 0)
    np.testing.assert_array_equal(w[:, 1], 0)
    np.testing.assert_allclose(w[:, [0, 2, 3]].sum(-1), 1)
    out0, w0 = gl.scaled_dot_product_attention(q, k, v, mask=np.zeros((4, 4), dtype=bool))
    np.testing.assert_array_equal(out0, 0)
    np.testing.assert_array_equal(w0, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_attention_huge_logits(dtype, strict):
    q, k, v = qkv(1, 5, 2, 4, scale=70.0, dtype=dtype)  # scores around +-1e4
    scores = np.einsum("nhd,mhd->hnm", q.astype(np.float64), k.astype(np.float64)) / 2
    assert np.abs(scores).max() > 1e4
    out, w = gl.scaled_dot_product_attention(q, k, v)
    assert out.dtype == dtype and w.dtype == dtype
    assert np.isfinite(out).all() and np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-5)
    ref_out, ref_w = ref_attention(q, k, v)
    np.testing.assert_allclose(w, ref_w, atol=1e-4)


@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_in_float32_out(params_dtype):
    q, k, v = qkv(2, 4, 2, 3, dtype=np.float32)
    out, w = gl.scaled_dot_product_attention(q, k, v, mask=np.eye(4, dtype=bool))
    assert out.dtype == np.float32 and w.dtype == np.float32
    g = gl.window_graph(4, 1)
    out, alpha = gl.graph_attention(q, k, v, g)
    assert out.dtype == np.float32 and alpha.dtype == np.float32
    assert gl.edge_weights_to_dense(g, alpha).dtype == np.float32
    # mixed precision follows NumPy promotion: float64 anywhere gives float64
    out64, _ = gl.scaled_dot_product_attention(q, k, v.astype(params_dtype))
    assert out64.dtype == params_dtype


def test_integer_inputs_are_promoted_to_float():
    q = np.ones((2, 1, 2), dtype=np.int64)
    out, w = gl.scaled_dot_product_attention(q, q, q)
    assert out.dtype == np.float64
    np.testing.assert_allclose(w, 0.5)


# --- softmax ---------------------------------------------------------------------------


@given(
    shape=st.sampled_from([(1,), (5,), (3, 4), (2, 3, 4), (0, 3), (3, 0)]),
    axis=st.integers(-3, 2),
    seed=seeds,
)
def test_softmax_matches_loop(shape, axis, seed):
    axis = axis % len(shape) if -len(shape) <= axis < len(shape) else -1
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 10
    x[rng.random(shape) < 0.3] = -np.inf
    with strict_numerics():
        out = call_without_mutation(gl.softmax, x, axis=axis)
    moved = np.moveaxis(x, axis, -1)
    expected = np.zeros_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        expected[idx] = ref_softmax(moved[idx].tolist())
    np.testing.assert_allclose(out, np.moveaxis(expected, -1, axis), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_huge_masked_and_dtype(dtype, strict):
    x = np.array([[1e4, 1e4 - 1, -1e4], [-np.inf, -np.inf, -np.inf]], dtype=dtype)
    out = gl.softmax(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out[0], [1 / (1 + np.exp(-1)), 1 / (1 + np.e), 0], rtol=1e-6)
    np.testing.assert_array_equal(out[1], 0)  # nothing to attend to: zeros, not NaN
    np.testing.assert_allclose(gl.softmax([1, 1]), [0.5, 0.5])  # ints become float64


# --- self_attention: one head, the talk's formula ------------------------------------------


@given(n=st.integers(0, 6), d=dims, d_k=dims, d_v=dims, seed=seeds)
def test_self_attention_matches_loop(n, d, d_k, d_v, seed):
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, d))
    W_Q, W_K, W_V = rng.normal(size=(d, d_k)), rng.normal(size=(d, d_k)), rng.normal(size=(d, d_v))
    with strict_numerics():
        out, alpha = call_without_mutation(gl.self_attention, h, W_Q, W_K, W_V)
    assert out.shape == (n, d_v) and alpha.shape == (n, n)
    ref_out, ref_w = ref_attention((h @ W_Q)[:, None], (h @ W_K)[:, None], (h @ W_V)[:, None])
    np.testing.assert_allclose(out, ref_out[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(alpha, ref_w[0], rtol=1e-12, atol=1e-12)


def test_self_attention_is_one_head_of_multi_head_attention():
    rng = np.random.default_rng(6)
    h = rng.normal(size=(5, 4))
    params = {f"W_{x}": rng.normal(size=(4, 4)) for x in "QKV"} | {"W_O": np.eye(4)}
    out, alpha = gl.self_attention(h, params["W_Q"], params["W_K"], params["W_V"])
    mha, w = gl.multi_head_attention(params, h, num_heads=1, return_attention=True)
    np.testing.assert_allclose(out, mha, atol=1e-12)
    np.testing.assert_allclose(alpha, w[0], atol=1e-12)
    out32, alpha32 = gl.self_attention(h.astype(np.float32), *(params[f"W_{x}"] for x in "QKV"))
    assert out32.dtype == alpha32.dtype == np.float64  # float64 weights: NumPy promotes
    W32 = [params[f"W_{x}"].astype(np.float32) for x in "QKV"]
    out32, alpha32 = gl.self_attention(h.astype(np.float32), *W32)
    assert out32.dtype == alpha32.dtype == np.float32


# --- sparse (graph) attention ------------------------------------------------------------


@given(n=st.integers(0, 7), H=heads, d=dims, d_v=dims, seed=seeds)
def test_sparse_equals_dense_on_the_complete_graph(n, H, d, d_v, seed):
    q, k, v = qkv(seed, n, H, d, d_v=d_v)
    g = gl.complete_graph(n)
    out_dense, w_dense = gl.scaled_dot_product_attention(q, k, v)
    out_sparse, alpha = call_without_mutation(gl.graph_attention, q, k, v, g)
    assert out_sparse.shape == (n, H, d_v) and alpha.shape == (n * n, H)
    np.testing.assert_allclose(out_sparse, out_dense, rtol=0, atol=1e-12)
    dense_alpha = call_without_mutation(gl.edge_weights_to_dense, g, alpha)
    np.testing.assert_allclose(dense_alpha, w_dense, rtol=0, atol=1e-12)


@given(g=graphs(), H=heads, d=dims, seed=seeds)
def test_sparse_equals_masked_dense_on_any_graph(g, H, d, seed):
    n = g.num_nodes
    q, k, v = qkv(seed, n, H, d)
    mask = g.adjacency() > 0
    with strict_numerics():
        out_sparse, alpha = gl.graph_attention(q, k, v, g)
        out_dense, w_dense = gl.scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(out_sparse, out_dense, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), w_dense, rtol=0, atol=1e-12)
    # alpha follows the stored edge order, sums to 1 per receiver; isolated nodes get 0
    for i in range(n):
        rows = alpha[g.receivers == i]
        if len(rows):
            np.testing.assert_allclose(rows.sum(0), 1.0, rtol=1e-12)
        else:
            np.testing.assert_array_equal(out_sparse[i], 0)
    ref_out, _ = ref_attention(q, k, v, mask)
    np.testing.assert_allclose(out_sparse, ref_out, rtol=0, atol=1e-12)


def test_graph_attention_isolated_nodes(strict):
    g = gl.Graph([0, 1, 2], [1, 1, 1], 4)  # only node 1 listens
    q, k, v = qkv(3, 4, 2, 3, scale=100.0)
    out, alpha = gl.graph_attention(q, k, v, g)
    np.testing.assert_array_equal(out[[0, 2, 3]], 0)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(alpha.sum(0), 1.0)


def test_edge_weights_to_dense_layout():
    g = gl.Graph([2, 0, 1], [0, 1, 1], 3)  # stored: 2->0, 0->1, 1->1
    alpha = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    dense = gl.edge_weights_to_dense(g, alpha)
    assert dense.shape == (2, 3, 3)
    expected = np.zeros((2, 3, 3))
    expected[:, 0, 2] = [0.1, 0.2]  # row = receiver, column = sender
    expected[:, 1, 0] = [0.3, 0.4]
    expected[:, 1, 1] = [0.5, 0.6]
    np.testing.assert_array_equal(dense, expected)
    np.testing.assert_array_equal(gl.edge_weights_to_dense(g, alpha[:, 1]), expected[1])


# --- empty inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 3])
def test_attention_functions_on_empty_graphs(n, strict):
    q, k, v = qkv(4, n, 2, 3)
    g = gl.Graph([], [], n)
    out, alpha = gl.graph_attention(q, k, v, g)
    assert out.shape == (n, 2, 3) and alpha.shape == (0, 2)
    np.testing.assert_array_equal(out, 0)
    dense = gl.edge_weights_to_dense(g, alpha)
    assert dense.shape == (2, n, n) and not dense.any()
    assert gl.edge_weights_to_dense(g, alpha[:, 0]).shape == (n, n)
    out, w = gl.scaled_dot_product_attention(q, k, v, mask=g.adjacency() > 0)
    assert out.shape == (n, 2, 3) and w.shape == (2, n, n)
    np.testing.assert_array_equal(out, 0)
    out, w = gl.scaled_dot_product_attention(q, k, v)
    assert out.shape == (n, 2, 3) and w.shape == (2, n, n)


def test_dense_attention_without_keys(strict):
    q, _, _ = qkv(5, 3, 2, 4)
    empty = np.zeros((0, 2, 4))
    out, w = gl.scaled_dot_product_attention(q, empty, empty)
    assert out.shape == (3, 2, 4) and w.shape == (2, 3, 0)
    np.testing.assert_array_equal(out, 0)


@pytest.mark.parametrize("n", [0, 1])
def test_attention_on_tiny_inputs(n, strict):
    q = np.ones((n, 2, 3))
    g = gl.complete_graph(n)
    out, alpha = gl.graph_attention(q, q, q, g)
    assert out.shape == (n, 2, 3) and alpha.shape == (n, 2)
    np.testing.assert_array_equal(out, q)  # one word attending to itself returns its value
    out, w = gl.scaled_dot_product_attention(q, q, q, mask=g.adjacency() > 0)
    assert out.shape == (n, 2, 3) and w.shape == (2, n, n)
    np.testing.assert_array_equal(out, q)
    assert gl.edge_weights_to_dense(g, alpha).shape == (2, n, n)


# --- backward passes against finite differences ----------------------------------------------


def check_attention_gradients(forward, backward, inputs, seed=0):
    """``forward(inputs, cache) -> out``; ``backward(cache, d_out) -> (d_q, d_k, d_v)``."""
    R = np.random.default_rng(seed).normal(size=forward(inputs, None).shape)
    cache = {}
    out = forward(inputs, cache)
    np.testing.assert_allclose(out, forward(inputs, None), rtol=1e-12, atol=1e-12)
    grads = call_without_mutation(backward, cache, R)
    assert [g.shape for g in grads] == [inputs[x].shape for x in "qkv"]
    errors = gl.gradient_check(
        lambda p: float((forward(p, None) * R).sum()), inputs, dict(zip("qkv", grads, strict=True))
    )
    assert max(errors.values()) < 1e-6, errors


def random_qkv(seed, n=6, H=2, d=3, batch=()):
    return dict(zip("qkv", qkv(seed, n, H, d, batch=batch), strict=True))


def test_graph_attention_backward(graph):
    def forward(p, cache):
        return gl.graph_attention(p["q"], p["k"], p["v"], graph, cache=cache)[0]

    check_attention_gradients(forward, gl.graph_attention_backward, random_qkv(4))


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_scaled_dot_product_attention_backward(masked, batch):
    mask = None
    if masked:  # a causal mask with key 0 hidden from every query: query 0 sees nothing
        mask = np.tril(np.ones((6, 6), dtype=bool))
        mask = np.broadcast_to(mask, (*batch, 6, 6)).copy()
        mask[..., :, 0] = False

    def forward(p, cache):
        return gl.scaled_dot_product_attention(p["q"], p["k"], p["v"], mask, cache=cache)[0]

    check_attention_gradients(
        forward, gl.scaled_dot_product_attention_backward, random_qkv(5, batch=batch)
    )


def test_graph_backward_equals_dense_backward_on_the_complete_graph():
    q, k, v = qkv(6, 5, 2, 3)
    R = np.random.default_rng(7).normal(size=(5, 2, 3))
    sparse, dense = {}, {}
    gl.graph_attention(q, k, v, gl.complete_graph(5), cache=sparse)
    gl.scaled_dot_product_attention(q, k, v, cache=dense)
    for a, b in zip(
        gl.graph_attention_backward(sparse, R),
        gl.scaled_dot_product_attention_backward(dense, R),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_softmax_backward():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(2, 3, 5))
    R = rng.normal(size=scores.shape)
    for axis in (-1, 1):
        weights = gl.softmax(scores, axis)
        d_scores = call_without_mutation(gl.softmax_backward, weights, R, axis)

        def loss(x, axis=axis):
            return float((gl.softmax(x, axis) * R).sum())

        assert gl.gradient_check(loss, scores, d_scores) < 1e-6
        np.testing.assert_allclose(d_scores.sum(axis=axis), 0, atol=1e-12)  # shift invariance


def test_check_input_false_gives_the_same_numbers_and_still_checks_the_mask():
    """Callers that made q, k, v themselves skip their checks; the numbers do not change."""
    rng = np.random.default_rng(3)
    q, k, v = (rng.normal(size=(5, 2, 4)) for _ in range(3))
    mask = rng.random((5, 5)) < 0.6
    for args in ((q, k, v), (q, k, v, mask)):
        checked = gl.scaled_dot_product_attention(*args)
        unchecked = gl.scaled_dot_product_attention(*args, check_input=False)
        for a, b in zip(checked, unchecked, strict=True):
            np.testing.assert_array_equal(a, b)
    g = gl.window_graph(5, 1)
    for a, b in zip(
        gl.graph_attention(q, k, v, g),
        gl.graph_attention(q, k, v, g, check_input=False),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"mask has shape \(4, 4\), which does not broadcast"):
        gl.scaled_dot_product_attention(q, k, v, np.ones((4, 4), bool), check_input=False)


# --- bad input: a ValueError / TypeError naming the argument and the shapes ---------------

Q = np.random.default_rng(0).normal(size=(4, 2, 3))
H4 = np.random.default_rng(1).normal(size=(4, 6))
G4 = gl.path_graph(4)  # 6 edges


def filled_cache(forward):
    cache = {}
    forward(cache)
    return cache


GRAPH_CACHE = filled_cache(lambda c: gl.graph_attention(Q, Q, Q, G4, cache=c))
DENSE_CACHE = filled_cache(lambda c: gl.scaled_dot_product_attention(Q, Q, Q, cache=c))

BAD = [
    (
        "sdpa_heads_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q[:, :1], Q[:, :1]),
        ValueError,
        r"q has shape \(4, 2, 3\) and k has shape \(4, 1, 3\): they need the same number of heads",
    ),
    (
        "sdpa_d_head_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q[..., :2], Q),
        ValueError,
        r"same number of heads H and the same d_head",
    ),
    (
        "sdpa_k_v_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q[:3]),
        ValueError,
        r"k has shape \(4, 2, 3\) and v has shape \(3, 2, 3\).*one value per key",
    ),
    (
        "sdpa_q_2d",
        lambda: gl.scaled_dot_product_attention(Q[:, 0], Q, Q),
        ValueError,
        r"q must be \(\.\.\., n, H, d_head\), got shape \(4, 3\)",
    ),
    (
        "sdpa_batch_mismatch",
        lambda: gl.scaled_dot_product_attention(Q[None], np.stack([Q, Q]), np.stack([Q, Q])),
        ValueError,
        r"q has batch shape \(1,\) but k has \(2,\)",
    ),
    (
        "sdpa_nan",
        lambda: gl.scaled_dot_product_attention(Q, with_nan(Q), Q),
        ValueError,
        r"k contains NaN/inf \(shape \(4, 2, 3\)\)",
    ),
    (
        "sdpa_complex",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q + 1j),
        TypeError,
        r"v must be a real-valued array, got dtype complex128",
    ),
    (
        "sdpa_mask_shape",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((4, 3), dtype=bool)),
        ValueError,
        r"mask has shape \(4, 3\), which does not broadcast to \(\.\.\., n, m\) = \(4, 4\) for q "
        r"of shape \(4, 2, 3\) and k of shape \(4, 2, 3\)",
    ),
    (
        "sdpa_mask_adds_batch_axis",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((2, 4, 4), dtype=bool)),
        ValueError,
        r"mask has shape \(2, 4, 4\)",
    ),
    (
        "sdpa_mask_not_bool",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((4, 4))),
        TypeError,
        r"mask must be a boolean array, got dtype float64",
    ),
    (
        "sdpa_mask_int",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=G4.adjacency(dtype=int)),
        TypeError,
        r"mask must be a boolean array, got dtype int",
    ),
    (
        "softmax_nan",
        lambda: gl.softmax(np.array([0.0, np.nan])),
        ValueError,
        r"scores contains NaN or \+inf \(shape \(2,\)\)",
    ),
    (
        "softmax_plus_inf",
        lambda: gl.softmax(np.array([[0.0, np.inf]]), axis=0),
        ValueError,
        r"scores contains NaN or \+inf",
    ),
    (
        "softmax_text",
        lambda: gl.softmax(["a", "b"]),
        TypeError,
        r"scores must be a real-valued array",
    ),
    (
        "softmax_backward_shapes",
        lambda: gl.softmax_backward(np.ones((2, 2)) / 2, np.zeros((2, 3))),
        ValueError,
        r"d_weights has shape \(2, 3\) but weights has \(2, 2\)",
    ),
    (
        "softmax_backward_nan",
        lambda: gl.softmax_backward(np.ones(2) / 2, np.array([np.nan, 0.0])),
        ValueError,
        r"d_weights contains NaN/inf",
    ),
    (
        "self_attention_h_1d",
        lambda: gl.self_attention(H4[0], np.ones((6, 2)), np.ones((6, 2)), np.ones((6, 2))),
        ValueError,
        r"h must be 2-D, got shape \(6,\)",
    ),
    (
        "self_attention_W_K_rows",
        lambda: gl.self_attention(H4, np.ones((6, 2)), np.ones((5, 2)), np.ones((6, 2))),
        ValueError,
        r"W_K has shape \(5, 2\) but h has d=6 features",
    ),
    (
        "self_attention_W_V_1d",
        lambda: gl.self_attention(H4, np.ones((6, 2)), np.ones((6, 2)), np.ones(6)),
        ValueError,
        r"W_V must be 2-D, got shape \(6,\)",
    ),
    (
        "self_attention_q_k_width",
        lambda: gl.self_attention(H4, np.ones((6, 2)), np.ones((6, 3)), np.ones((6, 2))),
        ValueError,
        r"W_Q has shape \(6, 2\) and W_K has shape \(6, 3\): queries and keys need the same width",
    ),
    (
        "self_attention_nan",
        lambda: gl.self_attention(with_nan(H4), np.ones((6, 2)), np.ones((6, 2)), np.ones((6, 2))),
        ValueError,
        r"h contains NaN/inf",
    ),
    (
        "graph_attention_graph_size",
        lambda: gl.graph_attention(Q, Q, Q, gl.complete_graph(3)),
        ValueError,
        r"graph has num_nodes=3 but q has 4 rows",
    ),
    (
        "graph_attention_not_graph",
        lambda: gl.graph_attention(Q, Q, Q, G4.adjacency()),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "graph_attention_batched",
        lambda: gl.graph_attention(Q[None], Q[None], Q[None], G4),
        ValueError,
        r"graph_attention takes q, k, v of shape \(n, H, d_head\); got q \(1, 4, 2, 3\)",
    ),
    (
        "graph_attention_cross",
        lambda: gl.graph_attention(Q, Q[:3], Q[:3], G4),
        ValueError,
        r"graph_attention takes q, k, v of shape \(n, H, d_head\); "
        r"got q \(4, 2, 3\), k \(3, 2, 3\)",
    ),
    (
        "graph_attention_backward_empty_cache",
        lambda: gl.graph_attention_backward({}, np.zeros((4, 2, 3))),
        ValueError,
        r"cache must be the dict filled in by graph_attention\(\.\.\., cache=cache\); it needs "
        r"\['alpha', 'graph', 'k', 'q', 'v'\] but has \[\]",
    ),
    (
        "graph_attention_backward_dense_cache",
        lambda: gl.graph_attention_backward(DENSE_CACHE, np.zeros((4, 2, 3))),
        ValueError,
        r"it needs \['alpha', 'graph', 'k', 'q', 'v'\] but has \['k', 'q', 'v', 'weights'\]",
    ),
    (
        "graph_attention_backward_d_out",
        lambda: gl.graph_attention_backward(GRAPH_CACHE, np.zeros((4, 2, 4))),
        ValueError,
        r"d_out has shape \(4, 2, 4\) but the output of graph_attention had shape \(4, 2, 3\)",
    ),
    (
        "sdpa_backward_no_cache",
        lambda: gl.scaled_dot_product_attention_backward(None, np.zeros((4, 2, 3))),
        ValueError,
        r"cache must be the dict filled in by scaled_dot_product_attention.*but has NoneType",
    ),
    (
        "sdpa_backward_d_out",
        lambda: gl.scaled_dot_product_attention_backward(DENSE_CACHE, np.zeros((2, 4, 3))),
        ValueError,
        r"d_out has shape \(2, 4, 3\) but the output of scaled_dot_product_attention had shape "
        r"\(4, 2, 3\)",
    ),
    (
        "edge_weights_wrong_length",
        lambda: gl.edge_weights_to_dense(G4, np.ones((5, 2))),
        ValueError,
        r"alpha has shape \(5, 2\) but the graph has 6 edges",
    ),
    (
        "edge_weights_3d",
        lambda: gl.edge_weights_to_dense(G4, np.ones((6, 2, 1))),
        ValueError,
        r"expected \(E,\) or \(E, H\) with E=6",
    ),
    (
        "edge_weights_not_graph",
        lambda: gl.edge_weights_to_dense(None, np.ones(6)),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got NoneType",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
