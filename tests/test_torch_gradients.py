"""Every backward function against torch autograd on the same weights (float64, 1e-8).

The torch side is written independently: ``torch.nn`` modules where torch has the
layer (``TransformerEncoderLayer``, ``MultiheadAttention``, ``LayerNorm``,
``cross_entropy``, ``Adam``), otherwise the layer's equation in torch ops, with
``index_add`` for the sums over neighbours. Skipped without torch: run
``make test-reference`` (it installs torch).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import randomize_params

import gnnformer_lite as gl

torch = pytest.importorskip(
    "torch", reason="torch is not installed: run `make test-reference` for the torch checks"
)

TOL = {"rtol": 1e-8, "atol": 1e-8}


def idx(a):
    """An index array as a torch tensor (graph arrays are read-only: copy them)."""
    return torch.from_numpy(np.array(a))


def T(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True)


def tree_to_torch(params):
    return {k: tree_to_torch(v) if isinstance(v, dict) else T(v) for k, v in params.items()}


def assert_grads(ours, theirs):
    """``ours``: a dict of NumPy gradients; ``theirs``: the torch leaves with ``.grad``."""
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], dict):
            assert_grads(ours[key], theirs[key])
        else:
            np.testing.assert_allclose(ours[key], theirs[key].grad.numpy(), **TOL, err_msg=key)


def graph_with_isolated_node(seed: int = 1, n: int = 6) -> gl.Graph:
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < 0.4
    mask[-1, :] = mask[:, -1] = False
    r, s = np.nonzero(mask)
    return gl.Graph(s, r, n)


GRAPHS = [graph_with_isolated_node(), gl.complete_graph(5), gl.path_graph(4)]


def torch_segment_softmax(scores, receivers, n):
    """Softmax over each receiver's incoming edges, written with scatter ops."""
    ids = idx(receivers)
    shape = (n, *scores.shape[1:])
    top = torch.full(shape, -torch.inf, dtype=scores.dtype)
    top = top.scatter_reduce(
        0, ids.view(-1, *[1] * (scores.dim() - 1)).expand_as(scores), scores, "amax"
    )
    e = torch.exp(scores - top[ids].detach())
    total = torch.zeros(shape, dtype=scores.dtype).index_add(0, ids, e)
    return e / total[ids]


def torch_propagate(graph, messages):
    out = torch.zeros((graph.num_nodes, *messages.shape[1:]), dtype=messages.dtype)
    return out.index_add(0, idx(graph.receivers), messages)


def run_both(np_forward, np_backward, torch_forward, params, h, seed=0):
    """Forward both, backward with the same random upstream gradient; compare everything."""
    cache = {}
    out = np_forward(params, h, cache)
    R = np.random.default_rng(seed).normal(size=out.shape)
    d_params, d_h = np_backward(params, cache, R)
    tp, th = tree_to_torch(params), T(h)
    t_out = torch_forward(tp, th)
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TOL)
    (t_out * torch.from_numpy(R)).sum().backward()
    assert_grads(d_params, tp)
    np.testing.assert_allclose(d_h, th.grad.numpy(), **TOL)


@pytest.mark.parametrize("graph", GRAPHS, ids=repr)
def test_gnn_layer(graph):
    rng = np.random.default_rng(0)
    params = randomize_params(gl.init_gnn_layer(rng, 4, 3), rng)
    s = idx(graph.senders)

    def torch_forward(p, h):
        return torch.relu(h @ p["U"] + torch_propagate(graph, (h @ p["V"])[s]) + p["b"])

    run_both(
        lambda p, h, c: gl.gnn_layer(p, h, graph, cache=c),
        lambda p, c, d: gl.gnn_layer_backward(p, graph, c, d),
        torch_forward,
        params,
        rng.normal(size=(graph.num_nodes, 4)),
    )


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("graph", GRAPHS, ids=repr)
def test_gat_layer(graph, concat):
    rng = np.random.default_rng(1)
    params = randomize_params(gl.init_gat_layer(rng, 4, 3, 2, concat), rng)
    s, r, n = idx(graph.senders), idx(graph.receivers), graph.num_nodes

    def torch_forward(p, h):
        z = (h @ p["W"]).view(n, 2, 3)
        e = torch.nn.functional.leaky_relu(
            (z * p["a_src"]).sum(-1)[s] + (z * p["a_dst"]).sum(-1)[r], 0.2
        )
        alpha = torch_segment_softmax(e, graph.receivers, n)
        out = torch_propagate(graph, alpha[:, :, None] * z[s])
        out = out.reshape(n, 6) if concat else out.mean(1)
        return torch.nn.functional.elu(out + p["b"])

    run_both(
        lambda p, h, c: gl.gat_layer(p, h, graph, concat=concat, cache=c),
        lambda p, c, d: gl.gat_layer_backward(p, graph, c, d),
        torch_forward,
        params,
        rng.normal(size=(n, 4)),
    )


def torch_mha_module(attn, d_model, num_heads):
    mha = torch.nn.MultiheadAttention(d_model, num_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(
            torch.from_numpy(np.concatenate([attn[f"W_{x}"].T for x in "QKV"]))
        )
        mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate([attn[f"b_{x}"] for x in "QKV"])))
        mha.out_proj.weight.copy_(torch.from_numpy(attn["W_O"].T))
        mha.out_proj.bias.copy_(torch.from_numpy(attn["b_O"]))
    return mha


def mha_grads_from_module(mha, d_model):
    """Our layout of the gradients of a torch MultiheadAttention's parameters."""
    w, b = mha.in_proj_weight.grad.numpy(), mha.in_proj_bias.grad.numpy()
    grads = {f"W_{x}": w[i * d_model : (i + 1) * d_model].T for i, x in enumerate("QKV")}
    grads.update({f"b_{x}": b[i * d_model : (i + 1) * d_model] for i, x in enumerate("QKV")})
    grads["W_O"] = mha.out_proj.weight.grad.numpy().T
    grads["b_O"] = mha.out_proj.bias.grad.numpy()
    return grads


def compare_dicts(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], dict):
            compare_dicts(ours[key], theirs[key])
        else:
            np.testing.assert_allclose(ours[key], theirs[key], **TOL, err_msg=key)


@pytest.mark.parametrize("padded", [False, True])
def test_multi_head_attention_dense_against_torch_module(padded):
    rng = np.random.default_rng(2)
    params = randomize_params(gl.init_multi_head_attention(rng, 8, 2), rng)
    h = rng.normal(size=(3, 5, 8))
    lengths = np.array([5, 2, 4]) if padded else np.array([5, 5, 5])
    keep = np.arange(5)[None, :] < lengths[:, None]  # (B, L)
    cache = {}
    out = gl.multi_head_attention(params, h, None, num_heads=2, mask=keep[:, None, :], cache=cache)
    R = rng.normal(size=out.shape)
    d_params, d_h = gl.multi_head_attention_backward(params, None, cache, R)
    mha = torch_mha_module(params, 8, 2)
    th = T(h)
    t_out, _ = mha(th, th, th, key_padding_mask=torch.from_numpy(~keep), need_weights=False)
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TOL)
    (t_out * torch.from_numpy(R)).sum().backward()
    compare_dicts(d_params, mha_grads_from_module(mha, 8))
    np.testing.assert_allclose(d_h, th.grad.numpy(), **TOL)


@pytest.mark.parametrize("graph", GRAPHS, ids=repr)
def test_multi_head_attention_on_a_graph(graph):
    rng = np.random.default_rng(3)
    params = randomize_params(gl.init_multi_head_attention(rng, 4, 2), rng)
    n, s, r = graph.num_nodes, idx(graph.senders), idx(graph.receivers)

    def torch_forward(p, h):
        q, k, v = ((h @ p[f"W_{x}"] + p[f"b_{x}"]).view(n, 2, 2) for x in "QKV")
        scores = (q[r] * k[s]).sum(-1) / np.sqrt(2)
        alpha = torch_segment_softmax(scores, graph.receivers, n)
        out = torch_propagate(graph, alpha[:, :, None] * v[s]).reshape(n, 4)
        return out @ p["W_O"] + p["b_O"]

    run_both(
        lambda p, h, c: gl.multi_head_attention(p, h, graph, num_heads=2, cache=c),
        lambda p, c, d: gl.multi_head_attention_backward(p, graph, c, d),
        torch_forward,
        params,
        rng.normal(size=(n, 4)),
    )


def test_layer_norm_and_feed_forward():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    cache = {}
    out = gl.layer_norm(x, gamma, beta, cache=cache)
    R = rng.normal(size=out.shape)
    d_x, d_gamma, d_beta = gl.layer_norm_backward(cache, R)
    ln = torch.nn.LayerNorm(4, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma))
        ln.bias.copy_(torch.from_numpy(beta))
    tx = T(x)
    (ln(tx) * torch.from_numpy(R)).sum().backward()
    np.testing.assert_allclose(d_x, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_gamma, ln.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_beta, ln.bias.grad.numpy(), **TOL)

    ffn = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8)["ffn"], rng)
    run_both(
        lambda p, h, c: gl.feed_forward(p, h, cache=c),
        gl.feed_forward_backward,
        lambda p, h: torch.relu(h @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"],
        ffn,
        x,
    )


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("padded", [False, True])
def test_transformer_layer_against_torch_encoder_layer(norm_first, padded):
    rng = np.random.default_rng(5)
    d_model, H, d_ff = 8, 2, 16
    params = randomize_params(gl.init_transformer_layer(rng, d_model, H, d_ff), rng)
    h = rng.normal(size=(3, 5, d_model))
    lengths = np.array([5, 3, 4]) if padded else np.array([5, 5, 5])
    keep = np.arange(5)[None, :] < lengths[:, None]
    cache = {}
    out = gl.transformer_layer(
        params, h, None, num_heads=H, norm_first=norm_first, mask=keep[:, None, :], cache=cache
    )
    R = rng.normal(size=out.shape) * keep[:, :, None]  # padded rows are not read
    d_params, d_h = gl.transformer_layer_backward(params, None, cache, R)

    layer = torch.nn.TransformerEncoderLayer(
        d_model, H, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=torch.float64
    )
    layer.self_attn = torch_mha_module(params["attn"], d_model, H)
    ffn = params["ffn"]
    with torch.no_grad():
        layer.linear1.weight.copy_(torch.from_numpy(ffn["W1"].T))
        layer.linear1.bias.copy_(torch.from_numpy(ffn["b1"]))
        layer.linear2.weight.copy_(torch.from_numpy(ffn["W2"].T))
        layer.linear2.bias.copy_(torch.from_numpy(ffn["b2"]))
        for ours, theirs in (("ln1", layer.norm1), ("ln2", layer.norm2)):
            theirs.weight.copy_(torch.from_numpy(params[ours]["gamma"]))
            theirs.bias.copy_(torch.from_numpy(params[ours]["beta"]))
    layer.train()  # no fast path: plain autograd
    th = T(h)
    t_out = layer(th, src_key_padding_mask=torch.from_numpy(~keep))
    R_t = torch.from_numpy(R)
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TOL)
    (t_out * R_t).sum().backward()
    theirs = {
        "attn": mha_grads_from_module(layer.self_attn, d_model),
        "ffn": {
            "W1": layer.linear1.weight.grad.numpy().T,
            "b1": layer.linear1.bias.grad.numpy(),
            "W2": layer.linear2.weight.grad.numpy().T,
            "b2": layer.linear2.bias.grad.numpy(),
        },
        "ln1": {"gamma": layer.norm1.weight.grad.numpy(), "beta": layer.norm1.bias.grad.numpy()},
        "ln2": {"gamma": layer.norm2.weight.grad.numpy(), "beta": layer.norm2.bias.grad.numpy()},
    }
    compare_dicts(d_params, theirs)
    np.testing.assert_allclose(d_h, th.grad.numpy(), **TOL)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_transformer_layer_on_a_graph(norm_first):
    graph = graph_with_isolated_node(7)
    rng = np.random.default_rng(6)
    params = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8), rng)
    n, s, r = graph.num_nodes, idx(graph.senders), idx(graph.receivers)

    def mha(p, h):
        q, k, v = ((h @ p[f"W_{x}"] + p[f"b_{x}"]).view(n, 2, 2) for x in "QKV")
        alpha = torch_segment_softmax((q[r] * k[s]).sum(-1) / np.sqrt(2), graph.receivers, n)
        return torch_propagate(graph, alpha[:, :, None] * v[s]).reshape(n, 4) @ p["W_O"] + p["b_O"]

    def ln(p, x):
        return torch.nn.functional.layer_norm(x, (4,), p["gamma"], p["beta"], 1e-5)

    def ffn(p, x):
        return torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    def torch_forward(p, h):
        if norm_first:
            x = h + mha(p["attn"], ln(p["ln1"], h))
            return x + ffn(p["ffn"], ln(p["ln2"], x))
        x = ln(p["ln1"], h + mha(p["attn"], h))
        return ln(p["ln2"], x + ffn(p["ffn"], x))

    run_both(
        lambda p, h, c: gl.transformer_layer(
            p, h, graph, num_heads=2, norm_first=norm_first, cache=c
        ),
        lambda p, c, d: gl.transformer_layer_backward(p, graph, c, d),
        torch_forward,
        params,
        rng.normal(size=(n, 4)),
    )


def test_embedding_readout_linear_and_cross_entropy():
    rng = np.random.default_rng(8)
    table = rng.normal(size=(7, 4))
    tokens = rng.integers(0, 7, size=(3, 5))
    lin = gl.init_linear(rng, 4, 2)
    lin["b"] = rng.normal(size=2)
    rows = np.array([4, 7, 11])  # one row per sentence of the (3 * 5, 4) batch
    labels = np.array([1, 0, 1])

    caches = {"embed": {}, "readout": {}, "linear": {}}
    h = gl.embed(table, tokens, cache=caches["embed"]).reshape(15, 4)
    r = gl.readout(h, rows, cache=caches["readout"])
    logits = gl.linear(lin, r, cache=caches["linear"])
    loss, d_logits = gl.softmax_cross_entropy(logits, labels)
    d_lin, d_r = gl.linear_backward(lin, caches["linear"], d_logits)
    d_h = gl.readout_backward(caches["readout"], d_r)
    d_table = gl.embed_backward(caches["embed"], d_h.reshape(3, 5, 4))

    t_table, t_lin = T(table), tree_to_torch(lin)
    t_h = torch.nn.functional.embedding(torch.from_numpy(tokens), t_table).reshape(15, 4)
    t_logits = t_h[torch.from_numpy(rows)] @ t_lin["W"] + t_lin["b"]
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels))
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-12
    assert_grads(d_lin, t_lin)
    np.testing.assert_allclose(d_table, t_table.grad.numpy(), **TOL)

    node_graph = np.repeat(np.arange(3), 5)
    cache = {}
    mean = gl.readout(h, node_graph=node_graph, cache=cache)
    R = rng.normal(size=mean.shape)
    t_h2 = T(h)
    (t_h2.view(3, 5, 4).mean(1) * torch.from_numpy(R)).sum().backward()
    np.testing.assert_allclose(gl.readout_backward(cache, R), t_h2.grad.numpy(), **TOL)


def test_adam_against_torch_adam():
    rng = np.random.default_rng(9)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt = torch.optim.Adam(list(t_params.values()), lr=0.01, betas=(0.8, 0.99), eps=1e-8)
    state = gl.init_adam(params)
    for step in range(5):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        lr = gl.warmup_schedule(step, 3, 0.01)
        params, state = gl.adam_update(params, grads, state, lr, betas=(0.8, 0.99))
        for group in opt.param_groups:
            group["lr"] = lr
        for k, t in t_params.items():
            t.grad = torch.from_numpy(grads[k])
        opt.step()
    for k in params:
        np.testing.assert_allclose(params[k], t_params[k].detach().numpy(), rtol=1e-12, atol=1e-12)


# --- the models of notebook 09: whole losses, their gradients against autograd ----------


def torch_linear(p, x):
    return x @ p["W"] + p["b"]


def torch_ln(p, x):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], p["gamma"], p["beta"], 1e-5)


def assert_loss_grads(ours, theirs):
    """Like ``assert_grads``, but a torch leaf that the loss never used (``.grad`` None) is 0."""
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], dict):
            assert_loss_grads(ours[key], theirs[key])
        else:
            grad = theirs[key].grad
            grad = np.zeros(theirs[key].shape) if grad is None else grad.numpy()
            np.testing.assert_allclose(ours[key], grad, **TOL, err_msg=key)


@pytest.mark.parametrize("virtual_node", [False, True])
def test_residual_gnn_loss(virtual_node):
    data = gl.nearest_marked_dataset(3, 0, max_distance=4, extra_nodes=2)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)
    rng = np.random.default_rng(10)
    params = randomize_params(gl.init_residual_gnn(rng, 6, 4, 2, 4), rng)
    loss, _, grads = gl.residual_gnn_loss(params, batch, data["labels"])

    graph = batch["graph"]
    s = idx(graph.senders)
    tp = tree_to_torch(params)
    h = torch_linear(tp["input"], torch.from_numpy(batch["x"]))
    for k in ("0", "1"):
        layer = tp["layers"][k]
        u = torch_ln(layer["norm"], h)
        g = layer["gnn"]
        h = h + torch.relu(u @ g["U"] + torch_propagate(graph, (u @ g["V"])[s]) + g["b"])
    logits = torch_linear(tp["out"], h[idx(batch["rows"])])
    t_loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(data["labels"]))
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-12
    assert_loss_grads(grads, tp)


@pytest.mark.parametrize(
    ("with_pe", "layer_norm"),
    [(True, True), (False, True), (True, False)],
    ids=["pe", "no pe", "no LayerNorm"],
)
def test_graph_transformer_loss(with_pe, layer_norm):
    data = gl.nearest_marked_dataset(3, 1, max_distance=4, extra_nodes=1)
    x, mask = gl.pad_batch(data["features"])
    pe, _ = gl.pad_batch(gl.laplacian_positions(data["graphs"], 3))
    pe = pe if with_pe else None
    rng = np.random.default_rng(11)
    params = randomize_params(gl.init_graph_transformer(rng, 6, 3, 4, 2, 6, 4, 2), rng)
    loss, _, grads = gl.graph_transformer_loss(
        params, x, pe, mask, data["labels"], num_heads=2, layer_norm=layer_norm
    )

    B, L, _ = x.shape
    keep = torch.from_numpy(mask)[:, None, None, :]  # (B, 1, 1, L): attend to real nodes only
    tp = tree_to_torch(params)

    def mha(p, h):
        q, k, v = ((h @ p[f"W_{c}"] + p[f"b_{c}"]).view(B, L, 2, 2).transpose(1, 2) for c in "QKV")
        heads = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        return heads.transpose(1, 2).reshape(B, L, 4) @ p["W_O"] + p["b_O"]

    def ffn(p, h):
        return torch.relu(h @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    def norm(p, h):
        return torch_ln(p, h) if layer_norm else h

    h = torch_linear(tp["input"], torch.from_numpy(x))
    if with_pe:
        h = h + torch_linear(tp["positions"], torch.from_numpy(pe))
    for k in ("0", "1"):
        layer = tp["layers"][k]
        h = h + mha(layer["attn"], norm(layer["ln1"], h))
        h = h + ffn(layer["ffn"], norm(layer["ln2"], h))
    logits = torch_linear(tp["out"], h[:, 0])
    t_loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(data["labels"]))
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-12
    assert_loss_grads(grads, tp)
