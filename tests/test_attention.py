"""Dense and sparse scaled dot-product attention: the same computation on the complete graph."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import call_without_mutation, graphs, ref_attention, ref_softmax, strict_numerics
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
