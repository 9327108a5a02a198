r"""DRAFT (phase 1 of issue 10): backward functions written against the public forwards.

The forwards here are textbook copies of the public ones with a ``cache=`` keyword;
once the core refactor lands, the ``cache`` line goes into the public forwards and each
``*_backward`` moves next to its forward. This file is then deleted.
"""

from __future__ import annotations

import numpy as np

from .attention import scaled_dot_product_attention
from .graphs import Graph
from .layers import elu, leaky_relu, relu
from .message_passing import propagate, segment_softmax, segment_sum

# --- graphs.py ---------------------------------------------------------------------


def reverse_graph(graph: Graph, return_edge_order: bool = False):
    """The graph with every edge turned round: j -> i becomes i -> j."""
    rev = Graph(graph.receivers, graph.senders, graph.num_nodes)
    if return_edge_order:
        return rev, np.lexsort((graph.receivers, graph.senders))
    return rev


# --- message_passing.py ------------------------------------------------------------


def propagate_backward(graph: Graph, d_out):
    """Backward of propagate: a gather by receivers."""
    return np.asarray(d_out)[graph.receivers]


def segment_softmax_backward(alpha, d_alpha, segment_ids, num_segments):
    r"""d_logits = alpha * (d_alpha - sum_{segment} alpha * d_alpha)."""
    ids = np.asarray(segment_ids)
    total = segment_sum(alpha * d_alpha, ids, num_segments)
    return alpha * (d_alpha - total[ids])


# --- attention.py ------------------------------------------------------------------


def softmax_backward(weights, d_weights, axis: int = -1):
    return weights * (d_weights - (weights * d_weights).sum(axis=axis, keepdims=True))


def sdpa(q, k, v, mask=None, *, cache=None):
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    if cache is not None:
        cache.update(q=q, k=k, v=v, weights=weights)
    return out, weights


def scaled_dot_product_attention_backward(cache, d_out):
    q, k, v, weights = cache["q"], cache["k"], cache["v"], cache["weights"]
    scale = 1.0 / np.sqrt(max(q.shape[-1], 1))
    d_o = np.moveaxis(d_out, -2, -3)  # (..., H, n, d_v)
    vh = np.moveaxis(v, -2, -3)  # (..., H, m, d_v)
    d_weights = d_o @ np.swapaxes(vh, -1, -2)  # (..., H, n, m)
    d_v = np.moveaxis(np.swapaxes(weights, -1, -2) @ d_o, -3, -2)
    d_s = softmax_backward(weights, d_weights) * scale
    d_q = np.moveaxis(d_s @ np.moveaxis(k, -2, -3), -3, -2)
    d_k = np.moveaxis(np.swapaxes(d_s, -1, -2) @ np.moveaxis(q, -2, -3), -3, -2)
    return d_q, d_k, d_v


def graph_attention(q, k, v, graph, *, cache=None):
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    scale = 1.0 / np.sqrt(max(q.shape[-1], 1))
    scores = np.einsum("ehd,ehd->eh", q[r], k[s]) * scale
    alpha = segment_softmax(scores, r, n)
    out = propagate(graph, alpha[:, :, None] * v[s])
    if cache is not None:
        cache.update(q=q, k=k, v=v, alpha=alpha)
    return out, alpha


def graph_attention_backward(graph, cache, d_out):
    q, k, v, alpha = cache["q"], cache["k"], cache["v"], cache["alpha"]
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    scale = 1.0 / np.sqrt(max(q.shape[-1], 1))
    d_messages = propagate_backward(graph, d_out)  # (E, H, d_v)
    d_alpha = np.einsum("ehd,ehd->eh", d_messages, v[s])
    d_v = segment_sum(alpha[:, :, None] * d_messages, s, n)  # backward of the gather v[s]
    d_scores = segment_softmax_backward(alpha, d_alpha, r, n) * scale
    d_q = propagate(graph, d_scores[:, :, None] * k[s])  # backward of the gather q[r]
    d_k = segment_sum(d_scores[:, :, None] * q[r], s, n)  # backward of the gather k[s]
    return d_q, d_k, d_v


# --- layers.py -----------------------------------------------------------------------


def activation_backward(activation, pre, d_out):
    if activation is None:
        return d_out
    if activation is relu:
        return d_out * (pre > 0)
    if activation is elu:
        return d_out * np.where(pre > 0, 1.0, np.exp(np.minimum(pre, 0)))
    if activation is leaky_relu:
        return d_out * np.where(pre > 0, 1.0, 0.2)
    raise ValueError(f"no backward for activation {activation!r}")


def gnn_layer(params, h, graph, activation=relu, *, cache=None):
    messages = (h @ params["V"])[graph.senders]
    pre = h @ params["U"] + propagate(graph, messages) + params["b"]
    if cache is not None:
        cache.update(h=h, pre=pre, activation=activation)
    return pre if activation is None else activation(pre)


def gnn_layer_backward(params, graph, cache, d_out):
    h = cache["h"]
    d_pre = activation_backward(cache["activation"], cache["pre"], d_out)
    d_messages = propagate_backward(graph, d_pre)  # (E, d_out): each edge gets its receiver's
    d_hV = segment_sum(d_messages, graph.senders, graph.num_nodes)  # = propagate on reversed
    d_params = {"U": h.T @ d_pre, "V": h.T @ d_hV, "b": d_pre.sum(axis=0)}
    return d_params, d_pre @ params["U"].T + d_hV @ params["V"].T


def gat_layer(params, h, graph, activation=elu, concat=True, negative_slope=0.2, *, cache=None):
    n = h.shape[0]
    H, d_out = params["a_src"].shape
    s, r = graph.senders, graph.receivers
    z = (h @ params["W"]).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, params["a_src"])
    s_dst = np.einsum("nhd,hd->nh", z, params["a_dst"])
    u = s_src[s] + s_dst[r]
    e = leaky_relu(u, negative_slope)
    alpha = segment_softmax(e, r, n)
    agg = propagate(graph, alpha[:, :, None] * z[s])
    out = agg.reshape(n, H * d_out) if concat else agg.mean(axis=1)
    pre = out + params["b"]
    if cache is not None:
        cache.update(
            h=h,
            z=z,
            u=u,
            alpha=alpha,
            pre=pre,
            activation=activation,
            concat=concat,
            negative_slope=negative_slope,
        )
    return (pre if activation is None else activation(pre)), alpha


def gat_layer_backward(params, graph, cache, d_out):
    h, z, u, alpha = cache["h"], cache["z"], cache["u"], cache["alpha"]
    n, H, d = z.shape
    s, r = graph.senders, graph.receivers
    d_pre = activation_backward(cache["activation"], cache["pre"], d_out)
    d_b = d_pre.sum(axis=0)
    if cache["concat"]:
        d_agg = d_pre.reshape(n, H, d)
    else:
        d_agg = np.broadcast_to(d_pre[:, None, :] / H, (n, H, d))
    d_messages = propagate_backward(graph, d_agg)  # (E, H, d)
    d_alpha = np.einsum("ehd,ehd->eh", d_messages, z[s])
    d_z = segment_sum(alpha[:, :, None] * d_messages, s, n)
    d_e = segment_softmax_backward(alpha, d_alpha, r, n)
    d_u = d_e * np.where(u > 0, 1.0, cache["negative_slope"])
    d_src = segment_sum(d_u, s, n)  # backward of the gather s_src[senders]
    d_dst = propagate(graph, d_u)  # backward of the gather s_dst[receivers]
    d_z = d_z + d_src[:, :, None] * params["a_src"] + d_dst[:, :, None] * params["a_dst"]
    d_params = {
        "W": h.T @ d_z.reshape(n, H * d),
        "a_src": np.einsum("nh,nhd->hd", d_src, z),
        "a_dst": np.einsum("nh,nhd->hd", d_dst, z),
        "b": d_b,
    }
    return d_params, d_z.reshape(n, H * d) @ params["W"].T


def _lin(params, x, w, b):
    out = x @ params[w]
    return out + params[b] if b in params else out


def multi_head_attention(params, h, graph=None, *, num_heads, mask=None, cache=None):
    *batch, n, d_model = h.shape
    d_head = d_model // num_heads
    q, k, v = (
        _lin(params, h, f"W_{x}", f"b_{x}").reshape(*batch, n, num_heads, d_head) for x in "QKV"
    )
    inner = {} if cache is not None else None
    if graph is None:
        out, weights = sdpa(q, k, v, mask, cache=inner)
    else:
        out, weights = graph_attention(q, k, v, graph, cache=inner)
    o = out.reshape(*batch, n, d_model)
    if cache is not None:
        cache.update(h=h, o=o, attention=inner)
    return _lin(params, o, "W_O", "b_O"), weights


def _lin_backward(params, x, d_y, w, b, grads):
    x2, d2 = x.reshape(-1, x.shape[-1]), d_y.reshape(-1, d_y.shape[-1])
    grads[w] = x2.T @ d2
    if b in params:
        grads[b] = d2.sum(axis=0)
    return d_y @ params[w].T


def multi_head_attention_backward(params, graph, cache, d_out):
    h, o = cache["h"], cache["o"]
    *batch, n, d_model = h.shape
    d_params = {}
    d_o = _lin_backward(params, o, d_out, "W_O", "b_O", d_params)
    H = cache["attention"]["q"].shape[-2]
    d_o = d_o.reshape(*batch, n, H, d_model // H)
    if graph is None:
        d_qkv = scaled_dot_product_attention_backward(cache["attention"], d_o)
    else:
        d_qkv = graph_attention_backward(graph, cache["attention"], d_o)
    d_h = np.zeros_like(h)
    for x, d_x in zip("QKV", d_qkv, strict=True):
        d_h += _lin_backward(
            params, h, d_x.reshape(*batch, n, d_model), f"W_{x}", f"b_{x}", d_params
        )
    return {key: d_params[key] for key in params}, d_h


def layer_norm(x, gamma, beta, eps=1e-5, *, cache=None):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    if cache is not None:
        cache.update(xhat=xhat, rstd=1 / np.sqrt(var + eps), gamma=gamma)
    return xhat * gamma + beta


def layer_norm_backward(cache, d_out):
    xhat, rstd, gamma = cache["xhat"], cache["rstd"], cache["gamma"]
    d2 = d_out.reshape(-1, d_out.shape[-1])
    d_gamma = (d2 * xhat.reshape(d2.shape)).sum(axis=0)
    d_beta = d2.sum(axis=0)
    d_xhat = d_out * gamma
    d_x = rstd * (
        d_xhat
        - d_xhat.mean(axis=-1, keepdims=True)
        - xhat * (d_xhat * xhat).mean(axis=-1, keepdims=True)
    )
    return d_x, d_gamma, d_beta


def feed_forward(params, x, *, cache=None):
    a = x @ params["W1"] + params["b1"]
    r = relu(a)
    if cache is not None:
        cache.update(x=x, a=a, r=r)
    return r @ params["W2"] + params["b2"]


def feed_forward_backward(params, cache, d_out):
    x, a, r = cache["x"], cache["a"], cache["r"]
    d2 = d_out.reshape(-1, d_out.shape[-1])
    d_r = d_out @ params["W2"].T
    d_a = d_r * (a > 0)
    da2 = d_a.reshape(-1, d_a.shape[-1])
    d_params = {
        "W1": x.reshape(-1, x.shape[-1]).T @ da2,
        "b1": da2.sum(axis=0),
        "W2": r.reshape(-1, r.shape[-1]).T @ d2,
        "b2": d2.sum(axis=0),
    }
    return d_params, d_a @ params["W1"].T


def transformer_layer(params, h, graph=None, *, num_heads, norm_first=False, mask=None, cache=None):
    ln1, ln2 = params["ln1"], params["ln2"]
    c = {"attn": {}, "ln1": {}, "ffn": {}, "ln2": {}} if cache is not None else {}

    def attend(x):
        return multi_head_attention(
            params["attn"], x, graph, num_heads=num_heads, mask=mask, cache=c.get("attn")
        )

    if norm_first:
        a, weights = attend(layer_norm(h, ln1["gamma"], ln1["beta"], cache=c.get("ln1")))
        x = h + a
        f = feed_forward(
            params["ffn"],
            layer_norm(x, ln2["gamma"], ln2["beta"], cache=c.get("ln2")),
            cache=c.get("ffn"),
        )
        out = x + f
    else:
        a, weights = attend(h)
        x = layer_norm(h + a, ln1["gamma"], ln1["beta"], cache=c.get("ln1"))
        out = layer_norm(
            x + feed_forward(params["ffn"], x, cache=c.get("ffn")),
            ln2["gamma"],
            ln2["beta"],
            cache=c.get("ln2"),
        )
    if cache is not None:
        cache.update(c, norm_first=norm_first)
    return out, weights


def transformer_layer_backward(params, graph, cache, d_out):
    def ln_back(name, d):
        d_x, d_gamma, d_beta = layer_norm_backward(cache[name], d)
        return {"gamma": d_gamma, "beta": d_beta}, d_x

    grads = {}
    if cache["norm_first"]:
        grads["ffn"], d_v = feed_forward_backward(params["ffn"], cache["ffn"], d_out)
        grads["ln2"], d_x = ln_back("ln2", d_v)
        d_x = d_out + d_x
        grads["attn"], d_u = multi_head_attention_backward(
            params["attn"], graph, cache["attn"], d_x
        )
        grads["ln1"], d_h = ln_back("ln1", d_u)
        d_h = d_x + d_h
    else:
        grads["ln2"], d_s2 = ln_back("ln2", d_out)
        grads["ffn"], d_x = feed_forward_backward(params["ffn"], cache["ffn"], d_s2)
        grads["ln1"], d_s1 = ln_back("ln1", d_s2 + d_x)
        grads["attn"], d_h = multi_head_attention_backward(
            params["attn"], graph, cache["attn"], d_s1
        )
        d_h = d_s1 + d_h
    return {key: grads[key] for key in params}, d_h
