r"""The three layers of the talk -- GNN, GAT, Transformer -- as pure functions.

Each layer is ``layer(params, h, graph)`` where ``params`` is a plain dict of
arrays made by the matching ``init_*`` function, ``h: (n, d)`` holds one row per
node, and weights act on the right (``h @ W``). The talk writes ``U h_i`` with
column vectors; here that is ``h_i U``: the same maths with transposed weights.

Layers compute in the dtype of ``h`` (float32 in, float32 out), never add self
loops (graphs carry them), and never modify their inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_count, as_float_array, check_params, get_param
from .attention import graph_attention, scaled_dot_product_attention
from .graphs import Graph, check_graph
from .message_passing import propagate, segment_softmax

Activation = Callable[[np.ndarray], np.ndarray] | None
Params = dict[str, np.ndarray]


# --- non-linearities ---------------------------------------------------------


def relu(x: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit, :math:`\max(x, 0)`."""
    return np.maximum(x, 0)


def elu(x: np.ndarray) -> np.ndarray:
    r"""Exponential linear unit, :math:`x` if :math:`x > 0` else :math:`e^x - 1` (GAT's default)."""
    x = np.asarray(x)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    r""":math:`x` if :math:`x > 0` else ``negative_slope`` :math:`\cdot x` (GAT's scores)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def _activate(x: np.ndarray, activation: Activation) -> np.ndarray:
    if activation is None:
        return x
    if not callable(activation):
        raise TypeError(f"activation must be a function or None, got {activation!r}")
    return activation(x)


def _glorot(rng: np.random.Generator, d_in: int, d_out: int, dtype, shape=None) -> np.ndarray:
    """Glorot/Xavier uniform: U(-l, l) with l = sqrt(6 / (d_in + d_out))."""
    limit = np.sqrt(6.0 / (d_in + d_out))
    return rng.uniform(-limit, limit, size=shape or (d_in, d_out)).astype(dtype)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a seeded np.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng


# --- GNN -----------------------------------------------------------------------


def init_gnn_layer(
    rng: np.random.Generator, d_in: int, d_out: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``gnn_layer``: ``U, V: (d_in, d_out)`` (Glorot), ``b: (d_out,)`` (zeros)."""
    rng = _check_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    return {
        "U": _glorot(rng, d_in, d_out, dtype),
        "V": _glorot(rng, d_in, d_out, dtype),
        "b": np.zeros(d_out, dtype=dtype),
    }


def gnn_layer(
    params: Params, h: ArrayLike, graph: Graph, activation: Activation = relu
) -> np.ndarray:
    r"""A plain GNN layer: a node's own features plus the sum of its neighbours'.

    .. math:: h_i' = \sigma\Big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\Big)

    (the talk's :math:`\sigma(U h_i + \sum_j V h_j)` with row vectors). The
    :math:`U` term is the self term, so run it on a graph *without* self loops.

    Args:
        params: ``{"U": (d_in, d_out), "V": (d_in, d_out), "b": (d_out,)}``.
        h: ``(n, d_in)`` node features.
        graph: a ``Graph`` on ``n`` nodes.
        activation: :math:`\sigma`, default ``relu``; ``None`` for identity.

    Returns:
        ``h': (n, d_out)``.
    """
    h, U, V, b = _check_gnn_layer(params, h, graph)
    messages = (h @ V)[graph.senders]  # gather: one message h_j V per edge j -> i
    return _activate(h @ U + propagate(graph, messages) + b, activation)


# --- GAT -----------------------------------------------------------------------


def init_gat_layer(
    rng: np.random.Generator,
    d_in: int,
    d_out: int,
    num_heads: int = 1,
    concat: bool = True,
    *,
    dtype=np.float64,
) -> dict[str, np.ndarray]:
    """Parameters of ``gat_layer``.

    ``W: (d_in, H*d_out)``, ``a_src, a_dst: (H, d_out)`` (Glorot), and
    ``b: (H*d_out,)`` if ``concat`` else ``(d_out,)`` (zeros).
    """
    rng = _check_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    H = as_count(num_heads, "num_heads")
    if H < 1:
        raise ValueError(f"num_heads must be >= 1, got {H}")
    return {
        "W": _glorot(rng, d_in, H * d_out, dtype),
        "a_src": _glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "a_dst": _glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "b": np.zeros(H * d_out if concat else d_out, dtype=dtype),
    }


def gat_layer(
    params: Params,
    h: ArrayLike,
    graph: Graph,
    activation: Activation = elu,
    concat: bool = True,
    return_attention: bool = False,
    negative_slope: float = 0.2,
):
    r"""Graph attention (Veličković et al., 2018): a softmax-weighted sum over neighbours.

    .. math::
        z = h W, \quad
        e_{ij}^{(k)} = \operatorname{LeakyReLU}_{0.2}\big(a^{(k)}_\text{src} \cdot z^{(k)}_j
            + a^{(k)}_\text{dst} \cdot z^{(k)}_i\big), \quad
        \alpha_{ij}^{(k)} = \operatorname{softmax}_{j \in \mathcal{N}(i)} e_{ij}^{(k)}

    .. math::
        h_i' = \sigma\Big(\big\Vert_{k=1}^{H} \sum_{j \in \mathcal{N}(i)}
            \alpha_{ij}^{(k)} z^{(k)}_j + b\Big)

    with heads concatenated (:math:`\Vert`) or averaged (``concat=False``), then
    the bias, then :math:`\sigma` -- the order of PyG's ``GATConv``.

    Args:
        params: ``{"W": (d_in, H*d_out), "a_src": (H, d_out), "a_dst": (H, d_out),
            "b": (H*d_out,) or (d_out,)}``; ``H`` is read from ``a_src``.
        h: ``(n, d_in)`` node features.
        graph: a ``Graph`` on ``n`` nodes (add self loops so a node sees itself).
        activation: :math:`\sigma`, default ``elu``; ``None`` gives the raw aggregation.
        concat: concatenate heads (``True``) or average them.
        return_attention: also return ``alpha: (E, H)``.
        negative_slope: the LeakyReLU slope for negative scores (0.2 in the paper).

    Returns:
        ``h': (n, H*d_out)`` or ``(n, d_out)``; with ``return_attention``, ``(h', alpha)``.
    """
    h, W, a_src, a_dst, b = _check_gat_layer(params, h, graph, concat)
    (n, _), (H, d_out) = h.shape, a_src.shape
    z = (h @ W).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, a_src)  # a_src . z_j, one number per node and head
    s_dst = np.einsum("nhd,hd->nh", z, a_dst)  # a_dst . z_i
    e = leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], negative_slope)  # (E, H)
    alpha = segment_softmax(e, graph.receivers, n, indptr=graph.indptr)  # over each N(i)
    out = propagate(graph, alpha[:, :, None] * z[graph.senders])  # (n, H, d_out)
    out = out.reshape(n, H * d_out) if concat else out.mean(axis=1)
    out = _activate(out + b, activation)
    return (out, alpha) if return_attention else out


# --- Transformer -----------------------------------------------------------------


def init_multi_head_attention(
    rng: np.random.Generator, d_model: int, num_heads: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``multi_head_attention``: ``W_Q, W_K, W_V, W_O: (d_model, d_model)``
    (Glorot) and ``b_Q, b_K, b_V, b_O: (d_model,)`` (zeros)."""
    rng = _check_rng(rng)
    d_model = as_count(d_model, "d_model")
    _head_dim(d_model, num_heads)
    params = {f"W_{x}": _glorot(rng, d_model, d_model, dtype) for x in "QKVO"}
    params.update({f"b_{x}": np.zeros(d_model, dtype=dtype) for x in "QKVO"})
    return params


def multi_head_attention(
    params: Params,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    num_heads: int,
    return_attention: bool = False,
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
        h: ``(n, d_model)``.
        graph: ``None`` for all words attending to all words (dense path,
            ``N(i) = S``), or a ``Graph`` for sparse attention along its edges.
        num_heads: ``H``; must divide ``d_model``.
        return_attention: also return the weights: ``(H, n, n)`` dense, ``(E, H)`` with a graph.

    Returns:
        ``h': (n, d_model)``, or ``(h', weights)``.
    """
    h, p = _check_multi_head_attention(params, h, graph, num_heads)
    n, d_model = h.shape
    split = (n, num_heads, d_model // num_heads)  # each head gets d_head features
    q = (h @ p["W_Q"] + p["b_Q"]).reshape(split)
    k = (h @ p["W_K"] + p["b_K"]).reshape(split)
    v = (h @ p["W_V"] + p["b_V"]).reshape(split)
    if graph is None:
        heads, weights = scaled_dot_product_attention(q, k, v)  # N(i) = S: every word
    else:
        heads, weights = graph_attention(q, k, v, graph)  # N(i) from the graph's edges
    out = heads.reshape(n, d_model) @ p["W_O"] + p["b_O"]  # concatenate the heads, mix by W_O
    return (out, weights) if return_attention else out


def layer_norm(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float = 1e-5) -> np.ndarray:
    r"""Layer normalisation over the last axis (each word normalised on its own).

    .. math:: \operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` the mean and (biased) variance of :math:`x`'s last
    axis. ``x: (..., d)``, ``gamma, beta: (d,)``.
    """
    x, gamma, beta = _check_layer_norm(x, gamma, beta)
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def feed_forward(params: Params, x: ArrayLike) -> np.ndarray:
    r"""Position-wise feed-forward net, applied to each word on its own.

    .. math:: \operatorname{FFN}(x) = \max(0,\ x W_1 + b_1)\, W_2 + b_2

    ``params``: ``W1 (d_model, d_ff)``, ``b1 (d_ff,)``, ``W2 (d_ff, d_model)``,
    ``b2 (d_model,)``; ``x: (..., d_model)``.
    """
    x, W1, b1, W2, b2 = _check_feed_forward(params, x)
    return relu(x @ W1 + b1) @ W2 + b2


def init_transformer_layer(
    rng: np.random.Generator, d_model: int, num_heads: int, d_ff: int, *, dtype=np.float64
) -> dict:
    """Parameters of ``transformer_layer``: ``{"attn", "ln1", "ffn", "ln2"}``.

    ``attn`` as ``init_multi_head_attention``; ``ffn``: ``W1 (d_model, d_ff)``,
    ``b1``, ``W2 (d_ff, d_model)``, ``b2``; ``ln1``, ``ln2``: ``gamma`` (ones),
    ``beta`` (zeros), each ``(d_model,)``.
    """
    rng = _check_rng(rng)
    d_model, d_ff = as_count(d_model, "d_model"), as_count(d_ff, "d_ff")
    attn = init_multi_head_attention(rng, d_model, num_heads, dtype=dtype)
    ffn = {
        "W1": _glorot(rng, d_model, d_ff, dtype),
        "b1": np.zeros(d_ff, dtype=dtype),
        "W2": _glorot(rng, d_ff, d_model, dtype),
        "b2": np.zeros(d_model, dtype=dtype),
    }

    def ln():
        return {"gamma": np.ones(d_model, dtype=dtype), "beta": np.zeros(d_model, dtype=dtype)}

    return {"attn": attn, "ln1": ln(), "ffn": ffn, "ln2": ln()}


def transformer_layer(
    params: dict,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    num_heads: int,
    norm_first: bool = False,
    return_attention: bool = False,
):
    r"""One Transformer encoder layer: attention, residual, LayerNorm, FFN, residual, LayerNorm.

    Post-LN (the original Transformer, ``norm_first=False``):

    .. math::
        x = \operatorname{LN}_1\big(h + \operatorname{MHA}(h)\big), \qquad
        h' = \operatorname{LN}_2\big(x + \operatorname{FFN}(x)\big)

    Pre-LN (``norm_first=True``, easier to train deep):

    .. math::
        x = h + \operatorname{MHA}(\operatorname{LN}_1(h)), \qquad
        h' = x + \operatorname{FFN}(\operatorname{LN}_2(x))

    Equals ``torch.nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0,
    batch_first=True, norm_first=...)`` given the same weights.

    Args:
        params: ``{"attn", "ln1", "ffn", "ln2"}`` from ``init_transformer_layer``.
        h: ``(n, d_model)``.
        graph: ``None`` (every word attends to every word) or a ``Graph``.
        num_heads: ``H``.
        norm_first: pre-LN instead of post-LN.
        return_attention: also return the attention weights of the layer.

    Returns:
        ``h': (n, d_model)``, or ``(h', weights)``.
    """
    h = _check_transformer_layer(params, h)
    ln1, ln2 = params["ln1"], params["ln2"]

    def attend(x):
        return multi_head_attention(
            params["attn"], x, graph, num_heads=num_heads, return_attention=True
        )

    if norm_first:
        a, weights = attend(layer_norm(h, ln1["gamma"], ln1["beta"]))
        x = h + a
        out = x + feed_forward(params["ffn"], layer_norm(x, ln2["gamma"], ln2["beta"]))
    else:
        a, weights = attend(h)
        x = layer_norm(h + a, ln1["gamma"], ln1["beta"])
        out = layer_norm(x + feed_forward(params["ffn"], x), ln2["gamma"], ln2["beta"])
    return (out, weights) if return_attention else out


# --- input checks: one call at the top of each layer -------------------------------


def _features(h) -> np.ndarray:
    __tracebackhide__ = True
    h = as_float_array(h, "h")
    if h.ndim != 2:
        raise ValueError(f"h must be (num_nodes, d), got shape {h.shape}")
    return h


def _check_gnn_layer(params, h, graph):
    __tracebackhide__ = True
    params = check_params(params, "gnn_layer")
    h = _features(h)
    check_graph(graph, h.shape[0])
    d_in = h.shape[1]
    d_out = get_param(params, "U", None, h.dtype, "(d_in, d_out)").shape[1]
    ctx = f"h has d_in={d_in} (and U has d_out={d_out})"
    U = get_param(params, "U", (d_in, d_out), h.dtype, ctx)
    V = get_param(params, "V", (d_in, d_out), h.dtype, ctx)
    b = get_param(params, "b", (d_out,), h.dtype, ctx)
    return h, U, V, b


def _check_gat_layer(params, h, graph, concat):
    __tracebackhide__ = True
    params = check_params(params, "gat_layer")
    h = _features(h)
    n, d_in = h.shape
    check_graph(graph, n)
    H, d_out = get_param(params, "a_src", None, h.dtype, "(H, d_out)").shape  # H from a_src
    ctx = f"h has d_in={d_in} and a_src is (H, d_out)=({H}, {d_out})"
    W = get_param(params, "W", (d_in, H * d_out), h.dtype, ctx)
    a_src = get_param(params, "a_src", (H, d_out), h.dtype, ctx)
    a_dst = get_param(params, "a_dst", (H, d_out), h.dtype, ctx)
    b_shape = (H * d_out,) if concat else (d_out,)
    b = get_param(params, "b", b_shape, h.dtype, f"{ctx}, concat={concat}")
    return h, W, a_src, a_dst, b


def _head_dim(d_model: int, num_heads: int) -> int:
    __tracebackhide__ = True
    num_heads = as_count(num_heads, "num_heads")
    if num_heads < 1 or d_model % num_heads:
        raise ValueError(
            f"num_heads={num_heads} must be >= 1 and divide d_model={d_model} "
            f"(each head gets d_head = d_model / num_heads features)"
        )
    return d_model // num_heads


def _check_multi_head_attention(params, h, graph, num_heads):
    """``(h, p)``: ``p`` holds the four weights and four biases (0 where a bias is absent)."""
    __tracebackhide__ = True
    params = check_params(params, "multi_head_attention")
    h = _features(h)
    n, d = h.shape
    _head_dim(d, num_heads)
    if graph is not None:
        check_graph(graph, n)
    ctx = f"h has d_model={d}"
    p = {f"W_{x}": get_param(params, f"W_{x}", (d, d), h.dtype, ctx) for x in "QKVO"}
    for x in "QKVO":
        b = f"b_{x}"
        p[b] = get_param(params, b, (d,), h.dtype, ctx) if b in params else np.zeros(d, h.dtype)
    return h, p


def _check_layer_norm(x, gamma, beta):
    __tracebackhide__ = True
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d)")
    d = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (d,):
            raise ValueError(f"{name} has shape {p.shape} but x has d={d}; expected ({d},)")
    return x, gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False)


def _check_feed_forward(params, x):
    __tracebackhide__ = True
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict of arrays (W1, b1, W2, b2), got {type(params).__name__}. "
            f"The order is feed_forward(params, x)"
        )
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d_model)")
    d_model = x.shape[-1]
    d_ff = get_param(params, "W1", None, x.dtype, "(d_model, d_ff)").shape[1]
    ctx = f"x has d_model={d_model} (and W1 has d_ff={d_ff})"
    W1 = get_param(params, "W1", (d_model, d_ff), x.dtype, ctx)
    b1 = get_param(params, "b1", (d_ff,), x.dtype, ctx)
    W2 = get_param(params, "W2", (d_ff, d_model), x.dtype, ctx)
    b2 = get_param(params, "b2", (d_model,), x.dtype, ctx)
    return x, W1, b1, W2, b2


def _check_transformer_layer(params, h):
    __tracebackhide__ = True
    params = check_params(params, "transformer_layer")
    h = _features(h)
    for key in ("attn", "ln1", "ffn", "ln2"):
        if key not in params:
            raise ValueError(
                f"params is missing key {key!r} (has {sorted(params)}); use init_transformer_layer"
            )
    return h
