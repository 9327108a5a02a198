r"""The Transformer's layer as pure functions: multi-head attention and the layer itself.

A Transformer layer is two residual sub-layers, each one equation:

.. math::
    x = h + \operatorname{MHA}(h), \qquad h' = x + \operatorname{FFN}(x)

with a LayerNorm after each sum (post-LN, the original Transformer) or before each
sub-layer (pre-LN). Multi-head attention is the GAT of ``gnn_layers`` with a
dot-product score on the complete graph (or on any graph you give it); LayerNorm and
the feed-forward net act on each word on its own (``position_wise``).

Conventions as in ``gnn_layers``: ``layer(params, h, graph)``, params a dict of
arrays from ``init_*`` plus the settings it recorded (``num_heads``, ``norm``),
row vectors, the dtype of ``h``; and ``d_params, d_h = <layer>_backward(cache,
d_out)`` after a forward with ``cache={}``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    UNSET,
    as_count,
    as_features,
    as_rng,
    check_cache,
    check_params,
    check_upstream,
    get_param,
    setting,
)
from ._params import glorot, is_setting, layer_norm_params, sub_caches, tree_map
from .attention import (
    graph_attention,
    graph_attention_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from .graphs import Graph, check_graph
from .position_wise import feed_forward, feed_forward_backward, layer_norm, layer_norm_backward

__all__ = [
    "init_multi_head_attention",
    "init_transformer_layer",
    "multi_head_attention",
    "multi_head_attention_backward",
    "transformer_layer",
    "transformer_layer_backward",
]

Params = dict[str, np.ndarray]
NORMS = ("post", "pre", None)


# --- multi-head attention -------------------------------------------------------------


def init_multi_head_attention(
    rng: np.random.Generator, d_model: int, num_heads: int, *, dtype=np.float64
) -> dict:
    """Parameters of ``multi_head_attention``: ``W_Q, W_K, W_V, W_O: (d_model, d_model)``
    (Glorot), ``b_Q, b_K, b_V, b_O: (d_model,)`` (zeros), and the setting ``num_heads``."""
    rng = as_rng(rng)
    d_model = as_count(d_model, "d_model")
    _head_dim(d_model, num_heads)
    params = {f"W_{x}": glorot(rng, d_model, d_model, dtype) for x in "QKVO"}
    params.update({f"b_{x}": np.zeros(d_model, dtype=dtype) for x in "QKVO"})
    return params | {"num_heads": int(num_heads)}


def multi_head_attention(
    params: Params,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    num_heads: int = UNSET,
    return_attention: bool = False,
    mask: ArrayLike | None = None,
    cache: dict | None = None,
):
    r"""Multi-head self-attention: H attention heads side by side, concatenated, mixed by W_O.

    .. math::
        q = h W_Q,\ k = h W_K,\ v = h W_V, \qquad
        \text{head}^{(k)}_i = \sum_{j \in \mathcal{N}(i)}
            \operatorname{softmax}_j\!\left(
                \frac{q^{(k)}_i \cdot k^{(k)}_j}{\sqrt{d_\text{head}}}\right) v^{(k)}_j

    .. math:: h_i' = \big[\text{head}^{(1)}_i \,\Vert\, \dots \,\Vert\, \text{head}^{(H)}_i\big] W_O

    Heads are split by reshaping the last axis to ``(H, d_head)``, the convention
    of ``torch.nn.MultiheadAttention``. Optional biases ``b_Q, b_K, b_V, b_O`` are
    added after each projection.

    Args:
        params: ``W_Q, W_K, W_V, W_O: (d_model, d_model)``, optional ``b_*: (d_model,)``.
        h: ``(n, d_model)``; on the dense path also a padded batch ``(B, n, d_model)``.
        graph: ``None`` for all words attending to all words (dense path,
            ``N(i) = S``), or a ``Graph`` for sparse attention along its edges.
        num_heads: ``H``, which must divide ``d_model``; by default what
            ``init_multi_head_attention`` recorded (params made by hand need it).
        return_attention: also return the weights: ``(..., H, n, n)`` dense, ``(E, H)``
            with a graph.
        mask: dense path only: boolean, broadcastable to ``(..., n, n)``, ``True`` where
            query i may attend to key j -- e.g. ``(B, 1, n)`` to hide the padding keys
            of a padded batch (as ``scaled_dot_product_attention``).
        cache: if a dict, filled with what ``multi_head_attention_backward`` needs.

    Returns:
        ``h': (..., n, d_model)``, or ``(h', weights)``.
    """
    h, p, H = _check_multi_head_attention(params, h, graph, num_heads, mask)
    split = (*h.shape[:-1], H, h.shape[-1] // H)  # each head gets d_head features
    q = (h @ p["W_Q"] + p["b_Q"]).reshape(split)
    k = (h @ p["W_K"] + p["b_K"]).reshape(split)
    v = (h @ p["W_V"] + p["b_V"]).reshape(split)
    if graph is None:  # N(i) = S: every word (that the mask allows)
        heads, weights = scaled_dot_product_attention(q, k, v, mask, cache=cache, check_input=False)
    else:  # N(i) from the graph's edges
        heads, weights = graph_attention(q, k, v, graph, cache=cache, check_input=False)
    heads = heads.reshape(h.shape)  # concatenate the heads ...
    if cache is not None:
        cache.update(params=params, graph=graph, h=h, heads=heads, num_heads=H)
    out = heads @ p["W_O"] + p["b_O"]  # ... and mix them by W_O
    return (out, weights) if return_attention else out


def multi_head_attention_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``multi_head_attention``: ``(d_params, d_h)``.

    With :math:`c` the concatenated heads and :math:`G = \partial L / \partial h'`:

    .. math::
        \frac{\partial L}{\partial W_O} = c^\top G, \quad
        \frac{\partial L}{\partial c} = G W_O^\top, \qquad
        \frac{\partial L}{\partial W_X} = h^\top \frac{\partial L}{\partial x}, \quad
        \frac{\partial L}{\partial h} = \sum_{x \in \{q, k, v\}}
            \frac{\partial L}{\partial x} W_X^\top

    (biases: the sums of the same gradients over the words), where
    :math:`\partial L / \partial q, k, v` come from
    ``scaled_dot_product_attention_backward`` on the dense path and from
    ``graph_attention_backward`` (message passing on the reversed graph) with a graph.

    Args:
        cache: the dict given to ``multi_head_attention(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'``, shaped like ``h``.

    Returns:
        ``d_params`` with the keys of ``params`` (biases only if present), and ``d_h``.
    """
    keys = ("params", "graph", "h", "heads", "num_heads")
    cache = check_cache(cache, keys, "multi_head_attention")
    params, graph, h, heads = cache["params"], cache["graph"], cache["h"], cache["heads"]
    G = check_upstream(d_out, h.shape, "multi_head_attention")
    flat = (-1, h.shape[-1])  # every word of every sentence is one row
    d_params = {"W_O": heads.reshape(flat).T @ G.reshape(flat), "b_O": G.reshape(flat).sum(0)}
    d_heads = (G @ params["W_O"].T).reshape(*h.shape[:-1], cache["num_heads"], -1)
    if graph is None:
        d_qkv = scaled_dot_product_attention_backward(cache, d_heads)
    else:
        d_qkv = graph_attention_backward(cache, d_heads)
    d_h = np.zeros_like(h)
    for x, d_x in zip("QKV", d_qkv, strict=True):
        d_x = d_x.reshape(flat)
        d_params[f"W_{x}"], d_params[f"b_{x}"] = h.reshape(flat).T @ d_x, d_x.sum(axis=0)
        d_h += (d_x @ params[f"W_{x}"].T).reshape(h.shape)
    return {key: d_params[key] for key in params if not is_setting(params[key])}, d_h


# --- the Transformer layer --------------------------------------------------------------


def init_transformer_layer(
    rng: np.random.Generator,
    d_model: int,
    num_heads: int,
    d_ff: int,
    *,
    norm: str | None = "post",
    dtype=np.float64,
) -> dict:
    """Parameters of ``transformer_layer``: ``{"attn", "ln1", "ffn", "ln2", "norm"}``.

    ``attn`` as ``init_multi_head_attention`` (it records ``num_heads``); ``ffn``:
    ``W1 (d_model, d_ff)``, ``b1``, ``W2 (d_ff, d_model)``, ``b2``; ``ln1``, ``ln2``:
    ``gamma`` (ones), ``beta`` (zeros), each ``(d_model,)``, absent for ``norm=None``.
    ``norm`` -- ``"post"``, ``"pre"`` or ``None`` -- is recorded as a setting, which
    ``transformer_layer`` reads.
    """
    rng = as_rng(rng)
    d_model, d_ff = as_count(d_model, "d_model"), as_count(d_ff, "d_ff")
    norm = _check_norm(norm)
    attn = init_multi_head_attention(rng, d_model, num_heads, dtype=dtype)
    ffn = {
        "W1": glorot(rng, d_model, d_ff, dtype),
        "b1": np.zeros(d_ff, dtype=dtype),
        "W2": glorot(rng, d_ff, d_model, dtype),
        "b2": np.zeros(d_model, dtype=dtype),
    }
    if norm is None:
        return {"attn": attn, "ffn": ffn, "norm": None}
    ln1, ln2 = layer_norm_params(d_model, dtype), layer_norm_params(d_model, dtype)
    return {"attn": attn, "ln1": ln1, "ffn": ffn, "ln2": ln2, "norm": norm}


def transformer_layer(
    params: dict,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    norm: str | None = UNSET,
    num_heads: int = UNSET,
    return_attention: bool = False,
    mask: ArrayLike | None = None,
    cache: dict | None = None,
):
    r"""One Transformer encoder layer: attention, residual, LayerNorm, FFN, residual, LayerNorm.

    Post-LN (the original Transformer, ``norm="post"``):

    .. math::
        x = \operatorname{LN}_1\big(h + \operatorname{MHA}(h)\big), \qquad
        h' = \operatorname{LN}_2\big(x + \operatorname{FFN}(x)\big)

    Pre-LN (``norm="pre"``, easier to train deep):

    .. math::
        x = h + \operatorname{MHA}(\operatorname{LN}_1(h)), \qquad
        h' = x + \operatorname{FFN}(\operatorname{LN}_2(x))

    and ``norm=None``, the same without any LayerNorm (an experiment of notebook 09).

    Equals ``torch.nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0,
    batch_first=True, norm_first=norm == "pre")`` given the same weights.

    Args:
        params: ``{"attn", "ln1", "ffn", "ln2", "norm"}`` from ``init_transformer_layer``.
        h: ``(n, d_model)``; on the dense path also a padded batch ``(B, n, d_model)``.
        graph: ``None`` (every word attends to every word) or a ``Graph``.
        norm: ``"post"``, ``"pre"`` or ``None``; by default what ``init_transformer_layer``
            recorded (``"post"`` for params made by hand).
        num_heads: ``H``; by default what ``init_multi_head_attention`` recorded.
        return_attention: also return the attention weights of the layer.
        mask: dense path only, as in ``multi_head_attention`` (e.g. ``(B, 1, n)``
            hides the padding keys).
        cache: if a dict, filled with what ``transformer_layer_backward`` needs.

    Returns:
        ``h': (..., n, d_model)``, or ``(h', weights)``.
    """
    h, norm = _check_transformer_layer(params, h, graph, norm)
    c = sub_caches(cache, "attn", "ln1", "ffn", "ln2")
    attention = {}

    def mha(x):
        out, attention["weights"] = multi_head_attention(
            params["attn"],
            x,
            graph,
            num_heads=num_heads,
            return_attention=True,
            mask=mask,
            cache=c["attn"],
        )
        return out

    def ffn(x):
        return feed_forward(params["ffn"], x, cache=c["ffn"])

    def ln(part, x):  # LN_1 or LN_2; the identity for norm=None
        if norm is None:
            return x
        return layer_norm(x, params[part]["gamma"], params[part]["beta"], cache=c[part])

    if norm == "post":  # the LayerNorm after each residual sum
        x = ln("ln1", h + mha(h))
        out = ln("ln2", x + ffn(x))
    else:  # pre-LN (or none at all): the residual path skips every LayerNorm
        x = h + mha(ln("ln1", h))
        out = x + ffn(ln("ln2", x))
    if cache is not None:
        cache.update(c, params=params, norm=norm, shape=h.shape)
    return (out, attention["weights"]) if return_attention else out


def transformer_layer_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``transformer_layer``: ``(d_params, d_h)``, sub-layer by sub-layer.

    The chain rule read bottom-up. A residual :math:`y = x + F(x)` passes its gradient
    on twice, :math:`\partial L / \partial x = G + (\partial F / \partial x)^\top G`.
    Post-LN:

    .. math::
        G_s = \text{LN}_2^\top(G), \quad
        G_x = G_s + \text{FFN}^\top(G_s), \quad
        G_a = \text{LN}_1^\top(G_x), \quad
        \frac{\partial L}{\partial h} = G_a + \text{MHA}^\top(G_a)

    Pre-LN, where the residual path skips every LayerNorm (``norm=None``: every
    :math:`\text{LN}^\top` is the identity):

    .. math::
        G_x = G + \text{LN}_2^\top\big(\text{FFN}^\top(G)\big), \quad
        \frac{\partial L}{\partial h} = G_x + \text{LN}_1^\top\big(\text{MHA}^\top(G_x)\big)

    (:math:`F^\top` is ``F``'s backward function). The pre-LN residual carries the
    gradient to ``h`` unchanged, which is why it trains without warm-up.

    Args:
        cache: the dict given to ``transformer_layer(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'``, shaped like ``h``.

    Returns:
        ``d_params`` with the parts of ``params`` (``attn``, ``ln1``, ``ffn``, ``ln2``)
        and ``d_h``.
    """
    keys = ("params", "attn", "ln1", "ffn", "ln2", "norm", "shape")
    cache = check_cache(cache, keys, "transformer_layer")
    params, norm = cache["params"], cache["norm"]
    G = check_upstream(d_out, cache["shape"], "transformer_layer")
    grads = {}

    def mha_T(d):
        grads["attn"], d_x = multi_head_attention_backward(cache["attn"], d)
        return d_x

    def ffn_T(d):
        grads["ffn"], d_x = feed_forward_backward(cache["ffn"], d)
        return d_x

    def ln_T(part, d):
        if norm is None:
            return d
        grads[part], d_x = layer_norm_backward(cache[part], d)
        return d_x

    if norm == "post":
        G_s = ln_T("ln2", G)
        G_a = ln_T("ln1", G_s + ffn_T(G_s))
        d_h = G_a + mha_T(G_a)
    else:
        G_x = G + ln_T("ln2", ffn_T(G))
        d_h = G_x + ln_T("ln1", mha_T(G_x))
    for part in params:  # a part the layer did not use (LayerNorms run with norm=None): 0
        if part not in grads and not is_setting(params[part]):
            grads[part] = tree_map(np.zeros_like, params[part], keep_settings=False)
    return {part: grads[part] for part in params if part in grads}, d_h


# --- input checks: one call at the top of each layer -------------------------------


def _head_dim(d_model: int, num_heads: int) -> int:
    __tracebackhide__ = True
    num_heads = as_count(num_heads, "num_heads")
    if num_heads < 1 or d_model % num_heads:
        raise ValueError(
            f"num_heads={num_heads} must be >= 1 and divide d_model={d_model} "
            f"(each head gets d_head = d_model / num_heads features)"
        )
    return d_model // num_heads


def _check_multi_head_attention(params, h, graph, num_heads, mask=None):
    """``(h, p, H)``: ``p`` holds the four weights and four biases (0 where a bias is absent)."""
    __tracebackhide__ = True
    params = check_params(params, "multi_head_attention")
    h = as_features(h, batched=graph is None)
    n, d = h.shape[-2:]
    if num_heads is not UNSET:
        num_heads = as_count(num_heads, "num_heads")
    H = setting(params, "num_heads", num_heads, UNSET)
    if H is UNSET:
        raise ValueError(
            "num_heads is needed: these params do not record it (init_multi_head_attention "
            "does); pass num_heads=H"
        )
    _head_dim(d, H)
    if graph is not None:
        check_graph(graph, n)
        if mask is not None:
            raise ValueError("mask is for the dense path (graph=None); a graph is its own mask")
    ctx = f"h has d_model={d}"
    p = {key: get_param(params, key, (d, d), h.dtype, ctx) for key in ("W_Q", "W_K", "W_V", "W_O")}
    for b in ("b_Q", "b_K", "b_V", "b_O"):
        p[b] = get_param(params, b, (d,), h.dtype, ctx) if b in params else np.zeros(d, h.dtype)
    return h, p, int(H)


def _check_norm(norm):
    __tracebackhide__ = True
    if norm not in NORMS:
        raise ValueError(f'norm must be "post", "pre" or None, got {norm!r}')
    return norm


def _check_transformer_layer(params, h, graph, norm):
    __tracebackhide__ = True
    params = check_params(params, "transformer_layer")
    h = as_features(h, batched=graph is None)
    norm = _check_norm(setting(params, "norm", norm, "post"))
    parts = ("attn", "ffn") if norm is None else ("attn", "ln1", "ffn", "ln2")
    for key in parts:
        if key not in params:
            raise ValueError(
                f"params is missing key {key!r} (has {sorted(params)}) for norm={norm!r}; "
                f"use init_transformer_layer(..., norm={norm!r})"
            )
    return h, norm
