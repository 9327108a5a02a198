"""Our NumPy layers give PyTorch's and PyG's numbers when given their weights (float64, 1e-10).

torch and torch_geometric are not dependencies of the package: ``make test`` skips this
file (the skip reason says so), ``make test-reference`` installs both into .venv and runs
it, and there a missing torch fails. The references, and what each of ours equals:

- ``torch.nn.TransformerEncoderLayer`` (post-LN and pre-LN) = ``gl.transformer_layer`` with
  ``norm="post"`` / ``"pre"``; its sub-modules without the LayerNorms = ``norm=None``;
- ``torch.nn.MultiheadAttention`` = ``gl.multi_head_attention``;
- ``torch.nn.functional.scaled_dot_product_attention`` = ``gl.scaled_dot_product_attention``;
- PyG ``GATConv`` = ``gl.gat_layer`` (``lin`` = W, ``att_src``/``att_dst`` = a_src/a_dst);
- PyG ``GraphConv(aggr="add")`` = ``gl.gnn_layer`` (``lin_root`` = U, ``lin_rel`` = V and b);
- PyG ``TransformerConv(root_weight=False)`` = ``gl.graph_attention`` on ``h W_Q + b_Q`` ...
  heads concatenated (or averaged, ``concat=False``); ``gl.multi_head_attention`` on a graph
  is that times ``W_O`` plus ``b_O`` (TransformerConv has no output projection);
- PyG ``utils.softmax`` = ``gl.segment_softmax``; ``utils.scatter`` = ``gl.segment_*``;
- ``torch.nn.functional.layer_norm`` and ``torch.softmax`` = ``gl.layer_norm``, ``gl.softmax``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import import_reference, random_graph, randomize_params

import gnnformer_lite as gl

torch = import_reference("torch")
pyg_nn = import_reference("torch_geometric.nn")
pyg_utils = import_reference("torch_geometric.utils")

TOL = {"rtol": 1e-10, "atol": 1e-10}


def to_torch(x):
    """A torch tensor of ``x`` (a copy if read-only, like Graph.senders: torch warns)."""
    x = np.ascontiguousarray(x)
    return torch.from_numpy(x if x.flags.writeable else x.copy())


def numpy_params(seed, d_model, num_heads, d_ff, norm="post"):
    """init_transformer_layer, with random biases and LayerNorm gamma/beta (not 0 and 1)."""
    rng = np.random.default_rng(seed)
    params = gl.init_transformer_layer(rng, d_model, num_heads, d_ff, norm=norm)
    return randomize_params(params, rng)


def load_attention(mha, attn):
    """Copy our W_Q, W_K, W_V, W_O (acting on the right) into a torch MultiheadAttention."""
    with torch.no_grad():
        mha.in_proj_weight.copy_(to_torch(np.concatenate([attn[f"W_{x}"].T for x in "QKV"])))
        mha.in_proj_bias.copy_(to_torch(np.concatenate([attn[f"b_{x}"] for x in "QKV"])))
        mha.out_proj.weight.copy_(to_torch(attn["W_O"].T))
        mha.out_proj.bias.copy_(to_torch(attn["b_O"]))


def torch_encoder_layer(params, d_model, num_heads, d_ff):
    """A float64 ``TransformerEncoderLayer`` holding our weights, LayerNorm where ours has it."""
    layer = torch.nn.TransformerEncoderLayer(
        d_model,
        num_heads,
        dim_feedforward=d_ff,
        dropout=0.0,
        batch_first=True,
        norm_first=params["norm"] == "pre",
        dtype=torch.float64,
    )
    load_attention(layer.self_attn, params["attn"])
    with torch.no_grad():
        layer.linear1.weight.copy_(to_torch(params["ffn"]["W1"].T))
        layer.linear1.bias.copy_(to_torch(params["ffn"]["b1"]))
        layer.linear2.weight.copy_(to_torch(params["ffn"]["W2"].T))
        layer.linear2.bias.copy_(to_torch(params["ffn"]["b2"]))
        for ours, theirs in (("ln1", layer.norm1), ("ln2", layer.norm2)):
            if ours in params:  # norm=None: no LayerNorm (torch's stays unused)
                theirs.weight.copy_(to_torch(params[ours]["gamma"]))
                theirs.bias.copy_(to_torch(params[ours]["beta"]))
    return layer


@pytest.mark.parametrize("norm", ["post", "pre"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("train_mode", [False, True])  # eval may take torch's fused fast path
@pytest.mark.parametrize(("n", "d_model", "num_heads", "d_ff"), [(1, 4, 1, 8), (7, 12, 3, 20)])
def test_transformer_layer_equals_torch(n, d_model, num_heads, d_ff, norm, causal, train_mode):
    params = numpy_params(n + d_model, d_model, num_heads, d_ff, norm)
    layer = torch_encoder_layer(params, d_model, num_heads, d_ff)
    layer.train(train_mode)
    h = np.random.default_rng(1).normal(size=(n, d_model))
    graph = gl.causal_graph(n) if causal else None
    src_mask = to_torch(~(gl.causal_graph(n).adjacency() > 0)) if causal else None  # True = no
    with torch.no_grad():
        expected = layer(to_torch(h)[None], src_mask=src_mask)[0].numpy()
    np.testing.assert_allclose(gl.transformer_layer(params, h, graph), expected, **TOL)
    if not causal:  # the complete graph is the unmasked Transformer
        ours_sparse = gl.transformer_layer(params, h, gl.complete_graph(n))
        np.testing.assert_allclose(ours_sparse, expected, **TOL)


def test_the_other_placement_on_the_same_weights_equals_torch():
    """``{**params, "norm": "pre"}``: torch's ``norm_first=True`` on the same weights."""
    params = numpy_params(3, 8, 2, 16, "post")
    h = np.random.default_rng(3).normal(size=(2, 5, 8))
    for norm in ("post", "pre"):
        layer = torch_encoder_layer({**params, "norm": norm}, 8, 2, 16)
        with torch.no_grad():
            expected = layer(to_torch(h)).numpy()
        ours = gl.transformer_layer({**params, "norm": norm}, h)
        np.testing.assert_allclose(ours, expected, **TOL)


def test_transformer_layer_without_layer_norm_equals_torch_sub_layers():
    """``norm=None``: ``x = h + self_attn(h)``, ``h' = x + linear2(relu(linear1(x)))``."""
    params = numpy_params(4, 12, 3, 20, None)
    layer = torch_encoder_layer(params, 12, 3, 20)  # its LayerNorms are not used
    h = np.random.default_rng(4).normal(size=(2, 6, 12))
    keep = np.arange(6)[None, :] < np.array([[6], [4]])  # the second sentence is padded
    with torch.no_grad():
        x = to_torch(h)
        attn, _ = layer.self_attn(x, x, x, key_padding_mask=to_torch(~keep), need_weights=False)
        x = x + attn
        expected = (x + layer.linear2(torch.relu(layer.linear1(x)))).numpy()
    ours = gl.transformer_layer(params, h, mask=keep[:, None, :])
    np.testing.assert_allclose(ours, expected, **TOL)


def test_default_init_also_matches_torch():
    params = gl.init_transformer_layer(np.random.default_rng(0), 8, 2, 16)
    layer = torch_encoder_layer(params, 8, 2, 16)
    h = np.random.default_rng(2).normal(size=(5, 8))
    with torch.no_grad():
        expected = layer(to_torch(h)[None])[0].numpy()
    np.testing.assert_allclose(gl.transformer_layer(params, h), expected, **TOL)


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


# --- PyTorch Geometric --------------------------------------------------------------


def edge_index(graph):
    """PyG's ``edge_index``: row 0 the senders (source j), row 1 the receivers (target i)."""
    return torch.stack([to_torch(graph.senders), to_torch(graph.receivers)])


def pyg_gat(params, concat, add_self_loops=False):
    """A float64 ``GATConv`` holding our GAT weights (``lin.weight`` is our ``W.T``)."""
    H, d_out = params["a_src"].shape
    d_in = params["W"].shape[0]
    conv = pyg_nn.GATConv(d_in, d_out, heads=H, concat=concat, add_self_loops=add_self_loops)
    conv = conv.double().eval()
    with torch.no_grad():
        conv.lin.weight.copy_(to_torch(params["W"].T))
        conv.att_src.copy_(to_torch(params["a_src"][None]))  # (1, H, d_out)
        conv.att_dst.copy_(to_torch(params["a_dst"][None]))
        conv.bias.copy_(to_torch(params["b"]))
    return conv


def gat_params(rng, d_in, d_out, H, concat):
    return randomize_params(gl.init_gat_layer(rng, d_in, d_out, num_heads=H, concat=concat), rng)


@pytest.mark.parametrize("concat", [True, False])
def test_gat_layer_equals_pyg_gatconv(concat):
    rng = np.random.default_rng(5)
    g = random_graph(rng, 7, p=0.4)  # some nodes have no incoming edge
    params = gat_params(rng, 5, 3, 2, concat)
    h = rng.normal(size=(7, 5))
    conv = pyg_gat(params, concat)
    with torch.no_grad():
        out_t, (ei, alpha_t) = conv(to_torch(h), edge_index(g), return_attention_weights=True)
    assert torch.equal(ei, edge_index(g))  # alpha comes in our edge order
    out, alpha = gl.gat_layer(params, h, g, activation=None, return_attention=True)
    np.testing.assert_allclose(out, out_t.numpy(), **TOL)
    np.testing.assert_allclose(alpha, alpha_t.numpy(), **TOL)
    elu = torch.nn.functional.elu(out_t).numpy()  # our default activation, after the bias
    np.testing.assert_allclose(gl.gat_layer(params, h, g), elu, **TOL)


def test_gat_layer_with_self_loops_equals_gatconv_adding_them():
    """``GATConv(add_self_loops=True)`` on a loop-free graph = ours on ``gl.add_self_loops``."""
    rng = np.random.default_rng(6)
    g = random_graph(rng, 8, p=0.3, self_loops=False)
    params = gat_params(rng, 4, 3, 3, True)
    h = rng.normal(size=(8, 4))
    with torch.no_grad():
        expected = pyg_gat(params, True, add_self_loops=True)(to_torch(h), edge_index(g))
    ours = gl.gat_layer(params, h, gl.add_self_loops(g), activation=None)
    np.testing.assert_allclose(ours, expected.numpy(), **TOL)


def test_gnn_layer_equals_pyg_graphconv():
    """``GraphConv``: ``lin_rel(sum_j x_j) + lin_root(x_i)``; ours ``h_i U + sum_j h_j V + b``."""
    rng = np.random.default_rng(7)
    g = random_graph(rng, 9, p=0.3, self_loops=False)
    params = randomize_params(gl.init_gnn_layer(rng, 4, 6), rng)
    h = rng.normal(size=(9, 4))
    conv = pyg_nn.GraphConv(4, 6, aggr="add").double()
    with torch.no_grad():
        conv.lin_root.weight.copy_(to_torch(params["U"].T))  # the self term, no bias
        conv.lin_rel.weight.copy_(to_torch(params["V"].T))  # the neighbours' term, with b
        conv.lin_rel.bias.copy_(to_torch(params["b"]))
        expected = conv(to_torch(h), edge_index(g))
    np.testing.assert_allclose(gl.gnn_layer(params, h, g, activation=None), expected.numpy(), **TOL)
    relu = torch.relu(expected).numpy()
    np.testing.assert_allclose(gl.gnn_layer(params, h, g), relu, **TOL)


def pyg_transformer_conv(attn, num_heads, concat=True, root_weight=False):
    """A float64 ``TransformerConv`` holding our W_Q, W_K, W_V and their biases."""
    d_model = attn["W_Q"].shape[0]
    conv = pyg_nn.TransformerConv(
        d_model, d_model // num_heads, heads=num_heads, concat=concat, root_weight=root_weight
    )
    conv = conv.double().eval()
    with torch.no_grad():
        for x, lin in (("Q", conv.lin_query), ("K", conv.lin_key), ("V", conv.lin_value)):
            lin.weight.copy_(to_torch(attn[f"W_{x}"].T))
            lin.bias.copy_(to_torch(attn[f"b_{x}"]))
    return conv


@pytest.mark.parametrize("concat", [True, False])
def test_graph_attention_equals_pyg_transformerconv(concat):
    rng = np.random.default_rng(8)
    n, d_model, H = 7, 12, 3
    g = random_graph(rng, n, p=0.4)  # with isolated nodes: their output is 0 in both
    attn = numpy_params(8, d_model, H, 8)["attn"]
    h = rng.normal(size=(n, d_model))
    conv = pyg_transformer_conv(attn, H, concat=concat)
    with torch.no_grad():
        out_t, (_, alpha_t) = conv(to_torch(h), edge_index(g), return_attention_weights=True)
    q, k, v = ((h @ attn[f"W_{x}"] + attn[f"b_{x}"]).reshape(n, H, -1) for x in "QKV")
    heads, alpha = gl.graph_attention(q, k, v, g)
    ours = heads.reshape(n, d_model) if concat else heads.mean(axis=1)
    np.testing.assert_allclose(ours, out_t.numpy(), **TOL)
    np.testing.assert_allclose(alpha, alpha_t.numpy(), **TOL)
    if concat:  # multi-head attention on the graph: TransformerConv's output, then W_O, b_O
        mha = gl.multi_head_attention(attn, h, g)
        np.testing.assert_allclose(mha, out_t.numpy() @ attn["W_O"] + attn["b_O"], **TOL)


def test_attention_with_residual_equals_transformerconv_root_weight():
    """``root_weight=True`` adds ``lin_skip(x_i)``: with W_O = lin_skip = I, that is h + MHA(h)."""
    rng = np.random.default_rng(9)
    n, d_model, H = 6, 8, 2
    g = gl.add_self_loops(random_graph(rng, n, p=0.3, self_loops=False))
    attn = numpy_params(9, d_model, H, 8)["attn"]
    attn["W_O"], attn["b_O"] = np.eye(d_model), np.zeros(d_model)
    h = rng.normal(size=(n, d_model))
    conv = pyg_transformer_conv(attn, H, root_weight=True)
    with torch.no_grad():
        conv.lin_skip.weight.copy_(torch.eye(d_model, dtype=torch.float64))
        conv.lin_skip.bias.zero_()
        expected = conv(to_torch(h), edge_index(g))
    ours = h + gl.multi_head_attention(attn, h, g)
    np.testing.assert_allclose(ours, expected.numpy(), **TOL)


@pytest.mark.parametrize("heads", [(), (3,)])
def test_segment_softmax_equals_pyg_softmax(heads):
    rng = np.random.default_rng(10)
    E, N = 40, 12  # some of the 12 segments stay empty
    ids = rng.integers(0, N - 2, size=E)  # unsorted
    logits = rng.normal(size=(E, *heads)) * 30  # spread wide: the max-subtraction matters
    logits[0] = 1e4
    ours = gl.segment_softmax(logits, ids, N)
    theirs = pyg_utils.softmax(to_torch(logits), to_torch(ids), num_nodes=N).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)
    order = np.argsort(ids, kind="stable")  # PyG's CSR form: sorted ids and offsets
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=N))])
    by_ptr = pyg_utils.softmax(to_torch(logits[order]), ptr=to_torch(indptr), num_nodes=N)
    np.testing.assert_allclose(ours[order], by_ptr.numpy(), **TOL)
    ours_by_ptr = gl.segment_softmax(logits[order], ids[order], N, indptr=indptr)  # same hint
    np.testing.assert_allclose(ours_by_ptr, by_ptr.numpy(), **TOL)


@pytest.mark.parametrize(
    ("reduce", "ours"),
    [("sum", gl.segment_sum), ("mean", gl.segment_mean), ("max", gl.segment_max)],
)
def test_segment_reductions_equal_pyg_scatter(reduce, ours):
    rng = np.random.default_rng(11)
    ids = rng.integers(0, 9, size=30)  # segments 9 and 10 stay empty: 0 in both
    data = rng.normal(size=(30, 4))
    theirs = pyg_utils.scatter(to_torch(data), to_torch(ids), dim=0, dim_size=11, reduce=reduce)
    np.testing.assert_allclose(ours(data, ids, 11), theirs.numpy(), **TOL)


def test_layer_norm_and_softmax_equal_torch():
    rng = np.random.default_rng(12)
    x, gamma, beta = rng.normal(size=(4, 5, 6)), rng.normal(size=6), rng.normal(size=6)
    expected = torch.nn.functional.layer_norm(
        to_torch(x), (6,), to_torch(gamma), to_torch(beta), eps=1e-5
    )
    np.testing.assert_allclose(gl.layer_norm(x, gamma, beta), expected.numpy(), **TOL)
    scores = rng.normal(size=(3, 7)) * 50
    for axis in (0, -1):
        expected = torch.softmax(to_torch(scores), dim=axis).numpy()
        np.testing.assert_allclose(gl.softmax(scores, axis=axis), expected, **TOL)
