"""Every backward function, and every model's loss, against torch autograd (float64, 1e-8).

The torch side is written independently: ``torch.nn`` modules where torch has the
layer (``TransformerEncoderLayer``, ``MultiheadAttention``, ``LayerNorm``,
``cross_entropy``, ``Adam``), otherwise the layer's equation in torch ops, with
``index_add`` for the sums over neighbours. Our side is ``<f>_backward(cache, d_out) ->
(d_params, d_input)``; settings recorded in the params (``num_heads``, ``norm``,
``concat``, ``positions``, ``virtual_node``) have no gradient. Skipped without torch:
run ``make test-reference`` (it installs torch, and there a skip fails).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import import_reference, randomize_params

import gnnformer_lite as gl
from gnnformer_lite._params import is_setting

torch = import_reference("torch")

TOL = {"rtol": 1e-8, "atol": 1e-8}


def idx(a):
    """An index array as a torch tensor (graph arrays are read-only: copy them)."""
    return torch.from_numpy(np.array(a))


def T(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True)


def tree_to_torch(params):
    """The same tree with a torch leaf (requires_grad) per array; settings stay as they are."""
    if isinstance(params, dict):
        return {k: tree_to_torch(v) for k, v in params.items()}
    if isinstance(params, list):
        return [tree_to_torch(v) for v in params]
    return params if is_setting(params) else T(params)


def torch_cross_entropy(logits, labels) -> float:
    """torch's mean cross-entropy of ``logits`` against ``labels``, its gradients backpropagated."""
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(np.asarray(labels)))
    loss.backward()
    return loss.item()


def assert_grads(ours, theirs, path=""):
    """``ours``: NumPy gradients (no settings); ``theirs``: the torch tree with ``.grad``.

    A torch leaf that the loss never used (``.grad`` None) must have a zero gradient.
    """
    if isinstance(theirs, dict):
        arrays = {k for k, v in theirs.items() if not is_setting(v)}
        assert isinstance(ours, dict) and set(ours) == arrays, (path, sorted(ours), arrays)
        for key in arrays:
            assert_grads(ours[key], theirs[key], f"{path}/{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_grads(a, b, f"{path}/{k}")
    else:
        grad = np.zeros(theirs.shape) if theirs.grad is None else theirs.grad.numpy()
        np.testing.assert_allclose(ours, grad, **TOL, err_msg=path)


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
    """Forward both, backward with the same random upstream gradient; compare everything.

    ``np_forward(params, h, cache)``, ``np_backward(cache, d_out) -> (d_params, d_h)``.
    """
    cache = {}
    out = np_forward(params, h, cache)
    R = np.random.default_rng(seed).normal(size=out.shape)
    d_params, d_h = np_backward(cache, R)
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
        gl.gnn_layer_backward,
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
        lambda p, h, c: gl.gat_layer(p, h, graph, cache=c),
        gl.gat_layer_backward,
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
    out = gl.multi_head_attention(params, h, None, mask=keep[:, None, :], cache=cache)
    R = rng.normal(size=out.shape)
    d_params, d_h = gl.multi_head_attention_backward(cache, R)
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
        lambda p, h, c: gl.multi_head_attention(p, h, graph, cache=c),
        gl.multi_head_attention_backward,
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
    d_ln, d_x = gl.layer_norm_backward(cache, R)
    assert set(d_ln) == {"gamma", "beta"}
    ln = torch.nn.LayerNorm(4, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma))
        ln.bias.copy_(torch.from_numpy(beta))
    tx = T(x)
    (ln(tx) * torch.from_numpy(R)).sum().backward()
    np.testing.assert_allclose(d_x, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_ln["gamma"], ln.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_ln["beta"], ln.bias.grad.numpy(), **TOL)

    ffn = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8)["ffn"], rng)
    run_both(
        lambda p, h, c: gl.feed_forward(p, h, cache=c),
        gl.feed_forward_backward,
        lambda p, h: torch.relu(h @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"],
        ffn,
        x,
    )


@pytest.mark.parametrize("norm", ["post", "pre"], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("padded", [False, True])
def test_transformer_layer_against_torch_encoder_layer(norm, padded):
    rng = np.random.default_rng(5)
    d_model, H, d_ff = 8, 2, 16
    params = randomize_params(gl.init_transformer_layer(rng, d_model, H, d_ff, norm=norm), rng)
    h = rng.normal(size=(3, 5, d_model))
    lengths = np.array([5, 3, 4]) if padded else np.array([5, 5, 5])
    keep = np.arange(5)[None, :] < lengths[:, None]
    cache = {}
    out = gl.transformer_layer(params, h, None, mask=keep[:, None, :], cache=cache)
    R = rng.normal(size=out.shape) * keep[:, :, None]  # padded rows are not read
    d_params, d_h = gl.transformer_layer_backward(cache, R)

    layer = torch.nn.TransformerEncoderLayer(
        d_model,
        H,
        d_ff,
        dropout=0.0,
        batch_first=True,
        norm_first=norm == "pre",
        dtype=torch.float64,
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


def torch_graph_mha(graph, d_model, H):
    """Multi-head attention along the edges of ``graph``, in torch ops."""
    n, s, r = graph.num_nodes, idx(graph.senders), idx(graph.receivers)
    d_head = d_model // H

    def mha(p, h):
        q, k, v = ((h @ p[f"W_{x}"] + p[f"b_{x}"]).view(n, H, d_head) for x in "QKV")
        scores = (q[r] * k[s]).sum(-1) / np.sqrt(d_head)
        alpha = torch_segment_softmax(scores, graph.receivers, n)
        heads = torch_propagate(graph, alpha[:, :, None] * v[s]).reshape(n, d_model)
        return heads @ p["W_O"] + p["b_O"]

    return mha


def torch_ffn(p, x):
    return torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def torch_ln(p, x):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], p["gamma"], p["beta"], 1e-5)


def torch_transformer_layer(p, h, mha):
    """Post-LN, pre-LN or no LayerNorm, as ``p["norm"]`` says."""
    norm = p["norm"]
    if norm == "post":
        x = torch_ln(p["ln1"], h + mha(p["attn"], h))
        return torch_ln(p["ln2"], x + torch_ffn(p["ffn"], x))
    ln1 = (lambda x: x) if norm is None else (lambda x: torch_ln(p["ln1"], x))
    ln2 = (lambda x: x) if norm is None else (lambda x: torch_ln(p["ln2"], x))
    x = h + mha(p["attn"], ln1(h))
    return x + torch_ffn(p["ffn"], ln2(x))


@pytest.mark.parametrize("norm", ["post", "pre", None], ids=["post-LN", "pre-LN", "no-LN"])
def test_transformer_layer_on_a_graph(norm):
    graph = graph_with_isolated_node(7)
    rng = np.random.default_rng(6)
    params = randomize_params(gl.init_transformer_layer(rng, 4, 2, 8, norm=norm), rng)
    mha = torch_graph_mha(graph, 4, 2)
    run_both(
        lambda p, h, c: gl.transformer_layer(p, h, graph, cache=c),
        gl.transformer_layer_backward,
        lambda p, h: torch_transformer_layer(p, h, mha),
        params,
        rng.normal(size=(graph.num_nodes, 4)),
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
    d_lin, d_r = gl.linear_backward(caches["linear"], d_logits)
    d_h = gl.readout_backward(caches["readout"], d_r)
    d_table, d_tokens = gl.embed_backward(caches["embed"], d_h.reshape(3, 5, 4))
    assert d_tokens is None

    t_table, t_lin = T(table), tree_to_torch(lin)
    t_h = torch.nn.functional.embedding(torch.from_numpy(tokens), t_table).reshape(15, 4)
    t_logits = t_h[torch.from_numpy(rows)] @ t_lin["W"] + t_lin["b"]
    assert abs(loss - torch_cross_entropy(t_logits, labels)) < 1e-12
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
    """Adam on a params tree with settings: they are skipped, the arrays move as torch's."""
    rng = np.random.default_rng(9)
    params = {"W": rng.normal(size=(3, 2)), "layers": [{"b": rng.normal(size=2), "norm": "pre"}]}
    arrays = {"W": params["W"], "b": params["layers"][0]["b"]}
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    opt = torch.optim.Adam(list(t_params.values()), lr=0.01, betas=(0.8, 0.99), eps=1e-8)
    state = gl.init_adam(params)
    for step in range(5):
        grads = {"W": rng.normal(size=(3, 2)), "layers": [{"b": rng.normal(size=2)}]}
        lr = gl.warmup_schedule(step, 3, 0.01)
        params, state = gl.adam_update(params, grads, state, lr, betas=(0.8, 0.99))
        for group in opt.param_groups:
            group["lr"] = lr
        t_params["W"].grad = torch.from_numpy(grads["W"])
        t_params["b"].grad = torch.from_numpy(grads["layers"][0]["b"])
        opt.step()
    assert params["layers"][0]["norm"] == "pre"
    for ours, key in ((params["W"], "W"), (params["layers"][0]["b"], "b")):
        np.testing.assert_allclose(ours, t_params[key].detach().numpy(), rtol=1e-12, atol=1e-12)


# --- the models: whole losses, their gradients against autograd ---------------------------


def torch_linear(p, x):
    return x @ p["W"] + p["b"]


def torch_gnn(p, h, graph, activation=torch.relu):
    s = idx(graph.senders)
    out = h @ p["U"] + torch_propagate(graph, (h @ p["V"])[s]) + p["b"]
    return out if activation is None else activation(out)


def torch_dense_mha(keep, d_model, H):
    """Multi-head attention on a padded batch, keys masked by ``keep: (B, L)``."""
    mask = torch.from_numpy(keep)[:, None, None, :]  # (B, 1, 1, L): attend to real nodes only

    def mha(p, h):
        B, L, _ = h.shape
        q, k, v = (
            (h @ p[f"W_{c}"] + p[f"b_{c}"]).view(B, L, H, d_model // H).transpose(1, 2)
            for c in "QKV"
        )
        heads = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return heads.transpose(1, 2).reshape(B, L, d_model) @ p["W_O"] + p["b_O"]

    return mha


def test_node_classifier_loss():
    graph, club, _ = gl.karate_club()
    rng = np.random.default_rng(12)
    x = rng.normal(size=(graph.num_nodes, 3))
    params = randomize_params(gl.init_node_classifier(rng, 3, 4, 2), rng)
    nodes = np.array([0, 5, 33])
    loss, _, grads = gl.node_classifier_loss(params, x, graph, nodes, club[nodes])
    cache = {}
    z, _ = gl.node_classifier(params, x, graph, cache=cache)
    R = rng.normal(size=z.shape)
    _, d_x = gl.node_classifier_backward(cache, R)

    tp, tx = tree_to_torch(params), T(x)
    t_z = torch_gnn(tp["layer2"], torch_gnn(tp["layer1"], tx, graph), graph, None)
    assert abs(loss - torch_cross_entropy(t_z[idx(nodes)], club[nodes])) < 1e-12
    assert_grads(grads, tp)
    tx.grad = None
    (
        torch_gnn(tp["layer2"], torch_gnn(tp["layer1"], tx, graph), graph, None)
        * torch.from_numpy(R)
    ).sum().backward()
    np.testing.assert_allclose(d_x, tx.grad.numpy(), **TOL)


@pytest.mark.parametrize("kind", ["path", "tree"])
def test_sentence_gnn_loss(kind):
    data = gl.agreement_dataset(4, seed=3)
    vocab = gl.agreement_vocabulary()
    batch = gl.graph_batch(
        gl.dataset_graphs(data, kind), gl.token_ids(data["tokens"]), data["verb"]
    )
    rng = np.random.default_rng(13)
    params = randomize_params(gl.init_sentence_gnn(rng, len(vocab), 4, 2), rng)
    loss, _, grads = gl.sentence_gnn_loss(params, batch, data["labels"])

    tp = tree_to_torch(params)
    h = torch.nn.functional.embedding(idx(batch["tokens"]), tp["embed"])
    for layer in tp["layers"]:
        h = torch_gnn(layer, h, batch["graph"])
    logits = torch_linear(tp["out"], h[idx(batch["rows"])])
    assert abs(loss - torch_cross_entropy(logits, data["labels"])) < 1e-12
    assert_grads(grads, tp)


@pytest.mark.parametrize(
    ("norm", "positions"),
    [("post", True), ("pre", False), (None, True)],
    ids=["post-LN", "pre-LN no positions", "no-LN"],
)
def test_sentence_transformer_loss(norm, positions):
    data = gl.agreement_dataset(4, seed=4)
    vocab = gl.agreement_vocabulary()
    tokens, mask = gl.pad_batch(gl.token_ids(data["tokens"]))
    rows, labels = data["verb"], data["labels"]
    rng = np.random.default_rng(14)
    params = gl.init_sentence_transformer(
        rng, len(vocab), 4, 2, 6, 2, norm=norm, positions=positions
    )
    params = randomize_params(params, rng)
    loss, _, grads = gl.sentence_transformer_loss(params, tokens, mask, rows, labels)

    B, L = tokens.shape
    tp = tree_to_torch(params)
    h = torch.nn.functional.embedding(torch.from_numpy(tokens), tp["embed"])
    if positions:  # the sine/cosine table of Vaswani et al., computed here on its own
        pos = np.arange(L)[:, None] / 10000 ** (np.arange(0, 4, 2)[None, :] / 4)
        pe = np.zeros((L, 4))
        pe[:, 0::2], pe[:, 1::2] = np.sin(pos), np.cos(pos)
        h = h + torch.from_numpy(pe)
    mha = torch_dense_mha(mask, 4, 2)
    for layer in tp["layers"]:
        h = torch_transformer_layer(layer, h, mha)
    logits = torch_linear(tp["out"], h[torch.arange(B), idx(rows)])
    assert abs(loss - torch_cross_entropy(logits, labels)) < 1e-12
    assert_grads(grads, tp)


@pytest.mark.parametrize("virtual_node", [False, True])
def test_residual_gnn_loss(virtual_node):
    data = gl.nearest_marked_dataset(3, 0, max_distance=4, extra_nodes=2)
    batch = gl.node_batch(data["graphs"], data["features"], virtual_node=virtual_node)
    rng = np.random.default_rng(10)
    params = gl.init_residual_gnn(rng, 6, 4, 2, 4, virtual_node=virtual_node)
    params = randomize_params(params, rng)
    loss, _, grads = gl.residual_gnn_loss(params, batch, data["labels"])

    graph = batch["graph"]
    tp = tree_to_torch(params)
    h = torch_linear(tp["input"], torch.from_numpy(batch["x"]))
    for layer in tp["layers"]:
        h = h + torch_gnn(layer["gnn"], torch_ln(layer["norm"], h), graph)
    logits = torch_linear(tp["out"], h[idx(batch["rows"])])
    assert abs(loss - torch_cross_entropy(logits, data["labels"])) < 1e-12
    assert_grads(grads, tp)


@pytest.mark.parametrize(
    ("positions", "norm"),
    [(True, "pre"), (False, "pre"), (True, None), (True, "post")],
    ids=["pe", "no pe", "no LayerNorm", "post-LN"],
)
def test_graph_transformer_loss(positions, norm):
    data = gl.nearest_marked_dataset(3, 1, max_distance=4, extra_nodes=1)
    x, mask = gl.pad_batch(data["features"])
    pe, _ = gl.pad_batch(gl.laplacian_positions(data["graphs"], 3))
    pe = pe if positions else None
    rng = np.random.default_rng(11)
    params = gl.init_graph_transformer(rng, 6, 3, 4, 2, 6, 4, 2, positions=positions, norm=norm)
    params = randomize_params(params, rng)
    loss, _, grads = gl.graph_transformer_loss(params, x, pe, mask, data["labels"])

    tp = tree_to_torch(params)
    mha = torch_dense_mha(mask, 4, 2)
    h = torch_linear(tp["input"], torch.from_numpy(x))
    if positions:
        h = h + torch_linear(tp["positions"], torch.from_numpy(pe))
    for layer in tp["layers"]:
        h = torch_transformer_layer(layer, h, mha)
    logits = torch_linear(tp["out"], h[:, 0])
    assert abs(loss - torch_cross_entropy(logits, data["labels"])) < 1e-12
    assert_grads(grads, tp)
