"""Our NumPy layers give PyTorch's numbers when given PyTorch's weights (float64, 1e-10).

Skipped when torch is not installed; it is not a dependency of the package.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize_params

import gnnformer_lite as gl

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-10, "atol": 1e-10}


def to_torch(x):
    return torch.from_numpy(np.ascontiguousarray(x))


def numpy_params(seed, d_model, num_heads, d_ff):
    """init_transformer_layer, with random biases and LayerNorm gamma/beta (not 0 and 1)."""
    rng = np.random.default_rng(seed)
    params = gl.init_transformer_layer(rng, d_model, num_heads, d_ff)
    return randomize_params(params, rng)


def load_attention(mha, attn):
    """Copy our W_Q, W_K, W_V, W_O (acting on the right) into a torch MultiheadAttention."""
    with torch.no_grad():
        mha.in_proj_weight.copy_(to_torch(np.concatenate([attn[f"W_{x}"].T for x in "QKV"])))
        mha.in_proj_bias.copy_(to_torch(np.concatenate([attn[f"b_{x}"] for x in "QKV"])))
        mha.out_proj.weight.copy_(to_torch(attn["W_O"].T))
        mha.out_proj.bias.copy_(to_torch(attn["b_O"]))


def torch_encoder_layer(params, d_model, num_heads, d_ff, norm_first):
    layer = torch.nn.TransformerEncoderLayer(
        d_model,
        num_heads,
        dim_feedforward=d_ff,
        dropout=0.0,
        batch_first=True,
        norm_first=norm_first,
        dtype=torch.float64,
    )
    load_attention(layer.self_attn, params["attn"])
    with torch.no_grad():
        layer.linear1.weight.copy_(to_torch(params["ffn"]["W1"].T))
        layer.linear1.bias.copy_(to_torch(params["ffn"]["b1"]))
        layer.linear2.weight.copy_(to_torch(params["ffn"]["W2"].T))
        layer.linear2.bias.copy_(to_torch(params["ffn"]["b2"]))
        for ours, theirs in (("ln1", layer.norm1), ("ln2", layer.norm2)):
            theirs.weight.copy_(to_torch(params[ours]["gamma"]))
            theirs.bias.copy_(to_torch(params[ours]["beta"]))
    return layer


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("train_mode", [False, True])  # eval may take torch's fused fast path
@pytest.mark.parametrize(("n", "d_model", "num_heads", "d_ff"), [(1, 4, 1, 8), (7, 12, 3, 20)])
def test_transformer_layer_equals_torch(
    n, d_model, num_heads, d_ff, norm_first, causal, train_mode
):
    params = numpy_params(n + d_model, d_model, num_heads, d_ff)
    layer = torch_encoder_layer(params, d_model, num_heads, d_ff, norm_first)
    layer.train(train_mode)
    h = np.random.default_rng(1).normal(size=(n, d_model))
    graph = gl.causal_graph(n) if causal else None
    src_mask = to_torch(~(gl.causal_graph(n).adjacency() > 0)) if causal else None  # True = no
    with torch.no_grad():
        expected = layer(to_torch(h)[None], src_mask=src_mask)[0].numpy()
    ours = gl.transformer_layer(params, h, graph, num_heads=num_heads, norm_first=norm_first)
    np.testing.assert_allclose(ours, expected, **TOL)
    if not causal:  # the complete graph is the unmasked Transformer
        ours_sparse = gl.transformer_layer(
            params, h, gl.complete_graph(n), num_heads=num_heads, norm_first=norm_first
        )
        np.testing.assert_allclose(ours_sparse, expected, **TOL)


def test_default_init_also_matches_torch():
    params = gl.init_transformer_layer(np.random.default_rng(0), 8, 2, 16)
    layer = torch_encoder_layer(params, 8, 2, 16, norm_first=False)
    h = np.random.default_rng(2).normal(size=(5, 8))
    with torch.no_grad():
        expected = layer(to_torch(h)[None])[0].numpy()
    np.testing.assert_allclose(gl.transformer_layer(params, h, num_heads=2), expected, **TOL)


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_equals_torch(causal):
    n, d_model, H = 6, 12, 4
    attn = numpy_params(3, d_model, H, 8)["attn"]
    mha = torch.nn.MultiheadAttention(d_model, H, batch_first=True, dtype=torch.float64)
    load_attention(mha, attn)
    h = np.random.default_rng(3).normal(size=(n, d_model))
    x = to_torch(h)[None]
    g = gl.causal_graph(n)
    attn_mask = to_torch(~(g.adjacency() > 0)) if causal else None
    with torch.no_grad():
        out_t, w_avg = mha(x, x, x, attn_mask=attn_mask, average_attn_weights=True)
        _, w_heads = mha(x, x, x, attn_mask=attn_mask, average_attn_weights=False)
    graph = g if causal else None
    out, w = gl.multi_head_attention(attn, h, graph, num_heads=H, return_attention=True)
    dense_w = gl.edge_weights_to_dense(g, w) if causal else w
    np.testing.assert_allclose(out, out_t[0].numpy(), **TOL)
    np.testing.assert_allclose(dense_w, w_heads[0].numpy(), **TOL)
    np.testing.assert_allclose(dense_w.mean(0), w_avg[0].numpy(), **TOL)


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_attention_equals_torch(batch, masked):
    n, m, H, d, d_v = 5, 4, 3, 6, 2
    rng = np.random.default_rng(4)
    q = rng.normal(size=(*batch, n, H, d))
    k = rng.normal(size=(*batch, m, H, d))
    v = rng.normal(size=(*batch, m, H, d_v))
    mask = None
    if masked:
        mask = rng.random((n, m)) < 0.5
        mask[:, 0] = True  # every query keeps one key: torch gives NaN for an empty row

    def heads_first(x):  # ours (..., n, H, d) -> torch (..., H, n, d)
        return to_torch(np.moveaxis(x, -2, -3))

    with torch.no_grad():
        expected = torch.nn.functional.scaled_dot_product_attention(
            heads_first(q),
            heads_first(k),
            heads_first(v),
            attn_mask=None if mask is None else to_torch(mask),  # here True = may attend
        ).numpy()
    out, _ = gl.scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(np.moveaxis(out, -2, -3), expected, **TOL)


def torch_gat(h, W, a_src, a_dst, b, adjacency, concat):
    """GATConv written densely in torch: score every pair, mask non-edges, softmax over senders."""
    H, d_out = a_src.shape
    z = (h @ W).reshape(-1, H, d_out)  # (n, H, d_out)
    s_src = (z * a_src).sum(-1)  # (n, H): a_src . z_j
    s_dst = (z * a_dst).sum(-1)  # a_dst . z_i
    e = torch.nn.functional.leaky_relu(s_dst.T[:, :, None] + s_src.T[:, None, :], 0.2)
    e = e.masked_fill(~adjacency, float("-inf"))  # (H, i, j)
    alpha = torch.nan_to_num(torch.softmax(e, dim=-1))  # a node without senders: 0
    out = torch.einsum("hij,jhd->ihd", alpha, z)
    out = out.reshape(-1, H * d_out) if concat else out.mean(1)
    return torch.nn.functional.elu(out + b), alpha


@pytest.mark.parametrize("concat", [True, False])
def test_gat_layer_equals_torch(concat):
    rng = np.random.default_rng(5)
    g = gl.Graph(*np.nonzero(rng.random((6, 6)) < 0.4)[::-1], 6)  # some nodes isolated
    params = randomize_params(gl.init_gat_layer(rng, 5, 3, num_heads=2, concat=concat), rng)
    h = rng.normal(size=(6, 5))
    out, alpha = gl.gat_layer(params, h, g, concat=concat, return_attention=True)
    out_t, alpha_t = torch_gat(
        *(to_torch(x) for x in (h, params["W"], params["a_src"], params["a_dst"], params["b"])),
        to_torch(g.adjacency() > 0),
        concat,
    )
    np.testing.assert_allclose(out, out_t.numpy(), **TOL)
    np.testing.assert_allclose(gl.edge_weights_to_dense(g, alpha), alpha_t.numpy(), **TOL)
